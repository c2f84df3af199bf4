package catalog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

// specBlueprint is the example of spec 10.1.
const specBlueprint = `{
  "identifier": "service",
  "title": "Service",
  "description": "A microservice",
  "icon": "Microservice",
  "schema": {
    "properties": {
      "language": { "type": "string", "title": "Language", "enum": ["Go", "Python"], "enumColors": { "Go": "blue", "Python": "yellow" } },
      "replicas": { "type": "number", "title": "Replicas", "minimum": 0, "default": 1 },
      "repo": { "type": "string", "format": "url", "title": "Repository" },
      "ttl": { "type": "string", "format": "timer", "title": "TTL" },
      "tags": { "type": "array", "items": { "type": "string" } },
      "config": { "type": "object" },
      "locked": { "type": "boolean", "default": false }
    },
    "required": ["language"]
  },
  "mirrorProperties": { "domain_owner": { "title": "Domain owner", "path": "domain.owner" } },
  "calculationProperties": { "slack": { "title": "Slack", "type": "string", "format": "url", "calculation": "\"https://slack.com/\" + .identifier" } },
  "aggregationProperties": {},
  "relations": { "domain": { "title": "Domain", "target": "domain", "required": false, "many": false } },
  "ownership": { "type": "Direct" },
  "changelogDestination": { "type": "WEBHOOK", "url": "https://example.com/changes", "agent": false }
}`

func TestDecodeBlueprintSpecExample(t *testing.T) {
	t.Parallel()
	bp, err := catalog.DecodeBlueprint([]byte(specBlueprint))
	if err != nil {
		t.Fatal(err)
	}
	if bp.Identifier != "service" || bp.Title != "Service" || *bp.Description != "A microservice" || *bp.Icon != "Microservice" {
		t.Errorf("header = %q %q %v %v", bp.Identifier, bp.Title, bp.Description, bp.Icon)
	}
	if got := bp.Schema.Properties["replicas"].Type(); got != "number" {
		t.Errorf("replicas type = %q", got)
	}
	if got := bp.Schema.Properties["ttl"].Format(); got != "timer" {
		t.Errorf("ttl format = %q", got)
	}
	if len(bp.Schema.Required) != 1 || bp.Schema.Required[0] != "language" {
		t.Errorf("required = %v", bp.Schema.Required)
	}
	if r := bp.Relations["domain"]; r.Target != "domain" || r.Many || r.Required || *r.Title != "Domain" {
		t.Errorf("relation = %+v", r)
	}
	if got := string(bp.MirrorProperties["domain_owner"]); got != `{"title":"Domain owner","path":"domain.owner"}` {
		t.Errorf("mirror kept as %s", got)
	}
	if got := string(bp.Ownership); got != `{"type":"Direct"}` {
		t.Errorf("ownership = %s", got)
	}
	if bp.AggregationProperties == nil || len(bp.CalculationProperties) != 1 || bp.ChangelogDestination == nil {
		t.Errorf("maps = %v %v %s", bp.AggregationProperties, bp.CalculationProperties, bp.ChangelogDestination)
	}
}

func TestDecodeBlueprintMinimal(t *testing.T) {
	t.Parallel()
	bp, err := catalog.DecodeBlueprint([]byte(`{"identifier":"svc","title":"S","schema":{"properties":{}},
		"createdAt":"2024-01-01T00:00:00.000Z","updatedBy":"someone"}`))
	if err != nil {
		t.Fatal(err)
	}
	if bp.Schema.Required == nil || bp.Relations == nil || bp.MirrorProperties == nil ||
		bp.CalculationProperties == nil || bp.AggregationProperties == nil {
		t.Errorf("absent collections should be empty, not nil: %+v", bp)
	}
	if bp.Meta != (berth.Meta{}) {
		t.Errorf("read-only fields should be ignored, got %+v", bp.Meta)
	}
	out, _ := json.Marshal(bp)
	if !strings.Contains(string(out), `"required":[]`) || strings.Contains(string(out), "null") {
		t.Errorf("encoded = %s", out)
	}
}

func TestDecodeBlueprintIdentifiers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want string // "" when valid, else part of the message
	}{
		{"service", ""},
		{"my.service:v1+x@a_b/c\\d-e", ""},
		{"服务", ""},
		{"...", ""},
		{".", `"." or ".."`},
		{"..", `"." or ".."`},
		{"", "must not be empty"},
		{"a b", "may only contain"},
		{"a=b", "may only contain"},
		{strings.Repeat("a", 101), "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(map[string]any{"identifier": tt.id, "title": "T", "schema": map[string]any{"properties": map[string]any{}}})
			_, err := catalog.DecodeBlueprint(body)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid identifier refused: %v", err)
				}
				return
			}
			wantFields(t, err, map[string]string{"/identifier": tt.want})
		})
	}
}

func TestDecodeBlueprintProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"required fields", `{}`, map[string]string{
			"/identifier": "is required", "/title": "is required", "/schema": "is required"}},
		{"wrong types", `{"identifier":1,"title":true,"description":3,"icon":[],"schema":"x"}`, map[string]string{
			"/identifier": "must be a string", "/title": "must be a string", "/description": "must be a string",
			"/icon": "must be a string", "/schema": "must be an object"}},
		{"title limits", `{"identifier":"a","title":"","schema":{"properties":{}}}`, map[string]string{"/title": "must not be empty"}},
		{"title too long", `{"identifier":"a","title":"` + strings.Repeat("t", 101) + `","schema":{"properties":{}}}`,
			map[string]string{"/title": "at most 100"}},
		{"description too long", `{"identifier":"a","title":"A","description":"` + strings.Repeat("d", 201) + `","schema":{"properties":{}}}`,
			map[string]string{"/description": "at most 200"}},
		{"unknown field", `{"identifier":"a","title":"A","schema":{"properties":{}},"teamInheritance":{}}`,
			map[string]string{"/teamInheritance": "is not a blueprint field"}},
		{"schema keys", `{"identifier":"a","title":"A","schema":{"type":"object","required":"x"}}`, map[string]string{
			"/schema/type": "is not a schema field", "/schema/properties": "is required", "/schema/required": "must be an array"}},
		{"required names", `{"identifier":"a","title":"A","schema":{"properties":{"x":{"type":"string"}},"required":["x","y",3,"x"]}}`,
			map[string]string{"/schema/required/1": `"y"`, "/schema/required/2": "must be a property identifier", "/schema/required/3": "twice"}},
		{"property id", `{"identifier":"a","title":"A","schema":{"properties":{"bad id":{"type":"string"},"ok.dot":{"type":"string"}}}}`,
			map[string]string{"/schema/properties/bad id": "not a valid property identifier", "/schema/properties/ok.dot": "may only contain"}},
		{"property not object", `{"identifier":"a","title":"A","schema":{"properties":{"x":"string"}}}`,
			map[string]string{"/schema/properties/x": "must be an object"}},
		{"type", `{"identifier":"a","title":"A","schema":{"properties":{"x":{},"y":{"type":"integer"}}}}`, map[string]string{
			"/schema/properties/x/type": "is required", "/schema/properties/y/type": `not "integer"`}},
		{"format", `{"identifier":"a","title":"A","schema":{"properties":{
			"x":{"type":"string","format":"uri"},"y":{"type":"number","format":"timer"},"z":{"type":"string","format":"labeled-url"}}}}`,
			map[string]string{"/schema/properties/x/format": "must be one of", "/schema/properties/y/format": "applies to string properties",
				"/schema/properties/z/format": "applies to object properties"}},
		{"unknown property key", `{"identifier":"a","title":"A","schema":{"properties":{"x":{"type":"string","required":true}}}}`,
			map[string]string{"/schema/properties/x/required": "is not a property setting"}},
		{"property title", `{"identifier":"a","title":"A","schema":{"properties":{"x":{"type":"string","title":5}}}}`,
			map[string]string{"/schema/properties/x/title": "must be a string"}},
		{"default type", `{"identifier":"a","title":"A","schema":{"properties":{"replicas":{"type":"number","default":"one"}}}}`,
			map[string]string{"/schema/properties/replicas/default": "must be a number, not a string"}},
		{"default rules", `{"identifier":"a","title":"A","schema":{"properties":{
			"r":{"type":"number","minimum":0,"default":-1},
			"l":{"type":"string","enum":["Go"],"default":"Rust"},
			"u":{"type":"string","format":"url","default":"not a url"}}}}`,
			map[string]string{"/schema/properties/r/default": "at least 0", "/schema/properties/l/default": `one of "Go"`,
				"/schema/properties/u/default": "absolute URL"}},
		{"enum", `{"identifier":"a","title":"A","schema":{"properties":{"x":{"type":"string","enum":["a",1]},"y":{"type":"string","enum":[]}}}}`,
			map[string]string{"/schema/properties/x/enum/1": "must be a string", "/schema/properties/y/enum": "non-empty array"}},
		{"keyword for wrong type", `{"identifier":"a","title":"A","schema":{"properties":{
			"n":{"type":"number","minLength":1,"pattern":"x"},"s":{"type":"string","minimum":1,"items":{"type":"string"}}}}}`,
			map[string]string{"/schema/properties/n/minLength": "string properties only", "/schema/properties/n/pattern": "string properties only",
				"/schema/properties/s/minimum": "number properties only", "/schema/properties/s/items": "array properties only"}},
		{"limits", `{"identifier":"a","title":"A","schema":{"properties":{
			"s":{"type":"string","minLength":5,"maxLength":2},"t":{"type":"string","maxLength":-1},
			"n":{"type":"number","minimum":5,"maximum":1},"a":{"type":"array","minItems":1.5}}}}`,
			map[string]string{"/schema/properties/s/minLength": "greater than maxLength", "/schema/properties/t/maxLength": "whole number",
				"/schema/properties/n/minimum": "greater than maximum", "/schema/properties/a/minItems": "whole number"}},
		{"pattern", `{"identifier":"a","title":"A","schema":{"properties":{"s":{"type":"string","pattern":"^(?=a)"}}}}`,
			map[string]string{"/schema/properties/s/pattern": "RE2"}},
		{"items", `{"identifier":"a","title":"A","schema":{"properties":{"a":{"type":"array","items":{"type":"strin"}}}}}`,
			map[string]string{"/schema/properties/a/items/type": "must be one of"}},
		{"spec", `{"identifier":"a","title":"A","schema":{"properties":{"s":{"type":"string","spec":"swagger","specAuthentication":{"secret":"x"}}}}}`,
			map[string]string{"/schema/properties/s/spec": "open-api", "/schema/properties/s/specAuthentication/secret": "not a specAuthentication setting"}},
		{"relations", `{"identifier":"a","title":"A","schema":{"properties":{}},"relations":{
			"both":{"target":"b","many":true,"required":true},"nt":{"many":false},"bad":{"target":"b","kind":"x","many":"yes"},"s":"b"}}`,
			map[string]string{"/relations/both/required": "both required and many", "/relations/nt/target": "is required",
				"/relations/bad/kind": "is not a relation field", "/relations/bad/many": "true or false", "/relations/s": "must be an object"}},
		{"mirror", `{"identifier":"a","title":"A","schema":{"properties":{}},"relations":{"domain":{"target":"d"}},"mirrorProperties":{
			"m1":{"title":"x"},"m2":{"path":"owner"},"m3":{"path":"team.owner"},"m4":{"path":"domain.owner","x":1}}}`,
			map[string]string{"/mirrorProperties/m1/path": "is required", "/mirrorProperties/m2/path": "<relation>",
				"/mirrorProperties/m3/path": `"team" is not one`, "/mirrorProperties/m4/x": "is not a mirror property field"}},
		{"calculation", `{"identifier":"a","title":"A","schema":{"properties":{}},"calculationProperties":{
			"c1":{"title":"x","type":"string"},"c2":{"type":"int","calculation":".identifier"},"c3":{"type":"string","format":"nope","calculation":"."},
			"c4":{"type":"string","calculation":".identifier +"}}}`,
			map[string]string{"/calculationProperties/c1/calculation": "is required", "/calculationProperties/c2/type": "must be one of",
				"/calculationProperties/c3/format": "must be one of", "/calculationProperties/c4/calculation": "not a valid jq expression"}},
		{"aggregation", `{"identifier":"a","title":"A","schema":{"properties":{}},"aggregationProperties":{"g":3}}`,
			map[string]string{"/aggregationProperties/g": "must be an object"}},
		{"clash", `{"identifier":"a","title":"A","schema":{"properties":{"x":{"type":"string"}}},"calculationProperties":{"x":{"type":"string","calculation":"."}}}`,
			map[string]string{"/calculationProperties/x": "already defined in schema.properties"}},
		{"ownership", `{"identifier":"a","title":"A","schema":{"properties":{}},"ownership":{"type":"Inherited"}}`,
			map[string]string{"/ownership/path": "is required"}},
		{"ownership type", `{"identifier":"a","title":"A","schema":{"properties":{}},"ownership":{"type":"Shared"}}`,
			map[string]string{"/ownership/type": `"Direct" or "Inherited"`}},
		{"changelog", `{"identifier":"a","title":"A","schema":{"properties":{}},"changelogDestination":{"type":"WEBHOOK","url":"nope"}}`,
			map[string]string{"/changelogDestination/url": "absolute URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bp, err := catalog.DecodeBlueprint([]byte(tt.body))
			if bp != nil {
				t.Errorf("got a blueprint with an error")
			}
			wantFields(t, err, tt.want)
		})
	}
}

func TestDecodeBlueprintReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := catalog.DecodeBlueprint([]byte(`{"identifier":"..","title":"","schema":{"properties":{"x":{"type":"nope"}}},"extra":1}`))
	got := fieldErrors(t, err, berth.CodeUnprocessable)
	if len(got) != 4 {
		t.Errorf("got %d problems, want 4: %v", len(got), got)
	}
	if msg := err.Error(); !strings.Contains(msg, "and 3 more problems") {
		t.Errorf("message = %q", msg)
	}
}

func TestDecodeBlueprintNotJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		code berth.Code
	}{
		{`{"identifier":`, berth.CodeInvalid},
		{``, berth.CodeInvalid},
		{`{} {}`, berth.CodeInvalid},
		{`[]`, berth.CodeUnprocessable},
		{`null`, berth.CodeUnprocessable},
		{`"blueprint"`, berth.CodeUnprocessable},
	}
	for _, tt := range tests {
		_, err := catalog.DecodeBlueprint([]byte(tt.body))
		fieldErrors(t, err, tt.code)
	}
}

func TestCheckRelationTargets(t *testing.T) {
	t.Parallel()
	bp, err := catalog.DecodeBlueprint([]byte(`{"identifier":"service","title":"S","schema":{"properties":{}},
		"relations":{"self":{"target":"service"},"domain":{"target":"domain"},"team":{"target":"squad","many":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	exists := func(id string) bool { return id == "domain" }
	err = catalog.CheckRelationTargets(bp, exists)
	got := fieldErrors(t, err, berth.CodeUnprocessable)
	if len(got) != 1 || !strings.Contains(got["/relations/team/target"], `"squad"`) {
		t.Errorf("problems = %v, want only /relations/team/target", got)
	}
	if err := catalog.CheckRelationTargets(bp, func(string) bool { return true }); err != nil {
		t.Errorf("all targets exist: %v", err)
	}
}
