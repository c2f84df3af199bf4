package catalog_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

// specEntity is the example of spec 10.2.
const specEntity = `{
  "identifier": "svc-a",
  "title": "Service A",
  "icon": "Microservice",
  "blueprint": "service",
  "team": ["platform"],
  "properties": { "language": "Go", "replicas": 3, "ttl": "2026-02-01T00:00:00.000Z" },
  "relations": { "domain": "payments", "dependsOn": ["svc-b", "svc-c"] },
  "createdAt": "2024-06-09T09:57:52.931Z",
  "createdBy": "auth0|123",
  "updatedAt": "2024-06-09T12:28:18.628Z",
  "updatedBy": "auth0|123"
}`

func TestDecodeEntitySpecExample(t *testing.T) {
	t.Parallel()
	e, err := catalog.DecodeEntity([]byte(specEntity), "service")
	if err != nil {
		t.Fatal(err)
	}
	want := &berth.Entity{
		Identifier: "svc-a", Title: ptrTo("Service A"), Icon: ptrTo("Microservice"), Blueprint: "service",
		Team:       []string{"platform"},
		Properties: map[string]any{"language": "Go", "replicas": 3.0, "ttl": "2026-02-01T00:00:00.000Z"},
		Relations:  map[string]any{"domain": "payments", "dependsOn": []any{"svc-b", "svc-c"}},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
}

func TestDecodeEntityShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *berth.Entity
	}{
		{"empty body", `{}`, &berth.Entity{Blueprint: "svc", Team: []string{}, Properties: map[string]any{}, Relations: map[string]any{}}},
		{"team as a string", `{"identifier":"a","team":"platform"}`,
			&berth.Entity{Identifier: "a", Blueprint: "svc", Team: []string{"platform"}, Properties: map[string]any{}, Relations: map[string]any{}}},
		{"nulls", `{"identifier":null,"title":null,"icon":null,"team":null,"properties":null,"relations":{"d":null}}`,
			&berth.Entity{Blueprint: "svc", Team: []string{}, Properties: map[string]any{}, Relations: map[string]any{"d": nil}}},
		{"empty identifier means absent (fuzz: a stored entity without one must decode)", `{"identifier":"","blueprint":"svc"}`,
			&berth.Entity{Blueprint: "svc", Team: []string{}, Properties: map[string]any{}, Relations: map[string]any{}}},
		{"identifier with = and unicode", `{"identifier":"a=b/ü"}`,
			&berth.Entity{Identifier: "a=b/ü", Blueprint: "svc", Team: []string{}, Properties: map[string]any{}, Relations: map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := catalog.DecodeEntity([]byte(tt.body), "svc")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(e, tt.want) {
				t.Errorf("got  %+v\nwant %+v", e, tt.want)
			}
		})
	}
}

func TestDecodeEntityProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"unknown field", `{"identifier":"a","scorecards":{}}`, map[string]string{"/scorecards": "is not an entity field"}},
		{"identifier", `{"identifier":".."}`, map[string]string{"/identifier": `"." or ".."`}},
		{"identifier chars", `{"identifier":"a b"}`, map[string]string{"/identifier": "may only contain"}},
		{"identifier length", `{"identifier":"` + strings.Repeat("x", 1001) + `"}`, map[string]string{"/identifier": "at most 1000"}},
		{"identifier type", `{"identifier":7}`, map[string]string{"/identifier": "must be a string"}},
		{"title and icon", `{"title":1,"icon":{}}`, map[string]string{"/title": "must be a string", "/icon": "must be a string"}},
		{"blueprint mismatch", `{"blueprint":"other"}`, map[string]string{"/blueprint": `blueprint "svc"`}},
		{"team", `{"team":3}`, map[string]string{"/team": "team identifier"}},
		{"team items", `{"team":["a",""]}`, map[string]string{"/team/1": "must not be empty"}},
		{"properties", `{"properties":[1]}`, map[string]string{"/properties": "must be an object"}},
		{"relations", `{"relations":"x"}`, map[string]string{"/relations": "must be an object"}},
		{"relation values", `{"relations":{"a":3,"b":[1,"ok","a b"],"c":{"combinator":"and","rules":[]},"d/e":".."}}`, map[string]string{
			"/relations/a": "an array of them, or null", "/relations/b/0": "must be an entity identifier",
			"/relations/b/2": "not a valid entity identifier", "/relations/c": "search queries", "/relations/d~1e": "not a valid entity identifier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := catalog.DecodeEntity([]byte(tt.body), "svc")
			wantFields(t, err, tt.want)
			_, err = catalog.DecodeEntityPatch([]byte(tt.body), "svc")
			wantFields(t, err, tt.want)
		})
	}
}

func TestDecodeEntityNotJSON(t *testing.T) {
	t.Parallel()
	_, err := catalog.DecodeEntity([]byte(`{"identifier":"a",}`), "svc")
	fieldErrors(t, err, berth.CodeInvalid)
	_, err = catalog.DecodeEntity([]byte(`["a"]`), "svc")
	fieldErrors(t, err, berth.CodeUnprocessable)
	_, err = catalog.DecodeEntityPatch([]byte(`nope`), "svc")
	fieldErrors(t, err, berth.CodeInvalid)
	_, err = catalog.DecodeEntity([]byte(`{"properties":{"n":1e400}}`), "svc")
	if got := fieldErrors(t, err, berth.CodeUnprocessable); !strings.Contains(got[""], "too large") {
		t.Errorf("out-of-range number: %v", got)
	}
}

func TestEntityPatchApply(t *testing.T) {
	t.Parallel()
	old := func() *berth.Entity {
		e, err := catalog.DecodeEntity([]byte(specEntity), "service")
		if err != nil {
			t.Fatal(err)
		}
		e.Meta = berth.Meta{CreatedBy: "auth0|123"}
		return e
	}
	tests := []struct {
		name  string
		patch string
		want  func(e *berth.Entity)
	}{
		{"nothing", `{}`, func(e *berth.Entity) {}},
		{"properties merged", `{"properties":{"replicas":5,"language":null,"new":"x"}}`, func(e *berth.Entity) {
			e.Properties["replicas"] = 5.0
			e.Properties["language"] = nil
			e.Properties["new"] = "x"
		}},
		{"relations merged", `{"relations":{"domain":null,"owner":"me"}}`, func(e *berth.Entity) {
			e.Relations["domain"] = nil
			e.Relations["owner"] = "me"
		}},
		{"title cleared, team replaced", `{"title":null,"team":"sre"}`, func(e *berth.Entity) {
			e.Title = nil
			e.Team = []string{"sre"}
		}},
		{"renamed", `{"identifier":"svc-renamed","icon":"Go"}`, func(e *berth.Entity) {
			e.Identifier = "svc-renamed"
			e.Icon = ptrTo("Go")
		}},
		{"null identifier keeps the old one", `{"identifier":null}`, func(e *berth.Entity) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := catalog.DecodeEntityPatch([]byte(tt.patch), "service")
			if err != nil {
				t.Fatal(err)
			}
			stored := old()
			got := p.Apply(stored)
			want := old()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(stored, old()) {
				t.Error("Apply modified the stored entity")
			}
		})
	}
}

func TestEntityPatchApplyToNothing(t *testing.T) {
	t.Parallel()
	p, err := catalog.DecodeEntityPatch([]byte(`{"identifier":"new","properties":{"a":1}}`), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if p.Identifier() != "new" {
		t.Errorf("Identifier() = %q", p.Identifier())
	}
	got := p.Apply(nil)
	want := &berth.Entity{Identifier: "new", Blueprint: "svc", Team: []string{},
		Properties: map[string]any{"a": 1.0}, Relations: map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestValidateIdentifiers(t *testing.T) {
	t.Parallel()
	if err := catalog.ValidateEntityIdentifier("a=b"); err != nil {
		t.Error(err)
	}
	wantFields(t, catalog.ValidateEntityIdentifier("."), map[string]string{"/identifier": `"."`})
	wantFields(t, catalog.ValidateBlueprintIdentifier("a=b"), map[string]string{"/identifier": "may only contain"})
	if err := catalog.ValidateBlueprintIdentifier("_user"); err != nil {
		t.Error(err)
	}
}
