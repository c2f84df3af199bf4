package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	data := write("data.json", `{"run":{"id":"r_1"},"inputs":{"n":3,"tags":["x"],"q":"a<b&c>"}}`)
	good := write("good.json", `{"url":"https://x/{{ .run.id }}","n":"{{ .inputs.n }}","q":"{{ .inputs.q }}","tags":"{{ .inputs.tags }}"}`)
	unclosed := write("unclosed.json", `{"body":{"text":"prefix{{.foo}postfix"}}`)
	failing := write("failing.json", `{"body":{"n":"{{ .inputs.tags + 1 }}"}}`)
	undefinedFn := write("undefined.json", `{"a":"{{ nope }}"}`)
	unreached := write("unreached.json", `{"{{ null }}":"{{ nope }}","b":"{{ .run.id }}"}`)
	badJSON := write("bad.json", "{\n  \"a\": 1,\n  oops\n}")

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr []string // substrings; none expected when empty
	}{
		{
			name:     "renders with key order and no HTML escaping",
			args:     []string{"--data", data, good},
			wantCode: 0,
			wantStdout: `{
  "url": "https://x/r_1",
  "n": 3,
  "q": "a<b&c>",
  "tags": [
    "x"
  ]
}
`,
		},
		{
			name:       "flags after the template, data on stdin",
			args:       []string{good, "--data", "-"},
			stdin:      `{"run":{"id":"r_2"}}`,
			wantStdout: "{\n  \"url\": \"https://x/r_2\",\n  \"n\": null,\n  \"q\": null,\n  \"tags\": null\n}\n",
		},
		{
			name:       "template on stdin",
			args:       []string{"--data", data, "-"},
			stdin:      `"{{ .inputs.n }}-{{ .run.id }}"`,
			wantStdout: "\"3-r_1\"\n",
		},
		{
			name:       "structural error names the path and points at the brace",
			args:       []string{"--data", data, unclosed},
			wantCode:   1,
			wantStderr: []string{"unclosed.json: body.text: Found opening double braces in index 6 without closing double braces\n    prefix{{.foo}postfix\n          ^\n"},
		},
		{
			name:       "expression failure is a warning",
			args:       []string{"--data", data, failing},
			wantStdout: "{\n  \"body\": {\n    \"n\": null\n  }\n}\n",
			wantStderr: []string{`warning: body.n: jq expression ".inputs.tags + 1" failed: cannot add: array (["x"]) and number (1)`},
		},
		{
			name:       "strict turns expression failures into errors",
			args:       []string{"--strict", "--data", data, failing},
			wantCode:   1,
			wantStderr: []string{`failing.json: body.n: jq expression ".inputs.tags + 1" failed`},
		},
		{
			name:       "expression that does not compile is a warning",
			args:       []string{"--data", data, undefinedFn},
			wantStdout: "{\n  \"a\": null\n}\n",
			wantStderr: []string{`warning: a: jq expression "nope" does not compile: function not defined: nope/0`},
		},
		{
			name:       "expression that does not compile is reported even when not evaluated",
			args:       []string{"--data", data, unreached},
			wantStdout: "{\n  \"b\": \"r_1\"\n}\n",
			wantStderr: []string{`warning (not evaluated): ["{{ null }}"]: jq expression "nope" does not compile`},
		},
		{
			name:       "strict rejects expressions that do not compile",
			args:       []string{"--data", data, "--strict", undefinedFn},
			wantCode:   1,
			wantStderr: []string{`undefined.json: a: jq expression "nope" does not compile`},
		},
		{
			name:       "invalid JSON says line and column",
			args:       []string{"--data", data, badJSON},
			wantCode:   1,
			wantStderr: []string{"bad.json: line 3, column 3: invalid JSON"},
		},
		{
			name:       "invalid data",
			args:       []string{"--data", "-", good},
			stdin:      `{"a":`,
			wantCode:   1,
			wantStderr: []string{"-: line 1, column 6: invalid JSON: unexpected end of JSON input"},
		},
		{
			name:       "missing file",
			args:       []string{"--data", filepath.Join(dir, "nope.json"), good},
			wantCode:   1,
			wantStderr: []string{"nope.json"},
		},
		{name: "no template", args: []string{"--data", data}, wantCode: 2, wantStderr: []string{"want one TEMPLATE.json"}},
		{name: "no data", args: []string{good}, wantCode: 2, wantStderr: []string{"--data is required"}},
		{name: "both on stdin", args: []string{"--data", "-", "-"}, wantCode: 2, wantStderr: []string{"cannot both be standard input"}},
		{name: "unknown flag", args: []string{"--nope"}, wantCode: 2, wantStderr: []string{"flag provided but not defined"}},
		{name: "help", args: []string{"--help"}, wantCode: 0, wantStderr: []string{"Usage: berth render"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			code := renderCommand(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.wantStdout)
			}
			if len(tt.wantStderr) == 0 && stderr.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", stderr.String())
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr:\n%s\nwant it to contain:\n%s", stderr.String(), want)
				}
			}
		})
	}
}
