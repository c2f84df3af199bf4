package main

import (
	"testing"
)

func selfService(id string) map[string]any {
	return map[string]any{
		"identifier": id, "title": "Deploy",
		"trigger": map[string]any{"type": "self-service", "operation": "DAY-2", "blueprintIdentifier": "service",
			"userInputs": map[string]any{"properties": map[string]any{
				"version": map[string]any{"type": "string"},
				"target":  map[string]any{"type": "string", "format": "entity", "blueprint": "service"},
			}, "required": []string{"version"}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": "https://example.com/deploy",
			"body": map[string]any{"{{ spreadValue() }}": "{{ .inputs }}", "runId": "{{ .run.id }}"}},
		"requiredApproval": map[string]any{"type": "ANY"},
	}
}

func TestActionsCRUD(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	created := s.do("POST", "/v1/actions", selfService("deploy")).want(t, 201)
	a := created.Body["action"]
	if get(a, "identifier") != "deploy" || get(a, "trigger.operation") != "DAY-2" || get(a, "createdAt") == nil ||
		get(a, "id") == nil || get(a, "invocationMethod.body.{{ spreadValue() }}") != "{{ .inputs }}" {
		t.Fatalf("created: %s", created.Raw)
	}
	s.do("POST", "/v1/actions", selfService("deploy")).wantError(t, 409, "")
	// Identifiers are unique across self-service actions and automations.
	s.do("POST", "/v1/actions", onService("deploy", "ENTITY_CREATED", "https://example.com")).wantError(t, 409, "")
	s.do("POST", "/v1/actions", onService("notify", "ENTITY_UPDATED", "https://example.com")).want(t, 201)
	off := onService("quiet", "ENTITY_DELETED", "https://example.com")
	off["publish"] = false
	s.do("POST", "/v1/actions", off).want(t, 201)

	for query, want := range map[string][]string{
		"":                              {"deploy", "notify", "quiet"},
		"?trigger_type=automation":      {"notify", "quiet"},
		"?trigger_type=self-service":    {"deploy"},
		"?trigger_event=ENTITY_UPDATED": {"notify"},
		"?published=false":              {"quiet"},
		"?blueprint_identifier=service": {"deploy", "notify", "quiet"},
		"?action_identifier=notify":     {"notify"},
		"?operation=DAY-2":              {"deploy"},
		"?action_identifier[]=notify&action_identifier[]=quiet": {"notify", "quiet"},
	} {
		r := s.do("GET", "/v1/actions"+query, nil).want(t, 200)
		var got []string
		for _, a := range r.Body["actions"].([]any) {
			got = append(got, get(a, "identifier").(string))
		}
		if len(got) != len(want) {
			t.Errorf("GET /v1/actions%s = %v, want %v", query, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("GET /v1/actions%s = %v, want %v", query, got, want)
				break
			}
		}
	}
	s.do("GET", "/v1/actions?trigger_event=SOMETHING", nil).wantError(t, 422, "trigger_event")
	s.do("GET", "/v1/actions?operation=DAY-3", nil).wantError(t, 422, "operation")

	updated := selfService("deploy")
	updated["title"] = "Deploy it"
	r := s.do("PUT", "/v1/actions/deploy", updated).want(t, 200)
	if get(r.Body, "action.title") != "Deploy it" || get(r.Body, "action.createdAt") != get(a, "createdAt") {
		t.Fatalf("PUT: %s", r.Raw)
	}
	s.do("PUT", "/v1/actions/deploy", selfService("other")).wantError(t, 422, "/identifier")
	s.do("PUT", "/v1/actions/nope", selfService("nope")).wantError(t, 404, "")
	s.do("DELETE", "/v1/actions/deploy", nil).want(t, 200)
	s.do("GET", "/v1/actions/deploy", nil).wantError(t, 404, "")
	s.do("DELETE", "/v1/actions/deploy", nil).wantError(t, 404, "")
}

func TestActionValidation(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/actions", onService("exists", "ENTITY_CREATED", "https://example.com")).want(t, 201)
	mutate := func(base map[string]any, f func(m map[string]any)) map[string]any {
		m := deepCopy(base)
		f(m)
		return m
	}
	auto := onService("a", "ENTITY_CREATED", "https://example.com")
	ss := selfService("s")
	for name, tc := range map[string]struct {
		body  any
		field string
	}{
		"unknown top-level field": {mutate(auto, func(m map[string]any) { m["colour"] = "red" }), "/colour"},
		"missing trigger":         {mutate(auto, func(m map[string]any) { delete(m, "trigger") }), "/trigger"},
		"missing invocation":      {mutate(auto, func(m map[string]any) { delete(m, "invocationMethod") }), "/invocationMethod"},
		"bad identifier":          {mutate(auto, func(m map[string]any) { m["identifier"] = "a b" }), "/identifier"},
		"unknown event type":      {mutate(auto, func(m map[string]any) { get(m, "trigger.event").(map[string]any)["type"] = "ENTITY_RENAMED" }), "/trigger/event/type"},
		"event with action key": {mutate(auto, func(m map[string]any) {
			get(m, "trigger.event").(map[string]any)["actionIdentifier"] = "exists"
		}), "/trigger/event/actionIdentifier"},
		"run event without action": {mutate(auto, func(m map[string]any) {
			m["trigger"].(map[string]any)["event"] = map[string]any{"type": "RUN_CREATED"}
		}), "/trigger/event/actionIdentifier"},
		"timer on no timer": {mutate(auto, func(m map[string]any) {
			m["trigger"].(map[string]any)["event"] = map[string]any{"type": "TIMER_PROPERTY_EXPIRED", "blueprintIdentifier": "service", "propertyIdentifier": "status"}
		}), "/trigger/event/propertyIdentifier"},
		"timer on no property": {mutate(auto, func(m map[string]any) {
			m["trigger"].(map[string]any)["event"] = map[string]any{"type": "TIMER_PROPERTY_EXPIRED", "blueprintIdentifier": "service", "propertyIdentifier": "nope"}
		}), "/trigger/event/propertyIdentifier"},
		"timer without property": {mutate(auto, func(m map[string]any) { get(m, "trigger.event").(map[string]any)["type"] = "TIMER_PROPERTY_EXPIRED" }), "/trigger/event/propertyIdentifier"},
		"unknown blueprint":      {mutate(auto, func(m map[string]any) { get(m, "trigger.event").(map[string]any)["blueprintIdentifier"] = "ghost" }), "/trigger/event/blueprintIdentifier"},
		"unknown action": {mutate(auto, func(m map[string]any) {
			m["trigger"].(map[string]any)["event"] = map[string]any{"type": "RUN_UPDATED", "actionIdentifier": "ghost"}
		}), "/trigger/event/actionIdentifier"},
		"uncompilable condition": {mutate(auto, func(m map[string]any) {
			m["trigger"].(map[string]any)["condition"] = map[string]any{"type": "JQ", "expressions": []string{".a ==", ".b"}}
		}), "/trigger/condition/expressions/0"},
		"bad combinator": {mutate(auto, func(m map[string]any) {
			m["trigger"].(map[string]any)["condition"] = map[string]any{"type": "JQ", "expressions": []string{}, "combinator": "xor"}
		}), "/trigger/condition/combinator"},
		"uncompilable template": {mutate(auto, func(m map[string]any) {
			m["invocationMethod"].(map[string]any)["body"] = map[string]any{"x": map[string]any{"y": "{{ .a | }}"}}
		}), "/invocationMethod/body/x/y"},
		"malformed template": {mutate(auto, func(m map[string]any) {
			m["invocationMethod"].(map[string]any)["headers"] = map[string]any{"H": "{{ .a"}
		}), "/invocationMethod/headers/H"},
		"unknown backend":        {mutate(auto, func(m map[string]any) { m["invocationMethod"].(map[string]any)["type"] = "FAX" }), "/invocationMethod/type"},
		"webhook without url":    {mutate(auto, func(m map[string]any) { delete(m["invocationMethod"].(map[string]any), "url") }), "/invocationMethod/url"},
		"url not a url":          {mutate(auto, func(m map[string]any) { m["invocationMethod"].(map[string]any)["url"] = "not a url" }), "/invocationMethod/url"},
		"url not http":           {mutate(auto, func(m map[string]any) { m["invocationMethod"].(map[string]any)["url"] = "ftp://example.com/x" }), "/invocationMethod/url"},
		"bad method":             {mutate(auto, func(m map[string]any) { m["invocationMethod"].(map[string]any)["method"] = "FETCH" }), "/invocationMethod/method"},
		"publish not boolean":    {mutate(auto, func(m map[string]any) { m["publish"] = "yes" }), "/publish"},
		"self-service no inputs": {mutate(ss, func(m map[string]any) { delete(m["trigger"].(map[string]any), "userInputs") }), "/trigger/userInputs"},
		"bad operation":          {mutate(ss, func(m map[string]any) { m["trigger"].(map[string]any)["operation"] = "UPDATE" }), "/trigger/operation"},
		"entity input without blueprint": {mutate(ss, func(m map[string]any) {
			delete(get(m, "trigger.userInputs.properties.target").(map[string]any), "blueprint")
		}), "/trigger/userInputs/properties/target/blueprint"},
		"required input undefined": {mutate(ss, func(m map[string]any) {
			get(m, "trigger.userInputs").(map[string]any)["required"] = []string{"ghost"}
		}), "/trigger/userInputs/required/0"},
		"bad approval": {mutate(ss, func(m map[string]any) { m["requiredApproval"] = map[string]any{"type": "SOME"} }), "/requiredApproval/type"},
		"button too long": {mutate(ss, func(m map[string]any) {
			m["trigger"].(map[string]any)["actionCardButtonText"] = "Deploy this service now"
		}), "/trigger/actionCardButtonText"},
		"automation keys on self-service": {mutate(ss, func(m map[string]any) {
			m["trigger"].(map[string]any)["event"] = map[string]any{"type": "ENTITY_CREATED"}
		}), "/trigger/event"},
	} {
		t.Run(name, func(t *testing.T) {
			s.do("POST", "/v1/actions", tc.body).wantError(t, 422, tc.field)
		})
	}
	s.do("POST", "/v1/actions", `{"identifier":`).wantError(t, 400, "")
	if n := len(s.do("GET", "/v1/actions", nil).Body["actions"].([]any)); n != 1 {
		t.Fatalf("refused definitions were stored: %d actions", n)
	}
}

func deepCopy(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			out[k] = deepCopy(v)
		default:
			out[k] = v
		}
	}
	return out
}
