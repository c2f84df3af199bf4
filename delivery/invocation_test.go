package delivery

import (
	"encoding/json"
	"testing"
)

func TestInvocationType(t *testing.T) {
	for _, tc := range []struct {
		payload, want string
	}{
		{`{"type":"WEBHOOK","url":"http://x","body":{"type":"GITHUB"}}`, "WEBHOOK"},
		{`{"url":"http://x","body":{"type":"GITHUB","list":[{"type":"KAFKA"}]},"type":"KAFKA"}`, "KAFKA"},
		{` { "Type" : "GITLAB" } `, "GITLAB"},
		{`{"url":"http://x","body":{"type":"GITHUB"}}`, ""},
		{`{"type":7}`, ""},
		{`["type","WEBHOOK"]`, ""},
		{`{"url":`, ""},
		{``, ""},
	} {
		if got := InvocationType(json.RawMessage(tc.payload)); got != tc.want {
			t.Errorf("InvocationType(%s) = %q, want %q", tc.payload, got, tc.want)
		}
	}
}
