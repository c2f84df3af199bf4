package service

import "testing"

func TestSetTopLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, key, value, want string }{
		{`{"b":1,"publish":false,"a":{"publish":false}}`, "publish", `true`, `{"b":1,"publish":true,"a":{"publish":false}}`},
		{`{"identifier":"x"}`, "publish", `false`, `{"identifier":"x","publish":false}`},
		{`{}`, "run", `{"id":"r_2"}`, `{"run":{"id":"r_2"}}`},
		{` { "inputs" : null , "run" : {"id":"r_1"} } `, "run", `{"id":"r_2"}`, `{"inputs":null,"run":{"id":"r_2"}}`},
		{`{"a<b":"x & y"}`, "c", `1`, `{"a\u003cb":"x & y","c":1}`},
	} {
		got, err := setTopLevel([]byte(tc.in), tc.key, []byte(tc.value))
		if err != nil || string(got) != tc.want {
			t.Errorf("setTopLevel(%s, %s) = %s, %v; want %s", tc.in, tc.key, got, err, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `null`, `{"a":}`, ``} {
		if _, err := setTopLevel([]byte(bad), "k", []byte("1")); err == nil {
			t.Errorf("setTopLevel(%q) took it", bad)
		}
	}
}
