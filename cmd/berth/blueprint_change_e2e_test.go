package main

import (
	"strings"
	"testing"
)

// TestRemovedPropertyTakesItsValues removes a property and a relation from
// a blueprint that has entities: their values go with them, and the
// entities stay editable (a title-only PATCH used to fail validation on the
// leftover value).
func TestRemovedPropertyTakesItsValues(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "squad", "title": "Squad", "schema": map[string]any{"properties": map[string]any{}}}).want(t, 201)
	svc := map[string]any{"identifier": "svc", "title": "Svc",
		"schema": map[string]any{"properties": map[string]any{
			"language": map[string]any{"type": "string"}, "tier": map[string]any{"type": "number"}}},
		"relations": map[string]any{"squad": map[string]any{"target": "squad", "required": false, "many": false}}}
	s.do("POST", "/v1/blueprints", svc).want(t, 201)
	s.do("POST", "/v1/blueprints/squad/entities", map[string]any{"identifier": "core"}).want(t, 201)
	s.do("POST", "/v1/blueprints/svc/entities", map[string]any{"identifier": "a", "title": "A",
		"properties": map[string]any{"language": "Go", "tier": 1}, "relations": map[string]any{"squad": "core"}}).want(t, 201)
	s.do("POST", "/v1/blueprints/svc/entities", map[string]any{"identifier": "b", "properties": map[string]any{"tier": 2}}).want(t, 201)

	svc["schema"] = map[string]any{"properties": map[string]any{"tier": map[string]any{"type": "number"}}}
	svc["relations"] = map[string]any{}
	s.do("PUT", "/v1/blueprints/svc", svc).want(t, 200)

	a := s.do("GET", "/v1/blueprints/svc/entities/a", nil).want(t, 200)
	if _, has := get(a.Body, "entity.properties").(map[string]any)["language"]; has || get(a.Body, "entity.properties.tier") != 1.0 {
		t.Fatalf("properties after the removal: %s", a.Raw)
	}
	if rels := get(a.Body, "entity.relations").(map[string]any); len(rels) != 0 {
		t.Fatalf("relations after the removal: %s", a.Raw)
	}
	if get(a.Body, "entity.updatedAt") != get(a.Body, "entity.createdAt") {
		t.Fatalf("the removal is not an edit of the entity: %s", a.Raw)
	}
	s.do("PATCH", "/v1/blueprints/svc/entities/a", map[string]any{"title": "A2"}).want(t, 200)
	s.do("PATCH", "/v1/blueprints/svc/entities/b", map[string]any{"title": "B2"}).want(t, 200)
	s.do("PATCH", "/v1/blueprints/svc/entities/a", map[string]any{"properties": map[string]any{"language": "Go"}}).wantError(t, 422, "/properties/language")
}

// TestMissingRelatedEntityThatCannotBeEmpty checks the error when the stub
// create_missing_related_entities would make is itself invalid: it names
// the stub, not the entity of the request.
func TestMissingRelatedEntityThatCannotBeEmpty(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "domain", "title": "Domain",
		"schema": map[string]any{"properties": map[string]any{"owner": map[string]any{"type": "string"}}, "required": []string{"owner"}}}).want(t, 201)
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "app", "title": "App", "schema": map[string]any{"properties": map[string]any{}},
		"relations": map[string]any{"domain": map[string]any{"target": "domain", "required": false, "many": false}}}).want(t, 201)
	r := s.do("POST", "/v1/blueprints/app/entities?create_missing_related_entities=true",
		map[string]any{"identifier": "a1", "relations": map[string]any{"domain": "payments"}})
	r.wantError(t, 422, "")
	if msg := r.Body["message"].(string); !strings.Contains(msg, "domain/payments") || !strings.Contains(msg, "/properties/owner") {
		t.Fatalf("error: %s", r.Raw)
	}
	s.do("GET", "/v1/blueprints/app/entities/a1", nil).wantError(t, 404, "")
}

// TestInvalidUTF8IsRefused checks that a body with bytes that are not UTF-8
// is refused rather than stored with U+FFFD in their place.
func TestInvalidUTF8IsRefused(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/blueprints/service/entities", "{\"identifier\":\"bad\",\"title\":\"a\xffb\"}").wantError(t, 400, "")
	s.do("GET", "/v1/blueprints/service/entities/bad", nil).wantError(t, 404, "")
	s.do("POST", "/v1/blueprints/service/entities", "{\"identifier\":\"good\",\"title\":\"Zürich ✓\"}").want(t, 201)
}
