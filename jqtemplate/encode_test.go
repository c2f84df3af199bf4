package jqtemplate

import (
	"encoding/json"
	"math"
	"testing"
)

func TestAppendNumber(t *testing.T) {
	t.Parallel()
	// Expected values are what JavaScript's JSON.stringify writes.
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {1, "1"}, {-1.5, "-1.5"}, {100, "100"},
		{1e20, "100000000000000000000"}, {1e21, "1e+21"}, {1.5e300, "1.5e+300"},
		{123456789012345678, "123456789012345680"}, {0.30000000000000004, "0.30000000000000004"},
		{1e-6, "0.000001"}, {1.5e-7, "1.5e-7"}, {-1e-7, "-1e-7"}, {5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"}, {math.NaN(), "null"}, {math.Inf(1), "null"},
	}
	for _, tt := range tests {
		if got := string(appendNumber(nil, tt.f)); got != tt.want {
			t.Errorf("appendNumber(%v) = %s, want %s", tt.f, got, tt.want)
		}
	}
}

func TestMarshal(t *testing.T) {
	t.Parallel()
	o := NewObject(0)
	o.Set("html", "<a href=\"x\">&</a>")
	o.Set("ctl", "\x00\x1f\b\f\n\r\t\u2028\x7f")
	o.Set("bad", "\xff")
	o.Set("gone", Undefined{})
	o.Set("list", []any{Undefined{}, nil, true, 1.0, int64(2), json.Number("3.50")})
	o.Set("map", map[string]any{"b": 1, "a": []any{}})
	o.Set("empty", NewObject(0))
	got, err := Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"html":"<a href=\"x\">&</a>","ctl":"\u0000\u001f\b\f\n\r\t` + "\u2028\x7f" + `","bad":"` + "\uFFFD" +
		`","list":[null,null,true,1,2,3.5],"map":{"a":[],"b":1},"empty":{}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !json.Valid(got) {
		t.Error("invalid JSON")
	}
	if _, err := Marshal(struct{}{}); err == nil {
		t.Error("Marshal(struct{}{}) did not fail")
	}
	if b, _ := Marshal(Undefined{}); string(b) != "null" {
		t.Errorf("Marshal(Undefined) = %s", b)
	}
	if b, _ := json.Marshal(o); !json.Valid(b) {
		t.Error("Object.MarshalJSON gives invalid JSON")
	}
}

func TestMarshalIndent(t *testing.T) {
	t.Parallel()
	o := NewObject(0)
	o.Set("a", []any{1.0, NewObject(0), []any{}})
	o.Set("u", Undefined{})
	got, err := MarshalIndent(o, "  ")
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": [\n    1,\n    {},\n    []\n  ]\n}"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestJSString(t *testing.T) {
	t.Parallel()
	o := NewObject(0)
	tests := []struct {
		v    any
		want string
	}{
		{"s", "s"}, {nil, "null"}, {Undefined{}, "undefined"}, {o, "[object Object]"}, {1.5, "1.5"},
		{true, "true"}, {[]any{1.0, nil, "a", []any{2.0, 3.0}, Undefined{}}, "1,,a,2,3,"},
	}
	for _, tt := range tests {
		if got := jsString(tt.v); got != tt.want {
			t.Errorf("jsString(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
