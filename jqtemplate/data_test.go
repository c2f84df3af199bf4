package jqtemplate

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

func TestNewData(t *testing.T) {
	t.Parallel()
	tmpl, err := CompileStrict([]byte(`{"a": "{{ .a }}", "n": "{{ .n + 1 }}", "o": "{{ .o }}", "s": "{{ .s }}"}`))
	if err != nil {
		t.Fatal(err)
	}
	ordered := NewObject(0)
	ordered.Set("z", 1.0)
	ordered.Set("y", Undefined{})
	ordered.Set("a", 2.0)
	type point struct{ X, Y int }
	inputs := map[string]any{
		"encoding/json":     map[string]any{"a": []any{"x"}, "n": 1.0, "o": map[string]any{"b": 1.0, "a": 2.0}},
		"json.Number, ints": map[string]any{"a": []any{"x"}, "n": json.Number("1"), "o": map[string]any{"b": int64(1), "a": 2}},
		"ordered":           map[string]any{"a": []any{"x"}, "n": 1, "o": ordered},
		"struct":            map[string]any{"a": []any{"x"}, "n": 1, "o": map[string]any{"b": 1, "a": 2}, "s": point{1, 2}},
	}
	wants := map[string]string{
		"encoding/json":     `{"a":["x"],"n":2,"o":{"a":2,"b":1},"s":null}`,
		"json.Number, ints": `{"a":["x"],"n":2,"o":{"a":2,"b":1},"s":null}`,
		"ordered":           `{"a":["x"],"n":2,"o":{"z":1,"a":2},"s":null}`,
		"struct":            `{"a":["x"],"n":2,"o":{"a":2,"b":1},"s":{"X":1,"Y":2}}`,
	}
	for name, in := range inputs {
		res, err := tmpl.Render(context.Background(), in, Options{Strict: true})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := debugString(res.Value); got != wants[name] {
			t.Errorf("%s: got %s, want %s", name, got, wants[name])
		}
	}
}

// TestResultDoesNotAliasData checks that changing a result leaves the
// shared data alone.
func TestResultDoesNotAliasData(t *testing.T) {
	t.Parallel()
	data, err := ParseData([]byte(`{"o": {"list": [1, {"k": "v"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := CompileStrict([]byte(`"{{ .o }}"`))
	res, err := tmpl.Render(context.Background(), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Value.(*Object)
	list, _ := o.Get("list")
	list.([]any)[1].(*Object).Set("k", "changed")
	o.Set("new", 1)
	res, _ = tmpl.Render(context.Background(), data, Options{})
	if got := debugString(res.Value); got != `{"list":[1,{"k":"v"}]}` {
		t.Errorf("data changed: %s", got)
	}
}

func TestParseDataErrors(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{``, `{`, `{"a":1} x`, `[1,]`, `{"a" 1}`} {
		if _, err := ParseData([]byte(raw)); err == nil {
			t.Errorf("ParseData(%q) did not fail", raw)
		}
	}
	d, err := ParseData([]byte(`{"a": 1, "b": 2, "a": 3, "big": 1e400}`))
	if err != nil {
		t.Fatal(err)
	}
	m := d.value.(map[string]any)
	if m["a"] != 3.0 || d.order[mapID(m)][0] != "a" {
		t.Errorf("duplicate key: %v %v", m, d.order[mapID(m)])
	}
}

// TestPathFastPath compares path expressions evaluated directly with gojq's
// answers for the same expressions.
func TestPathFastPath(t *testing.T) {
	t.Parallel()
	data, err := ParseData([]byte(`{"a": {"b": {"c": 1}, "n": null, "s": "x", "l": [1]}, "my-key": true}`))
	if err != nil {
		t.Fatal(err)
	}
	exprs := map[string]bool{ // expression: is a path
		".": true, ".a": true, ".a.b.c": true, `.a["b"].c`: true, `."my-key"`: true, `.["my-key"]`: true,
		".a.n.x.y": true, ".missing.x": true, ".a.s.x": true, ".a.l.x": true, " .a.b ": true,
		".a?": false, ".a[]": false, ".a.l[0]": false, `.["a" + "b"]`: false, `."\(.x)"`: false,
		".a | .b": false, ".a, .b": false, "..": false, ".a.b[:1]": false, "def f: .; .a": false, "$__loc__": false,
	}
	for src, wantPath := range exprs {
		e := compileExpr(src, Location{})
		if e.isPath != wantPath {
			t.Errorf("%q: isPath = %v, want %v", src, e.isPath, wantPath)
		}
		if !e.isPath {
			continue
		}
		want, wantErr := e.run(context.Background(), data.value)
		got, ok := lookup(data.value, e.keys)
		if !ok {
			if wantErr == nil {
				t.Errorf("%q: fast path gave up, gojq answered %v", src, want)
			}
			continue
		}
		if wantErr != nil || debugString(data.export(got)) != debugString(data.export(want)) {
			t.Errorf("%q: fast path %v, gojq %v (%v)", src, got, want, wantErr)
		}
	}
}

func TestDecodeOrdered(t *testing.T) {
	t.Parallel()
	raw := "{\"b\": [1, -2.5e3, true, false, null, {}], \"a\": \"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\", \"\u00e9\": \"\xff\", \"b\": \"last\", \"3\": {\"x\": []}}"
	v, err := decodeOrdered([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"3\":{\"x\":[]},\"b\":\"last\",\"a\":\"é😀\\n\\\"\\\\/\",\"é\":\"\uFFFD\"}"
	if got := debugString(v); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// FuzzDecode checks the ordered decoder against encoding/json.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":null}],"a":2}`, `"\ud800"`, `1e400`, `[]`, ` {} `, `"\u00e9"`, "\"\xff\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := decodeOrdered([]byte(s))
		if (err == nil) != json.Valid([]byte(s)) {
			t.Fatalf("decodeOrdered(%q) error %v", s, err)
		}
		var want any
		if err != nil || json.Unmarshal([]byte(s), &want) != nil {
			return // out-of-range numbers: encoding/json refuses them
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !reflect.DeepEqual(got, want) { // -0 == 0: Marshal writes -0 as 0, like JavaScript
			t.Fatalf("decodeOrdered(%q) = %s, encoding/json %v", s, out, want)
		}
	})
}
