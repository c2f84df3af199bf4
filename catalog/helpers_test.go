package catalog_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth"
)

// fieldErrors returns the field errors of err, which must be a *berth.Error
// with the given code.
func fieldErrors(t *testing.T, err error, code berth.Code) map[string]string {
	t.Helper()
	var e *berth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *berth.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code = %s, want %s (%v)", e.Code, code, err)
	}
	out := make(map[string]string, len(e.Fields))
	for _, f := range e.Fields {
		if prev, ok := out[f.Field]; ok {
			out[f.Field] = prev + " | " + f.Message
			continue
		}
		out[f.Field] = f.Message
	}
	return out
}

// wantFields checks that err is a 422 naming each field of want with a
// message containing the given text.
func wantFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want problems at %v", want)
	}
	got := fieldErrors(t, err, berth.CodeUnprocessable)
	for field, text := range want {
		msg, ok := got[field]
		if !ok {
			t.Errorf("no problem reported at %q; got %v", field, got)
			continue
		}
		if !strings.Contains(msg, text) {
			t.Errorf("problem at %q = %q, want it to mention %q", field, msg, text)
		}
	}
}

func ptrTo(s string) *string { return &s }
