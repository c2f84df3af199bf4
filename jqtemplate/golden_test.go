package jqtemplate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the output sections of testdata/golden files")

// appendixC is the data of spec appendix C, used by golden files without a
// data.json section.
const appendixC = `{"inputs": {"name": "svc-a", "count": 3, "tags": ["x","y"], "ref": "dev"}, "run": {"id": "r_1"}, "entity": {}, "secrets": {"tok": "s3cr3t", "my-tok": "t2"}}`

// TestGolden renders every testdata/golden/*.txt file. A file is a comment
// naming the rule it covers, then sections "-- name --": template.json,
// optionally data.json (default: appendix C's data) and options (the word
// "strict"), and the outputs, which -update rewrites: output.json (indented,
// or "undefined"), warnings and error.
func TestGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/golden/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			g := parseGolden(raw)
			got := g.withOutputs(renderGolden(t, g)).format()
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !bytes.Equal(got, raw) {
				t.Errorf("%s differs (run go test -update and review):\n%s", file, got)
			}
		})
	}
}

type goldenSection struct{ name, body string }

type golden struct {
	comment  string
	sections []goldenSection
}

var outputSections = map[string]bool{"output.json": true, "warnings": true, "error": true}

func parseGolden(raw []byte) golden {
	var g golden
	lines := strings.SplitAfter(string(raw), "\n")
	cur := &g.comment
	for _, line := range lines {
		name, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "-- ")
		if name, ok2 := strings.CutSuffix(name, " --"); ok && ok2 {
			g.sections = append(g.sections, goldenSection{name: name})
			cur = &g.sections[len(g.sections)-1].body
			continue
		}
		*cur += line
	}
	return g
}

func (g golden) section(name string) (string, bool) {
	for _, s := range g.sections {
		if s.name == name {
			return s.body, true
		}
	}
	return "", false
}

func (g golden) withOutputs(outputs []goldenSection) golden {
	out := golden{comment: g.comment}
	for _, s := range g.sections {
		if !outputSections[s.name] {
			out.sections = append(out.sections, s)
		}
	}
	out.sections = append(out.sections, outputs...)
	return out
}

func (g golden) format() []byte {
	var b bytes.Buffer
	b.WriteString(g.comment)
	for _, s := range g.sections {
		b.WriteString("-- " + s.name + " --\n" + s.body)
	}
	return b.Bytes()
}

// renderGolden compiles and renders a golden file and returns its output
// sections.
func renderGolden(t *testing.T, g golden) []goldenSection {
	t.Helper()
	tmplJSON, ok := g.section("template.json")
	if !ok {
		t.Fatal("no template.json section")
	}
	dataJSON, ok := g.section("data.json")
	if !ok {
		dataJSON = appendixC
	}
	opts, _ := g.section("options")
	data, err := ParseData([]byte(dataJSON))
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenSection
	tmpl, err := Compile([]byte(tmplJSON))
	var res Result
	if err == nil {
		res, err = tmpl.Render(context.Background(), data, Options{Strict: strings.TrimSpace(opts) == "strict"})
	}
	if err == nil {
		out = append(out, goldenSection{"output.json", goldenValue(t, res.Value)})
	}
	if len(res.Warnings) > 0 {
		var w strings.Builder
		for _, x := range res.Warnings {
			w.WriteString(x.Error() + "\n")
		}
		out = append(out, goldenSection{"warnings", w.String()})
	}
	if err != nil {
		out = append(out, goldenSection{"error", err.Error() + "\n"})
	}
	return out
}

func goldenValue(t *testing.T, v any) string {
	if v == (Undefined{}) {
		return "undefined\n"
	}
	b, err := MarshalIndent(v, "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}
