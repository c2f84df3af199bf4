package cli

import (
	"encoding/json"
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
	got, err := readInputs("", []string{"version=1.10", "replicas=3", "tags=[\"a\"]", "note=hello", "flag=true"},
		map[string]string{"version": "string", "replicas": "number"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if want := `{"flag":true,"note":"hello","replicas":3,"tags":["a"],"version":"1.10"}`; string(b) != want {
		t.Fatalf("inputs %s, want %s", b, want)
	}
	if _, err := readInputs("", []string{"novalue"}, nil); err == nil {
		t.Fatal("NAME without =VALUE accepted")
	}
}
