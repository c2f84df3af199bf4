package main

import (
	"strings"
	"testing"
)

// startEngine starts berth allowed to call loopback receivers, with a
// "service" blueprint that has a timer property.
func startEngine(t *testing.T, env ...string) *testServer {
	t.Helper()
	s := startServer(t, append([]string{"BERTH_ALLOW_PRIVATE_TARGETS", "true"}, env...)...)
	s.do("POST", "/v1/blueprints", map[string]any{
		"identifier": "service", "title": "Service",
		"schema": map[string]any{"properties": map[string]any{
			"status": map[string]any{"type": "string"},
			"tier":   map[string]any{"type": "number"},
			"ttl":    map[string]any{"type": "string", "format": "timer"},
		}},
	}).want(t, 201)
	return s
}

// automation returns an automation definition that POSTs the whole trigger
// data to url.
func automation(id, event string, target map[string]any, url string) map[string]any {
	ev := map[string]any{"type": event}
	for k, v := range target {
		ev[k] = v
	}
	return map[string]any{
		"identifier": id, "title": "Auto " + id,
		"trigger": map[string]any{"type": "automation", "event": ev},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": url,
			"headers": map[string]any{"X-Run": "{{ .run.id }}"}, "body": "{{ . }}"},
		"publish": true,
	}
}

func onService(id, event, url string) map[string]any {
	return automation(id, event, map[string]any{"blueprintIdentifier": "service"}, url)
}

func TestEntityEventsFireWithTriggerData(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	for _, ev := range []string{"ENTITY_CREATED", "ENTITY_UPDATED", "ENTITY_DELETED", "ANY_ENTITY_CHANGE"} {
		s.do("POST", "/v1/actions", onService(strings.ToLower(ev), ev, rc.URL)).want(t, 201)
	}
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "svc", "title": "Svc", "properties": map[string]any{"status": "new"}}).want(t, 201)
	s.do("PATCH", "/v1/blueprints/service/entities/svc", map[string]any{"properties": map[string]any{"status": "live"}}).want(t, 200)
	s.do("DELETE", "/v1/blueprints/service/entities/svc", nil).want(t, 200)
	got := rc.waitFor(t, 6) // created, updated, deleted + any × 3
	rc.quiet(t, 6)

	byAutomation := map[string][]received{}
	for _, r := range got {
		id := get(r.JSON, "action.identifier").(string)
		byAutomation[id] = append(byAutomation[id], r)
	}
	if len(byAutomation["entity_created"]) != 1 || len(byAutomation["entity_updated"]) != 1 ||
		len(byAutomation["entity_deleted"]) != 1 || len(byAutomation["any_entity_change"]) != 3 {
		t.Fatalf("fired: %v", counts(byAutomation))
	}
	upd := byAutomation["entity_updated"][0]
	td := upd.JSON
	checks := map[string]any{
		"inputs": nil, "entity": nil, "trigger.origin": "AUTOMATION", "trigger.by.orgId": "org_test",
		"trigger.by.userId": testClientID, "event.action": "UPDATE", "event.resourceType": "entity",
		"event.trigger.origin": "API", "event.context.blueprintIdentifier": "service",
		"event.context.entityIdentifier": "svc", "event.context.propertyIdentifier": nil,
		"event.diff.before.properties.status": "new", "event.diff.after.properties.status": "live",
		"event.diff.after.title": "Svc", "event.diff.after.blueprint": "service", "action.identifier": "entity_updated",
	}
	for path, want := range checks {
		if got := get(td, path); got != want {
			t.Errorf("trigger data %s = %v, want %v", path, got, want)
		}
	}
	runID, _ := get(td, "run.id").(string)
	if !strings.HasPrefix(runID, "r_") || len(runID) != 18 || upd.Header.Get("X-Run") != runID {
		t.Errorf("run id %q (header %q)", runID, upd.Header.Get("X-Run"))
	}
	if id, _ := get(td, "event.id").(string); !strings.HasPrefix(id, "event_") {
		t.Errorf("event.id = %v", get(td, "event.id"))
	}
	cr := byAutomation["entity_created"][0].JSON
	if get(cr, "event.action") != "CREATE" || get(cr, "event.diff.before") != nil || get(cr, "event.diff.after.identifier") != "svc" {
		t.Errorf("create trigger data: %v", get(cr, "event"))
	}
	del := byAutomation["entity_deleted"][0].JSON
	if get(del, "event.action") != "DELETE" || get(del, "event.diff.after") != nil || get(del, "event.diff.before.identifier") != "svc" {
		t.Errorf("delete trigger data: %v", get(del, "event"))
	}

	// The run is stored with its rendered payload, and listed.
	run := s.do("GET", "/v1/actions/runs/"+runID, nil).want(t, 200)
	if get(run.Body, "run.status") != "IN_PROGRESS" || get(run.Body, "run.source") != "AUTOMATION" ||
		get(run.Body, "run.action.identifier") != "entity_updated" || get(run.Body, "run.payload.type") != "WEBHOOK" ||
		get(run.Body, "run.payload.headers.X-Run") != runID || get(run.Body, "run.attempts.0.outcome") != "delivered" ||
		get(run.Body, "run.attempts.0.statusCode") != 200.0 {
		t.Errorf("stored run: %s", run.Raw)
	}
	list := s.do("GET", "/v1/actions/runs?action=any_entity_change", nil).want(t, 200)
	if runs := list.Body["runs"].([]any); len(runs) != 3 || get(runs[0], "createdAt").(string) < get(runs[2], "createdAt").(string) {
		t.Errorf("run list (newest first): %s", list.Raw)
	}
}

func TestConditionsAndPublish(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	and := onService("and", "ENTITY_UPDATED", rc.URL)
	and["trigger"].(map[string]any)["condition"] = map[string]any{"type": "JQ", "combinator": "and",
		"expressions": []string{`.diff.after.properties.status == "live"`, `.diff.after.properties.tier < 2`}}
	or := onService("or", "ENTITY_UPDATED", rc.URL)
	or["trigger"].(map[string]any)["condition"] = map[string]any{"type": "JQ", "combinator": "or",
		"expressions": []string{`.diff.after.properties.status == "live"`, `.diff.after.properties.tier < 2`}}
	off := onService("off", "ENTITY_UPDATED", rc.URL)
	off["publish"] = false
	broken := onService("broken", "ENTITY_UPDATED", rc.URL)
	broken["trigger"].(map[string]any)["condition"] = map[string]any{"type": "JQ", "expressions": []string{`.diff.after.properties.status | ascii_downcase == 1`, `error("boom")`}}
	for _, a := range []map[string]any{and, or, off, broken} {
		s.do("POST", "/v1/actions", a).want(t, 201)
	}
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e", "properties": map[string]any{"status": "new", "tier": 1}}).want(t, 201)
	s.do("PATCH", "/v1/blueprints/service/entities/e", map[string]any{"properties": map[string]any{"tier": 3}}).want(t, 200)        // neither
	s.do("PATCH", "/v1/blueprints/service/entities/e", map[string]any{"properties": map[string]any{"status": "live"}}).want(t, 200) // or only
	s.do("PATCH", "/v1/blueprints/service/entities/e", map[string]any{"properties": map[string]any{"tier": 1}}).want(t, 200)        // and + or
	got := rc.waitFor(t, 3)
	rc.quiet(t, 3)
	n := map[string]int{}
	for _, r := range got {
		n[get(r.JSON, "action.identifier").(string)]++
	}
	if n["and"] != 1 || n["or"] != 2 || n["off"] != 0 || n["broken"] != 0 {
		t.Fatalf("fired %v; want and:1 or:2 and nothing from off or broken", n)
	}
}

func TestNoOpUpdateDoesNotFire(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", onService("upd", "ENTITY_UPDATED", rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e", "properties": map[string]any{"status": "a"}}).want(t, 201)
	s.do("PATCH", "/v1/blueprints/service/entities/e", map[string]any{"properties": map[string]any{"status": "a"}}).want(t, 200)
	s.do("POST", "/v1/blueprints/service/entities?upsert=true", map[string]any{"identifier": "e", "properties": map[string]any{"status": "a"}}).want(t, 200)
	// A real change afterwards: events of one entity are handled in order, so
	// once its run arrives the no-ops above have been handled too.
	s.do("PATCH", "/v1/blueprints/service/entities/e", map[string]any{"properties": map[string]any{"status": "b"}}).want(t, 200)
	got := rc.waitFor(t, 1)
	rc.quiet(t, 1)
	if get(got[0].JSON, "event.diff.after.properties.status") != "b" {
		t.Fatalf("the run that fired is not the real change: %v", get(got[0].JSON, "event.diff"))
	}
}

func TestRunEventsChainAutomations(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	first := onService("first", "ENTITY_CREATED", rc.URL)
	first["invocationMethod"].(map[string]any)["synchronized"] = true
	s.do("POST", "/v1/actions", first).want(t, 201)
	s.do("POST", "/v1/actions", automation("on_created", "RUN_CREATED", map[string]any{"actionIdentifier": "first"}, rc.URL)).want(t, 201)
	s.do("POST", "/v1/actions", automation("on_updated", "RUN_UPDATED", map[string]any{"actionIdentifier": "first"}, rc.URL)).want(t, 201)
	s.do("POST", "/v1/actions", automation("on_any", "ANY_RUN_CHANGE", map[string]any{"actionIdentifier": "first"}, rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)
	// first (sync: its run ends SUCCESS), on_created, on_updated, on_any × 2
	got := rc.waitFor(t, 5)
	rc.quiet(t, 5)
	n := map[string]int{}
	var updated map[string]any
	for _, r := range got {
		id := get(r.JSON, "action.identifier").(string)
		n[id]++
		if id == "on_updated" {
			updated = r.JSON
		}
	}
	if n["first"] != 1 || n["on_created"] != 1 || n["on_updated"] != 1 || n["on_any"] != 2 {
		t.Fatalf("fired %v", n)
	}
	if get(updated, "event.resourceType") != "run" || get(updated, "event.diff.before.status") != "IN_PROGRESS" ||
		get(updated, "event.diff.after.status") != "SUCCESS" || get(updated, "event.diff.after.response.ok") != true ||
		get(updated, "event.context.action.identifier") != "first" || get(updated, "event.diff.after.action.identifier") != "first" {
		t.Fatalf("RUN_UPDATED trigger data: %v", updated["event"])
	}
	if get(updated, "run.id") == get(updated, "event.diff.after.id") {
		t.Error("the automation's own run id must differ from the observed run's id")
	}
}

// TestLoopProtection builds a self-feeding chain through the API: two
// automations on ENTITY_UPDATED whose webhook receiver writes the entity
// back on behalf of the run (?run_id=). Neither fires on its own runs'
// changes, and each chain stops at the depth limit.
func TestLoopProtection(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "BERTH_MAX_CHAIN_DEPTH", "4")
	token := s.accessToken()
	var writeBack func(received)
	rc := newReceiver(t)
	rc.setHook(func(r received) { writeBack(r) })
	writeBack = func(r received) {
		runID := get(r.JSON, "run.id").(string)
		s.send("PATCH", "/v1/blueprints/service/entities/e?run_id="+runID,
			map[string]any{"properties": map[string]any{"status": runID}}, map[string]string{"Authorization": "Bearer " + token})
	}
	s.do("POST", "/v1/actions", onService("ping", "ENTITY_UPDATED", rc.URL)).want(t, 201)
	s.do("POST", "/v1/actions", onService("pong", "ENTITY_UPDATED", rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)
	s.do("PATCH", "/v1/blueprints/service/entities/e", map[string]any{"properties": map[string]any{"status": "go"}}).want(t, 200)
	// The user's change fires ping and pong (depth 1); each run's write-back
	// fires the other automation, until runs reach depth 4: 2 chains × 4 runs.
	rc.waitFor(t, 8)
	rc.quiet(t, 8)
	runs := s.do("GET", "/v1/actions/runs?limit=100", nil).Body["runs"].([]any)
	if len(runs) != 8 {
		t.Fatalf("%d runs, want 8", len(runs))
	}
	audits := s.do("GET", "/v1/audit-log?entity=e&action=UPDATE", nil).Body["audits"].([]any)
	if len(audits) != 9 { // the user's update and one write-back per run
		t.Fatalf("%d entity updates, want 9", len(audits))
	}
}

func counts(m map[string][]received) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}
