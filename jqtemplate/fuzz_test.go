package jqtemplate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzScan checks the template scanner and the quote rewrite for panics and
// for the shape of what they return.
func FuzzScan(f *testing.F) {
	for _, s := range []string{"", "{{.a}}", "x{{ '}}' }}y", "{{{a}}}", "a}}", "{{ \"\\\"}}\" }}", "'a' 'b'", "😀{{", " {{ spreadValue() }} "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		blocks, err := scan(s)
		var se *scanError
		if err != nil {
			if !errors.As(err, &se) || se.at[0] < 0 || se.at[0] > len(s) || err.Error() == "" {
				t.Fatalf("scan(%q): bad error %#v", s, err)
			}
		}
		prev := 0
		for _, b := range blocks {
			if b.start < prev+2 || b.start > b.end || b.end+2 > len(s) || s[b.end:b.end+2] != "}}" || !strings.HasSuffix(s[:b.start], "{{") && !strings.HasSuffix(s[:b.start+1], "{{{") {
				t.Fatalf("scan(%q): bad block %+v", s, b)
			}
			prev = b.end + 2
		}
		q := rewriteQuotes(s)
		if len(q) != len(s) {
			t.Fatalf("rewriteQuotes(%q) = %q changes the length", s, q)
		}
		for i := range len(s) {
			if q[i] != s[i] && (s[i] != '\'' || q[i] != '"') {
				t.Fatalf("rewriteQuotes(%q) = %q changes more than quotes", s, q)
			}
		}
		if isSpreadKey(s) {
			if blocks, err := scan(jsTrim(s)); err != nil || len(blocks) != 1 {
				t.Fatalf("spread key %q scans as %v, %v", s, blocks, err)
			}
		}
	})
}

// FuzzRender compiles and renders arbitrary templates against arbitrary
// data: no panics, only the documented errors, valid JSON out, and path
// expressions answered as gojq answers them.
func FuzzRender(f *testing.F) {
	addFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, template, data string) {
		if len(template) > 4096 || len(data) > 4096 {
			return
		}
		tmpl, err := Compile([]byte(template))
		var te *TemplateError
		if err != nil {
			if !errors.As(err, &te) && !strings.HasPrefix(err.Error(), "invalid JSON") {
				t.Fatalf("Compile: unexpected error %v", err)
			}
			return
		}
		d, err := ParseData([]byte(data))
		if err != nil {
			d, _ = NewData(nil)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		res, err := tmpl.Render(ctx, d, Options{ExprTimeout: 10 * time.Millisecond})
		if err != nil {
			if !errors.As(err, &te) && ctx.Err() == nil {
				t.Fatalf("Render: unexpected error %v", err)
			}
			return
		}
		for _, marshal := range []func(any) ([]byte, error){Marshal, func(v any) ([]byte, error) { return MarshalIndent(v, "\t") }} {
			out, err := marshal(res.Value)
			if err != nil || !json.Valid(out) {
				t.Fatalf("Marshal: %v %q", err, out)
			}
		}
		checkPaths(t, tmpl.root, d)
	})
}

// checkPaths compares the path fast path with gojq for every path
// expression of a template.
func checkPaths(t *testing.T, n node, d *Data) {
	var exprs []*expr
	switch n := n.(type) {
	case wholeNode:
		exprs = append(exprs, n.e)
	case interpNode:
		exprs = n.exprs
	case arrayNode:
		for _, e := range n.elems {
			checkPaths(t, e, d)
		}
	case objectNode:
		for _, e := range n.entries {
			if e.key != nil {
				checkPaths(t, e.key, d)
			}
			checkPaths(t, e.val, d)
		}
	}
	for _, e := range exprs {
		if !e.isPath {
			continue
		}
		if got, ok := lookup(d.value, e.keys); ok {
			want, err := e.run(context.Background(), d.value)
			if err != nil || debugString(d.export(got)) != debugString(d.export(want)) {
				t.Fatalf("%q: fast path %v, gojq %v (%v)", e.src, got, want, err)
			}
		}
	}
}

func addFuzzSeeds(f *testing.F) {
	data := `{"a": {"b": [1, "x"]}, "s": "str"}`
	if raw, err := os.ReadFile(casesFile); err == nil {
		var file struct{ Cases []conformanceCase }
		if json.Unmarshal(raw, &file) == nil {
			for _, c := range file.Cases {
				f.Add(string(c.Template), string(c.JSON))
			}
		}
	}
	files, _ := filepath.Glob("testdata/golden/*.txt")
	for _, file := range files {
		raw, _ := os.ReadFile(file)
		if tmpl, ok := parseGolden(raw).section("template.json"); ok {
			f.Add(tmpl, data)
		}
	}
	f.Add(`{"{{ spreadValue() }}": "{{ .a }}", "{{ .s }}": ["x{{ .a.b }}y", 1.5e300]}`, data)
}
