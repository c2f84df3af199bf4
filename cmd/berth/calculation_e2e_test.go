package main

import (
	"fmt"
	"testing"
)

// TestCalculationProperties checks that mirror and calculation properties
// are computed on read (spec 10.1): in entity reads and write answers, in searches, and
// in the trigger data automations get; excluded on request; ignored when a
// client writes back an entity it read.
func TestCalculationProperties(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "squad", "title": "Squad",
		"schema": map[string]any{"properties": map[string]any{"channel": map[string]any{"type": "string"}}},
		"calculationProperties": map[string]any{
			"loud": map[string]any{"title": "Loud", "type": "string", "calculation": ".properties.channel | ascii_upcase"},
			// Would be true, but runs past the limit a calculation has.
			"endless": map[string]any{"title": "Endless", "type": "boolean", "calculation": "[range(100000000)] | length > 0"}}}).want(t, 201)
	s.do("POST", "/v1/blueprints/squad/entities", map[string]any{"identifier": "core", "title": "Core", "properties": map[string]any{"channel": "#core"}}).want(t, 201)
	s.do("POST", "/v1/blueprints/squad/entities", map[string]any{"identifier": "edge", "title": "Edge", "properties": map[string]any{"channel": "#edge"}}).want(t, 201)
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "svc", "title": "Svc",
		"schema": map[string]any{"properties": map[string]any{"replicas": map[string]any{"type": "number"}}},
		"relations": map[string]any{
			"squad":   map[string]any{"target": "squad", "required": false, "many": false},
			"helpers": map[string]any{"target": "squad", "required": false, "many": true}},
		"mirrorProperties": map[string]any{
			"squad_channel":   map[string]any{"path": "squad.channel"},
			"squad_title":     map[string]any{"path": "squad.$title"},
			"helper_channels": map[string]any{"path": "helpers.channel"},
			"squad_loud":      map[string]any{"path": "squad.loud"}},
		"calculationProperties": map[string]any{
			"shout":   map[string]any{"title": "Shout", "type": "string", "calculation": `.properties.squad_channel + "!"`},
			"slack":   map[string]any{"title": "Slack", "type": "string", "format": "url", "calculation": `"https://slack.com/" + .identifier`},
			"doubled": map[string]any{"title": "Doubled", "type": "number", "calculation": ".properties.replicas * 2"},
			"wrong":   map[string]any{"title": "Wrong", "type": "number", "calculation": ".title"},
		}}).want(t, 201)
	a := automation("calc", "ENTITY_CREATED", map[string]any{"blueprintIdentifier": "svc"}, rc.URL)
	a["invocationMethod"].(map[string]any)["body"] = map[string]any{"slack": "{{ .event.diff.after.properties.slack }}", "channel": "{{ .event.diff.after.properties.squad_channel }}"}
	s.do("POST", "/v1/actions", a).want(t, 201)

	created := s.do("POST", "/v1/blueprints/svc/entities", map[string]any{"identifier": "api", "title": "API", "properties": map[string]any{"replicas": 3},
		"relations": map[string]any{"squad": "core", "helpers": []any{"core", "edge"}}}).want(t, 201)
	if get(created.Body, "entity.properties.slack") != "https://slack.com/api" || get(created.Body, "entity.properties.doubled") != 6.0 {
		t.Fatalf("create answer: %s", created.Raw)
	}
	got := s.do("GET", "/v1/blueprints/svc/entities/api", nil).want(t, 200)
	props := get(got.Body, "entity.properties").(map[string]any)
	if props["slack"] != "https://slack.com/api" || props["doubled"] != 6.0 || props["replicas"] != 3.0 {
		t.Fatalf("read: %s", got.Raw)
	}
	if props["squad_channel"] != "#core" || props["squad_title"] != "Core" || props["shout"] != "#core!" ||
		fmt.Sprint(props["helper_channels"]) != "[#core #edge]" || props["squad_loud"] != "#CORE" {
		t.Fatalf("mirror properties: %s", got.Raw)
	}
	if v, has := props["wrong"]; !has || v != nil {
		t.Fatalf("a result of the wrong type must read as null: %s", got.Raw)
	}
	core := s.do("GET", "/v1/blueprints/squad/entities/core", nil).want(t, 200)
	if v, has := get(core.Body, "entity.properties").(map[string]any)["endless"]; !has || v != nil {
		t.Fatalf("a calculation past its time limit must read as null: %s", core.Raw)
	}
	bare := s.do("GET", "/v1/blueprints/svc/entities/api?exclude_calculated_properties=true", nil).want(t, 200)
	if p := get(bare.Body, "entity.properties").(map[string]any); len(p) != 1 || p["replicas"] != 3.0 {
		t.Fatalf("excluded: %s", bare.Raw)
	}
	list := s.do("GET", "/v1/blueprints/svc/entities", nil).want(t, 200)
	if es := list.Body["entities"].([]any); len(es) != 1 || get(es[0], "properties.doubled") != 6.0 {
		t.Fatalf("list: %s", list.Raw)
	}
	found := s.do("POST", "/v1/blueprints/svc/entities/search", map[string]any{"query": map[string]any{"combinator": "and", "rules": []any{
		map[string]any{"property": "doubled", "operator": "=", "value": 6}}}}).want(t, 200)
	if es := found.Body["entities"].([]any); len(es) != 1 {
		t.Fatalf("search on a calculation property: %s", found.Raw)
	}

	// What was read goes back unchanged: the computed values are ignored.
	entity := got.Body["entity"].(map[string]any)
	entity["properties"].(map[string]any)["replicas"] = 4
	put := s.do("PUT", "/v1/blueprints/svc/entities/api", entity).want(t, 200)
	if get(put.Body, "entity.properties.doubled") != 8.0 {
		t.Fatalf("put answer: %s", put.Raw)
	}

	if body := rc.waitFor(t, 1)[0]; string(body.Body) != `{"channel":"#core","slack":"https://slack.com/api"}` {
		t.Fatalf("trigger data without the calculation property: %s", body.Body)
	}
}
