package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func items(t *testing.T, src string) []*item {
	t.Helper()
	docs, err := decodeDocuments([]byte(src), false)
	if err != nil {
		t.Fatal(err)
	}
	var out []*item
	for _, d := range docs {
		list, ok := d.([]any)
		if !ok {
			list = []any{d}
		}
		for _, o := range list {
			it, err := newItem(o, "test")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, it)
		}
	}
	return out
}

func names(p plan) []string {
	var out []string
	for _, it := range p.items {
		n := it.name()
		if p.cyclic[it] {
			n += "*"
		}
		out = append(out, n)
	}
	return out
}

func TestOrder(t *testing.T) {
	p := order(items(t, `
- {identifier: c1, blueprint: cluster, relations: {env: [prod]}}
- {identifier: prod, blueprint: env, relations: {cluster: c1}}
- {identifier: api, blueprint: service, relations: {owner: team-a}}
- {identifier: team-a, blueprint: squad}
- {identifier: on_deploy, trigger: {type: automation, event: {type: RUN_UPDATED, actionIdentifier: deploy}}}
- {identifier: deploy, trigger: {type: self-service}}
- {identifier: service, schema: {}, relations: {owner: {target: squad}}}
- {identifier: env, schema: {}, relations: {cluster: {target: cluster}}}
- {identifier: cluster, schema: {}, relations: {env: {target: env}}}
- {identifier: squad, schema: {}, aggregationProperties: {n: {target: service}}, relations: {self: {target: squad}}}
`))
	want := []string{
		"blueprint squad*", "blueprint service*", "blueprint cluster*", "blueprint env*",
		"action deploy", "automation on_deploy",
		"entity squad/team-a", "entity service/api", "entity env/prod*", "entity cluster/c1*",
	}
	if got := names(p); !slices.Equal(got, want) {
		t.Fatalf("order:\n got %v\nwant %v", got, want)
	}
}

func TestNewItemKinds(t *testing.T) {
	for src, want := range map[string]string{
		`{identifier: a, schema: {}}`:                                    "blueprint a",
		`{identifier: a, trigger: {type: self-service}}`:                 "action a",
		`{identifier: a, trigger: {type: automation}}`:                   "automation a",
		`{identifier: a, blueprint: b}`:                                  "entity b/a",
		`{kind: Entity, identifier: a, blueprint: b, schema: 1}`:         "entity b/a",
		`{kind: automation, identifier: a, trigger: {type: automation}}`: "automation a",
	} {
		if got := items(t, src)[0].name(); got != want {
			t.Errorf("%s: %s, want %s", src, got, want)
		}
	}
	for src, msg := range map[string]string{
		`{identifier: a}`:                   "add kind:",
		`{schema: {}}`:                      "no identifier",
		`{kind: gadget, identifier: a}`:     "unknown kind",
		`{kind: entity, identifier: a}`:     "has no blueprint",
		`[[{identifier: a, blueprint: b}]]`: "nested list",
	} {
		docs, _ := decodeDocuments([]byte(src), false)
		var err error
		if l, ok := docs[0].([]any); ok {
			_, err = newItem(l[0], "test")
		} else {
			_, err = newItem(docs[0], "test")
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", src, err, msg)
		}
	}
	it := items(t, `{kind: entity, identifier: a, blueprint: b}`)[0]
	if _, ok := it.doc["kind"]; ok || it.doc["blueprint"] != nil {
		t.Errorf("kind and blueprint are not sent: %v", it.doc)
	}
	if b, _ := marshalJSON(it.body); string(b) != `{"identifier":"a"}` {
		t.Errorf("kind and blueprint are sent: %s", b)
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSame(t *testing.T) {
	for _, c := range []struct {
		desired, current string
		same             bool
	}{
		{`{"identifier":"a","title":"A"}`, `{"identifier":"a","title":"A","createdAt":"x","id":"y","mirrorProperties":{},"icon":null,"team":[]}`, true},
		{`{"identifier":"a","title":"A"}`, `{"identifier":"a","title":"B"}`, false},
		{`{"identifier":"a"}`, `{"identifier":"a","description":"kept by the server"}`, false},
		{`{"n":1,"l":[1,2]}`, `{"n":1,"l":[1,2]}`, true},
		{`{"l":[1,2]}`, `{"l":[2,1]}`, false},
		{`{"r":{"target":"b"}}`, `{"r":{"target":"b","required":false,"many":false}}`, true},
		{`{"r":{"target":"b"}}`, `{"r":{"target":"b","required":true}}`, false},
		{`{"title":null,"p":{}}`, `{}`, true},
	} {
		if got := same(decode(t, c.desired), decode(t, c.current)); got != c.same {
			t.Errorf("same(%s, %s) = %v", c.desired, c.current, got)
		}
	}
	bp := decode(t, `{"schema":{"properties":{"tier":{"default":"3"},"lang":{}}}}`)
	desired := decode(t, `{"identifier":"a","properties":{"lang":"Go"}}`)
	created := decode(t, `{"identifier":"a","properties":{"lang":"Go","tier":"3"}}`)
	if !same(desired, withoutDefaults(created, desired, bp)) {
		t.Error("a default the server filled in counts as a change")
	}
	changed := decode(t, `{"identifier":"a","properties":{"lang":"Go","tier":"1"}}`)
	if same(desired, withoutDefaults(changed, desired, bp)) {
		t.Error("a value other than the default is not a change")
	}
}

func TestReadInputs(t *testing.T) {
	pairs, err := parseInputPairs([]string{"version=1.10", "replicas=3", "tags=[\"a\"]", "note=hello", "flag=true", "cfg={\"z\":1,\"a\":2}"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "inputs.yaml")
	os.WriteFile(file, []byte("zone: eu\nnote: from the file\nday: 2024-01-02\n"), 0o644)
	fromFile, err := readInputsFile(file)
	if err != nil {
		t.Fatal(err)
	}
	got := mergeInputs(fromFile, pairs, map[string]string{"version": "string", "replicas": "number"})
	b, _ := marshalJSON(got)
	want := `{"zone":"eu","note":"hello","day":"2024-01-02","version":"1.10","replicas":3,"tags":["a"],"flag":true,"cfg":{"z":1,"a":2}}`
	if string(b) != want {
		t.Fatalf("inputs %s, want %s", b, want)
	}
	if _, err := parseInputPairs([]string{"novalue"}); err == nil {
		t.Fatal("NAME without =VALUE accepted")
	}
	for _, bad := range []string{"missing.yaml", "bad.yaml", "list.yaml"} {
		path := filepath.Join(t.TempDir(), bad)
		switch bad {
		case "bad.yaml":
			os.WriteFile(path, []byte("a: [1, 2\n"), 0o644)
		case "list.yaml":
			os.WriteFile(path, []byte("- a\n"), 0o644)
		}
		if _, err := readInputsFile(path); err == nil {
			t.Errorf("--inputs %s accepted", bad)
		}
	}
}

// TestDocumentsKeepKeyOrder: what apply sends is in the order the file
// wrote it, in JSON and YAML alike, so that a key after a spreadValue()
// still overrides it (spec 5.2).
func TestDocumentsKeepKeyOrder(t *testing.T) {
	const want = `{"identifier":"ord","trigger":{"type":"self-service"},"invocationMethod":{"type":"WEBHOOK","body":{"{{ spreadValue() }}":"{{ .inputs }}","version":"override-after-spread","a":1}}}`
	for name, src := range map[string]string{
		"json": `{"kind":"action","identifier":"ord","trigger":{"type":"self-service"},"invocationMethod":{"type":"WEBHOOK","body":{"{{ spreadValue() }}":"{{ .inputs }}","version":"override-after-spread","a":1}}}`,
		"yaml": `
kind: action
identifier: ord
trigger: {type: self-service}
invocationMethod:
  type: WEBHOOK
  body:
    "{{ spreadValue() }}": "{{ .inputs }}"
    version: override-after-spread
    a: 1
`,
	} {
		docs, err := decodeDocuments([]byte(src), name == "json")
		if err != nil {
			t.Fatal(err)
		}
		it, err := newItem(docs[0], "test")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := marshalJSON(it.body); string(b) != want {
			t.Errorf("%s: sent\n%s\nwant\n%s", name, b, want)
		}
	}
}

// TestYAMLScalars: YAML values become the JSON values YAML 1.2 core says,
// except timestamps, which stay the strings they were written as.
func TestYAMLScalars(t *testing.T) {
	src := `
date: 2024-01-02
when: 2024-01-02T10:00:00Z
tagged: !!timestamp 2024-01-02
quoted: "2024-01-02"
int: 42
hex: 0x1F
big: 12345678901234567
float: 1.50
exp: 1e3
yes: yes
on: on
bool: true
null: ~
empty:
str: !!str 3
1: numeric key
2024-01-02: date key
list: [1, "1", a]
`
	docs, err := decodeDocuments([]byte(src), false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := marshalJSON(docs[0])
	want := `{"date":"2024-01-02","when":"2024-01-02T10:00:00Z","tagged":"2024-01-02","quoted":"2024-01-02","int":42,"hex":31,` +
		`"big":12345678901234567,"float":1.5,"exp":1000,"yes":"yes","on":"on","bool":true,"null":null,"empty":null,"str":"3",` +
		`"1":"numeric key","2024-01-02":"date key","list":[1,"1","a"]}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}

func TestYAMLAliasesAndErrors(t *testing.T) {
	docs, err := decodeDocuments([]byte(`
base: &base {z: 1, a: 2, m: 3}
more: &more {m: 4, n: 5}
x:
  first: 0
  <<: [*base, *more]
  a: mine
list: &l [1, 2]
copy: *l
`), false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := marshalJSON(docs[0])
	want := `{"base":{"z":1,"a":2,"m":3},"more":{"m":4,"n":5},"x":{"first":0,"z":1,"m":3,"n":5,"a":"mine"},"list":[1,2],"copy":[1,2]}`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
	for src, msg := range map[string]string{
		"a: 1\nb: 2\na: 3\n":       "already defined",
		"a: &a\n  b: *a\n":         "contains itself",
		"a: .inf\n":                "not a number",
		"? [1]\n: x\n":             "mapping key",
		"a: &a [1]\nb: {<<: *a}\n": "map merge",
		"a: [1\n":                  "did not find",
		`a: &a [x,x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
`: "excessive aliasing",
	} {
		if _, err := decodeDocuments([]byte(src), false); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v, want %q", src, err, msg)
		}
	}
}

// TestYAMLOutputRoundTrips: what get -o yaml prints reads back as the same
// JSON, keys in the same order, strings that look like other things
// included.
func TestYAMLOutputRoundTrips(t *testing.T) {
	const src = `{"z":"2024-01-02","a":"true","n":"3","e":"","m":"two\nlines","k":{"y":null,"b":false,"x":[1.5,-2,1e+21]},"{{ spreadValue() }}":"{{ .inputs }}","l":[],"o":{},"yes":"on","t":"1:20"}`
	v, err := decodeOrdered([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	c := &command{output: "yaml", env: Env{Stdout: &out}}
	if err := c.printValue(json.RawMessage(src), nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	docs, err := decodeDocuments([]byte(out.String()), false)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := marshalJSON(docs[0])
	want, _ := marshalJSON(v)
	if string(got) != string(want) {
		t.Fatalf("YAML\n%s\nreads back as\n%s\nwant\n%s", out.String(), got, want)
	}
}

func TestSameOrder(t *testing.T) {
	for _, c := range []struct {
		desired, current string
		same             bool
	}{
		{`{"a":1,"b":{"x":1,"y":2}}`, `{"a":1,"b":{"x":1,"y":2},"id":"z"}`, true},
		{`{"a":1,"b":{"x":1,"y":2}}`, `{"b":{"x":1,"y":2},"a":1}`, false},
		{`{"b":{"y":2,"x":1}}`, `{"b":{"x":1,"y":2}}`, false},
		{`{"l":[{"y":2,"x":1}]}`, `{"l":[{"x":1,"y":2}]}`, false},
		{`{"a":1,"c":3}`, `{"a":1,"b":2,"c":3}`, true},
		{`{"a":1,"b":{}}`, `{"a":1,"b":"other"}`, true},
	} {
		d, _ := decodeOrdered([]byte(c.desired))
		cur, _ := decodeOrdered([]byte(c.current))
		if got := sameOrder(d, cur); got != c.same {
			t.Errorf("sameOrder(%s, %s) = %v", c.desired, c.current, got)
		}
	}
}
