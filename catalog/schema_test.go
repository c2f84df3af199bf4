package catalog_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

// richBlueprint exercises every kind of property check.
const richBlueprint = `{
  "identifier": "service",
  "title": "Service",
  "schema": {
    "properties": {
      "language": {"type": "string", "enum": ["Go", "Python"]},
      "replicas": {"type": "number", "minimum": 0, "maximum": 10, "default": 1},
      "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
      "repo": {"type": "string", "format": "url"},
      "owner": {"type": "string", "format": "email"},
      "ip4": {"type": "string", "format": "ipv4"},
      "ip6": {"type": "string", "format": "ipv6"},
      "deployedAt": {"type": "string", "format": "date-time"},
      "ttl": {"type": "string", "format": "timer"},
      "ttl2": {"type": "string", "format": "timer"},
      "notes": {"type": "string", "format": "yaml"},
      "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "minItems": 1, "maxItems": 3},
      "links": {"type": "array", "items": {"type": "string", "format": "url"}},
      "docs": {"type": "object", "format": "labeled-url"},
      "config": {"type": "object", "default": {"debug": false}},
      "locked": {"type": "boolean"}
    },
    "required": ["language"]
  },
  "relations": {
    "domain": {"target": "domain", "required": true},
    "dependsOn": {"target": "service", "many": true},
    "lead": {"target": "_user"}
  },
  "mirrorProperties": {"domain_owner": {"path": "domain.owner"}},
  "calculationProperties": {"slack": {"type": "string", "calculation": ".identifier"}}
}`

func compile(t testing.TB, raw string) (*berth.Blueprint, *catalog.EntitySchema) {
	t.Helper()
	bp := mustBlueprint(t, raw)
	s, err := catalog.CompileEntitySchema(bp)
	if err != nil {
		t.Fatal(err)
	}
	return bp, s
}

func validEntity() *berth.Entity {
	return &berth.Entity{
		Identifier: "svc-a", Blueprint: "service", Team: []string{"platform"},
		Properties: map[string]any{
			"language": "Go", "replicas": 3.0, "name": "abc", "repo": "https://github.com/x/y",
			"owner": "jane@example.com", "ip4": "192.0.2.1", "ip6": "2001:db8::1",
			"deployedAt": "2024-06-09T09:57:52.931Z", "ttl": "2022-12-01T16:50:00+02:00",
			"notes": "a: [", "tags": []any{"a", "b"}, "links": []any{"https://a.example"},
			"docs":   map[string]any{"url": "https://d.example", "displayText": "Docs"},
			"config": map[string]any{"any": []any{1.0}}, "locked": true, "ttl2": nil,
		},
		Relations: map[string]any{"domain": "payments", "dependsOn": []any{"svc-b"}, "lead": nil},
	}
}

func TestValidateEntityValid(t *testing.T) {
	t.Parallel()
	_, s := compile(t, richBlueprint)
	if err := s.Validate(validEntity()); err != nil {
		t.Fatal(err)
	}
	minimal := &berth.Entity{Identifier: "x", Blueprint: "service",
		Properties: map[string]any{"language": "Python", "replicas": 0}, // an int, as a Go caller might write
		Relations:  map[string]any{"domain": "d", "dependsOn": []string{}}}
	if err := s.Validate(minimal); err != nil {
		t.Fatal(err)
	}
}

func TestValidateEntityProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(e *berth.Entity)
		want   map[string]string
	}{
		{"type", func(e *berth.Entity) { e.Properties["replicas"] = "3" }, map[string]string{"/properties/replicas": "must be a number, not a string"}},
		{"boolean", func(e *berth.Entity) { e.Properties["locked"] = "yes" }, map[string]string{"/properties/locked": "must be a boolean"}},
		{"object", func(e *berth.Entity) { e.Properties["config"] = []any{} }, map[string]string{"/properties/config": "must be an object, not an array"}},
		{"enum", func(e *berth.Entity) { e.Properties["language"] = "Rust" }, map[string]string{"/properties/language": `one of "Go", "Python"`}},
		{"required missing", func(e *berth.Entity) { delete(e.Properties, "language") }, map[string]string{"/properties/language": "is required"}},
		{"required null", func(e *berth.Entity) { e.Properties["language"] = nil }, map[string]string{"/properties/language": "is required"}},
		{"minimum", func(e *berth.Entity) { e.Properties["replicas"] = -1.0 }, map[string]string{"/properties/replicas": "at least 0"}},
		{"maximum", func(e *berth.Entity) { e.Properties["replicas"] = 11.0 }, map[string]string{"/properties/replicas": "at most 10"}},
		{"minLength", func(e *berth.Entity) { e.Properties["name"] = "a" }, map[string]string{"/properties/name": "at least 2 characters"}},
		{"maxLength", func(e *berth.Entity) { e.Properties["name"] = "abcdef" }, map[string]string{"/properties/name": "at most 5 characters"}},
		{"pattern", func(e *berth.Entity) { e.Properties["name"] = "AB" }, map[string]string{"/properties/name": "pattern ^[a-z]+$"}},
		{"url", func(e *berth.Entity) { e.Properties["repo"] = "github.com/x" }, map[string]string{"/properties/repo": "absolute URL"}},
		{"email", func(e *berth.Entity) { e.Properties["owner"] = "Jane <jane@example.com>" }, map[string]string{"/properties/owner": "email address"}},
		{"ipv4", func(e *berth.Entity) { e.Properties["ip4"] = "2001:db8::1" }, map[string]string{"/properties/ip4": "IPv4"}},
		{"ipv6", func(e *berth.Entity) { e.Properties["ip6"] = "192.0.2.1" }, map[string]string{"/properties/ip6": "IPv6"}},
		{"date-time without zone", func(e *berth.Entity) { e.Properties["deployedAt"] = "2024-06-09T09:57:52" }, map[string]string{"/properties/deployedAt": "RFC 3339"}},
		{"timer", func(e *berth.Entity) { e.Properties["ttl"] = "tomorrow" }, map[string]string{"/properties/ttl": "date-time"}},
		{"items", func(e *berth.Entity) { e.Properties["tags"] = []any{"a", 1.0, "c", nil} }, map[string]string{
			"/properties/tags": "at most 3 items", "/properties/tags/1": "must be a string", "/properties/tags/2": `one of "a", "b"`, "/properties/tags/3": "must not be null"}},
		{"item format", func(e *berth.Entity) { e.Properties["links"] = []any{"nope"} }, map[string]string{"/properties/links/0": "absolute URL"}},
		{"minItems", func(e *berth.Entity) { e.Properties["tags"] = []any{} }, map[string]string{"/properties/tags": "at least 1 items"}},
		{"maxItems", func(e *berth.Entity) { e.Properties["tags"] = []any{"a", "a", "a", "a"} }, map[string]string{"/properties/tags": "at most 3 items"}},
		{"labeled url", func(e *berth.Entity) { e.Properties["docs"] = map[string]any{"displayText": "x"} }, map[string]string{"/properties/docs": `"url"`}},
		{"unknown property", func(e *berth.Entity) { e.Properties["colour"] = "red" }, map[string]string{"/properties/colour": `not a property of blueprint "service"`}},
		{"computed property", func(e *berth.Entity) { e.Properties["slack"] = "x"; e.Properties["domain_owner"] = "y" }, map[string]string{
			"/properties/slack": "calculation property", "/properties/domain_owner": "mirror property"}},
		{"unknown relation", func(e *berth.Entity) { e.Relations["team"] = "x" }, map[string]string{"/relations/team": "not a relation"}},
		{"many given one", func(e *berth.Entity) { e.Relations["dependsOn"] = "svc-b" }, map[string]string{"/relations/dependsOn": "must be an array"}},
		{"single given many", func(e *berth.Entity) { e.Relations["lead"] = []any{"a"} }, map[string]string{"/relations/lead": "one \"_user\" entity identifier or null"}},
		{"bad related identifier", func(e *berth.Entity) { e.Relations["dependsOn"] = []any{"ok", "no pe"} }, map[string]string{"/relations/dependsOn/1": "not a valid entity identifier"}},
		{"required relation null", func(e *berth.Entity) { e.Relations["domain"] = nil }, map[string]string{"/relations/domain": "is required"}},
		{"required relation missing", func(e *berth.Entity) { delete(e.Relations, "domain") }, map[string]string{"/relations/domain": "is required"}},
		{"identifier missing", func(e *berth.Entity) { e.Identifier = "" }, map[string]string{"/identifier": "is required"}},
		{"identifier invalid", func(e *berth.Entity) { e.Identifier = ".." }, map[string]string{"/identifier": `".."`}},
		{"blueprint", func(e *berth.Entity) { e.Blueprint = "other" }, map[string]string{"/blueprint": `"other"`}},
		{"team", func(e *berth.Entity) { e.Team = []string{""} }, map[string]string{"/team/0": "must not be empty"}},
		{"escaped pointer", func(e *berth.Entity) { e.Properties["a/b~c"] = 1 }, map[string]string{"/properties/a~1b~0c": "not a property"}},
	}
	_, s := compile(t, richBlueprint)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := validEntity()
			tt.change(e)
			err := s.Validate(e)
			wantFields(t, err, tt.want)
			if got := fieldErrors(t, err, berth.CodeUnprocessable); len(got) != len(tt.want) {
				t.Errorf("problems = %v, want exactly %d", got, len(tt.want))
			}
		})
	}
}

func TestCompileEntitySchemaRefusesBrokenBlueprint(t *testing.T) {
	t.Parallel()
	bp := &berth.Blueprint{Identifier: "x", Schema: berth.BlueprintSchema{Properties: map[string]berth.Property{
		"n": {"type": "number", "pattern": "("},
	}}}
	_, err := catalog.CompileEntitySchema(bp)
	wantFields(t, err, map[string]string{"/schema/properties/n/pattern": "string properties only"})
}

func TestCompileEntitySchemaAfterStoreRoundTrip(t *testing.T) {
	t.Parallel()
	// The store keeps blueprints as JSON; compiling what it reads back must work.
	bp := mustBlueprint(t, richBlueprint)
	raw, _ := json.Marshal(bp)
	var back berth.Blueprint
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	s, err := catalog.CompileEntitySchema(&back)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(validEntity()); err != nil {
		t.Fatal(err)
	}
}

func TestApplyDefaults(t *testing.T) {
	t.Parallel()
	bp := mustBlueprint(t, richBlueprint)
	e := &berth.Entity{Properties: map[string]any{"replicas": nil}}
	catalog.ApplyDefaults(bp, e)
	want := map[string]any{"replicas": nil, "config": map[string]any{"debug": false}}
	if !reflect.DeepEqual(e.Properties, want) {
		t.Errorf("properties = %v, want %v", e.Properties, want)
	}
	e.Properties["config"].(map[string]any)["debug"] = true
	if bp.Schema.Properties["config"]["default"].(map[string]any)["debug"] != false {
		t.Error("the default is shared with the entity")
	}
	empty := &berth.Entity{}
	catalog.ApplyDefaults(bp, empty)
	if empty.Properties["replicas"] != 1.0 {
		t.Errorf("properties = %v", empty.Properties)
	}
}

func TestRelationTargets(t *testing.T) {
	t.Parallel()
	bp := mustBlueprint(t, richBlueprint)
	e := validEntity()
	e.Relations["dependsOn"] = []any{"svc-b", "svc-c"}
	e.Relations["undeclared"] = "x"
	got := catalog.RelationTargets(bp, e)
	want := []catalog.RelationTarget{
		{Relation: "dependsOn", TargetBlueprint: "service", Identifier: "svc-b"},
		{Relation: "dependsOn", TargetBlueprint: "service", Identifier: "svc-c"},
		{Relation: "domain", TargetBlueprint: "domain", Identifier: "payments"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestTimers(t *testing.T) {
	t.Parallel()
	bp := mustBlueprint(t, richBlueprint)
	if got := catalog.TimerProperties(bp); !reflect.DeepEqual(got, []string{"ttl", "ttl2"}) {
		t.Errorf("TimerProperties = %v", got)
	}
	e := validEntity()
	got := catalog.TimerExpiries(bp, e)
	want := time.Date(2022, 12, 1, 14, 50, 0, 0, time.UTC)
	if len(got) != 1 || !got["ttl"].Equal(want) {
		t.Errorf("TimerExpiries = %v, want ttl at %v", got, want)
	}
	e.Properties["ttl"] = "soon"
	if got := catalog.TimerExpiries(bp, e); got == nil || len(got) != 0 {
		t.Errorf("invalid timer: %v", got)
	}
}

func TestValidateNestedArrays(t *testing.T) {
	t.Parallel()
	_, s := compile(t, `{"identifier":"m","title":"M","schema":{"properties":{
		"grid":{"type":"array","items":{"type":"array","items":{"type":"number","maximum":1}}}}}}`)
	e := &berth.Entity{Identifier: "g", Blueprint: "m", Properties: map[string]any{"grid": []any{[]any{0.0, 2.0}, "row", []any{nil}}}}
	err := s.Validate(e)
	wantFields(t, err, map[string]string{
		"/properties/grid/0/1": "at most 1",
		"/properties/grid/1":   "must be an array, not a string",
		"/properties/grid/2/0": "must not be null",
	})
}
