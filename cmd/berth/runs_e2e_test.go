package main

import (
	"strings"
	"testing"
)

// deployAction is a DAY-2 action on service entities with one input of
// each kind berth checks; its webhook posts the whole trigger data to url.
func deployAction(id, url string) map[string]any {
	return map[string]any{
		"identifier": id, "title": "Deploy", "icon": "Rocket",
		"trigger": map[string]any{"type": "self-service", "operation": "DAY-2", "blueprintIdentifier": "service",
			"userInputs": map[string]any{"properties": map[string]any{
				"version":  map[string]any{"type": "string", "pattern": `^[0-9]+\.[0-9]+\.[0-9]+$`},
				"replicas": map[string]any{"type": "number", "minimum": 1, "maximum": 10, "default": 2},
				"region":   map[string]any{"type": "string", "enum": []string{"eu", "us"}},
				"notify":   map[string]any{"type": "string", "format": "email"},
				"depends":  map[string]any{"type": "string", "format": "entity", "blueprint": "service"},
				"config":   map[string]any{"type": "string", "format": "yaml"},
			}, "required": []string{"version", "region"}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": url,
			"headers": map[string]any{"X-Run": "{{ .run.id }}"}, "body": "{{ . }}"},
	}
}

// createAction is a CREATE action without inputs posting {"runId": ...}.
func createAction(id, url string) map[string]any {
	return map[string]any{
		"identifier": id, "title": "Create",
		"trigger":          map[string]any{"type": "self-service", "operation": "CREATE", "userInputs": map[string]any{"properties": map[string]any{}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": url, "body": map[string]any{"runId": "{{ .run.id }}"}},
	}
}

func startRuns(t *testing.T, env ...string) *testServer {
	t.Helper()
	s := startEngine(t, env...)
	for _, id := range []string{"svc-a", "svc-b"} {
		s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": id, "title": strings.ToUpper(id)}).want(t, 201)
	}
	return s
}

func runsOf(t *testing.T, s *testServer, action string) []any {
	t.Helper()
	return s.do("GET", "/v1/actions/runs?action="+action, nil).want(t, 200).Body["runs"].([]any)
}

func TestExecuteAction(t *testing.T) {
	t.Parallel()
	s := startRuns(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", deployAction("deploy", rc.URL)).want(t, 201)

	r := s.do("POST", "/v1/actions/deploy/runs", map[string]any{"entity": "svc-a", "properties": map[string]any{
		"version": "1.2.3", "region": "eu", "depends": "svc-b", "config": "a: 1\nb: [x, y]\n"}}).want(t, 202)
	run := r.Body["run"].(map[string]any)
	id := run["id"].(string)
	for path, want := range map[string]any{
		"status": "IN_PROGRESS", "source": "API", "action.identifier": "deploy", "action.title": "Deploy",
		"action.icon": "Rocket", "blueprint.identifier": "service", "blueprint.title": "Service",
		"entity.identifier": "svc-a", "entity.title": "SVC-A", "properties.replicas": 2.0, "properties.depends": "svc-b",
		"rawProperties.replicas": nil, "rawProperties.version": "1.2.3", "createdBy": testClientID,
		"requiredApproval": false, "endedAt": nil, "payload.type": "WEBHOOK", "payload.headers.X-Run": id,
	} {
		if got := get(run, path); got != want {
			t.Errorf("run %s = %v, want %v", path, got, want)
		}
	}

	td := rc.waitFor(t, 1)[0]
	for path, want := range map[string]any{
		"inputs.version": "1.2.3", "inputs.replicas": 2.0, "inputs.region": "eu", "inputs.depends.identifier": "svc-b",
		"inputs.depends.blueprint": "service", "inputs.config.a": 1.0, "inputs.config.b.1": "y",
		"trigger.by.orgId": "org_test", "trigger.by.userId": testClientID, "trigger.by.user": nil,
		"trigger.origin": "API", "trigger.operation": "DAY-2", "event": nil, "entity.identifier": "svc-a",
		"entity.title": "SVC-A", "action.identifier": "deploy", "action.blueprint": "service", "run.id": id,
	} {
		if got := get(td.JSON, path); got != want {
			t.Errorf("trigger data %s = %v, want %v", path, got, want)
		}
	}
	if enc, ok := get(td.JSON, "action.encryptedProperties").([]any); !ok || len(enc) != 0 {
		t.Errorf("encryptedProperties = %v", get(td.JSON, "action.encryptedProperties"))
	}
	if _, has := td.JSON["secrets"]; has || td.Header.Get("X-Run") != id {
		t.Errorf("trigger data shows secrets, or header X-Run = %q", td.Header.Get("X-Run"))
	}
	eventually(t, func() bool {
		got := s.do("GET", "/v1/actions/runs/"+id, nil).Body
		return get(got, "run.attempts.0.outcome") == "delivered"
	}, "the delivery attempt to be recorded")

	// CREATE actions: no entity, and the entity is {} in the trigger data.
	s.do("POST", "/v1/actions", createAction("make", rc.URL)).want(t, 201)
	made := s.do("POST", "/v1/actions/make/runs", map[string]any{"properties": map[string]any{}}).want(t, 202)
	if get(made.Body, "run.entity") != nil || get(made.Body, "run.blueprint") != nil {
		t.Errorf("CREATE run tied to an entity: %s", made.Raw)
	}
	got := rc.waitFor(t, 2)[1]
	if got.JSON["runId"] != get(made.Body, "run.id") {
		t.Errorf("CREATE body %s", got.Body)
	}
}

func TestExecuteRefusesBadRequests(t *testing.T) {
	t.Parallel()
	s := startRuns(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", deployAction("deploy", rc.URL)).want(t, 201)
	s.do("POST", "/v1/actions", createAction("make", rc.URL)).want(t, 201)
	s.do("POST", "/v1/actions", onService("auto", "ENTITY_CREATED", rc.URL)).want(t, 201)
	ok := map[string]any{"version": "1.0.0", "region": "eu"}
	with := func(k string, v any) map[string]any {
		p := map[string]any{"version": "1.0.0", "region": "eu"}
		p[k] = v
		return p
	}
	for _, tc := range []struct {
		name   string
		action string
		body   any
		status int
		fields []string
	}{
		{"required inputs", "deploy", map[string]any{"entity": "svc-a", "properties": map[string]any{}}, 422, []string{"/properties/region", "/properties/version"}},
		{"type", "deploy", map[string]any{"entity": "svc-a", "properties": with("replicas", "two")}, 422, []string{"/properties/replicas"}},
		{"maximum", "deploy", map[string]any{"entity": "svc-a", "properties": with("replicas", 11)}, 422, []string{"/properties/replicas"}},
		{"pattern", "deploy", map[string]any{"entity": "svc-a", "properties": with("version", "latest")}, 422, []string{"/properties/version"}},
		{"enum", "deploy", map[string]any{"entity": "svc-a", "properties": with("region", "mars")}, 422, []string{"/properties/region"}},
		{"format", "deploy", map[string]any{"entity": "svc-a", "properties": with("notify", "nobody")}, 422, []string{"/properties/notify"}},
		{"entity input", "deploy", map[string]any{"entity": "svc-a", "properties": with("depends", "ghost")}, 422, []string{"/properties/depends"}},
		{"yaml", "deploy", map[string]any{"entity": "svc-a", "properties": with("config", "a: [")}, 422, []string{"/properties/config"}},
		{"unknown input", "deploy", map[string]any{"entity": "svc-a", "properties": with("colour", "red")}, 422, []string{"/properties/colour"}},
		{"several at once", "deploy", map[string]any{"entity": "svc-a", "properties": map[string]any{"version": 1, "region": "mars"}}, 422, []string{"/properties/region", "/properties/version"}},
		{"no entity", "deploy", map[string]any{"properties": ok}, 422, []string{"/entity"}},
		{"unknown entity", "deploy", map[string]any{"entity": "ghost", "properties": ok}, 422, []string{"/entity"}},
		{"no properties", "deploy", map[string]any{"entity": "svc-a"}, 422, []string{"/properties"}},
		{"unknown body field", "deploy", map[string]any{"entity": "svc-a", "properties": ok, "extra": 1}, 422, []string{"/extra"}},
		{"entity on CREATE", "make", map[string]any{"entity": "svc-a", "properties": map[string]any{}}, 422, []string{"/entity"}},
		{"automation", "auto", map[string]any{"properties": map[string]any{}}, 422, nil},
		{"unknown action", "nope", map[string]any{"properties": map[string]any{}}, 404, nil},
		{"not JSON", "deploy", "{", 400, nil},
	} {
		r := s.do("POST", "/v1/actions/"+tc.action+"/runs", tc.body)
		r.wantError(t, tc.status, "")
		for _, f := range tc.fields {
			r.wantError(t, tc.status, f)
		}
	}
	for _, a := range []string{"deploy", "make", "auto"} {
		if n := len(runsOf(t, s, a)); n != 0 {
			t.Errorf("refused executions made %d runs of %s", n, a)
		}
	}
	rc.quiet(t, 0)
}

// TestRunReporting follows spec E1: a backend reports progress with PATCH
// and logs, then ends the run with a terminating log; every change of the
// run fires RUN_UPDATED, logs do not, and the ended run is immutable.
func TestRunReporting(t *testing.T) {
	t.Parallel()
	s := startRuns(t)
	backend, watcher := newReceiver(t), newReceiver(t)
	s.do("POST", "/v1/actions", createAction("deploy", backend.URL)).want(t, 201)
	s.do("POST", "/v1/actions", automation("watch", "RUN_UPDATED", map[string]any{"actionIdentifier": "deploy"}, watcher.URL)).want(t, 201)
	id := get(s.do("POST", "/v1/actions/deploy/runs", map[string]any{"properties": map[string]any{}}).want(t, 202).Body, "run.id").(string)
	backend.waitFor(t, 1)
	path := "/v1/actions/runs/" + id
	events := 0
	updated := func(before, after string) map[string]any { // the RUN_UPDATED automation saw this change
		t.Helper()
		events++
		ev := watcher.waitFor(t, events)[events-1].JSON
		if get(ev, "event.diff.before.status") != before || get(ev, "event.diff.after.status") != after ||
			get(ev, "event.diff.after.id") != id || get(ev, "event.action") != "UPDATE" {
			t.Fatalf("RUN_UPDATED %d: %v", events, ev["event"])
		}
		return ev
	}

	r := s.do("PATCH", path, map[string]any{"link": "https://ci.example/42", "externalRunId": "42"}).want(t, 200)
	if get(r.Body, "run.link.0") != "https://ci.example/42" || get(r.Body, "run.externalRunId") != "42" || get(r.Body, "run.status") != "IN_PROGRESS" {
		t.Fatalf("PATCH: %s", r.Raw)
	}
	if ev := updated("IN_PROGRESS", "IN_PROGRESS"); get(ev, "event.diff.after.externalRunId") != "42" || get(ev, "event.diff.before.externalRunId") != nil {
		t.Fatalf("RUN_UPDATED diff: %v", ev["event"])
	}
	found := s.do("GET", "/v1/actions/runs?external_run_id=42", nil).want(t, 200).Body["runs"].([]any)
	if len(found) != 1 || get(found[0], "id") != id {
		t.Fatalf("lookup by external_run_id: %v", found)
	}
	r = s.do("PATCH", path, map[string]any{"statusLabel": "Rolling out", "summary": "1 of 3", "link": []string{"https://a", "https://b"}}).want(t, 200)
	if get(r.Body, "run.statusLabel") != "Rolling out" || get(r.Body, "run.link.1") != "https://b" || get(r.Body, "run.externalRunId") != "42" {
		t.Fatalf("second PATCH: %s", r.Raw)
	}
	updated("IN_PROGRESS", "IN_PROGRESS")

	log := s.do("POST", path+"/logs", map[string]any{"message": "rolling out"}).want(t, 201).Body["runLog"]
	if get(log, "runId") != id || get(log, "message") != "rolling out" || get(log, "createdBy") != testClientID || get(log, "id") == nil || get(log, "createdAt") == nil {
		t.Fatalf("runLog: %v", log)
	}
	s.do("POST", path+"/logs", map[string]any{"message": "done", "terminationStatus": "SUCCESS", "statusLabel": "Deployed"}).want(t, 201)
	ev := updated("IN_PROGRESS", "SUCCESS")
	if get(ev, "event.diff.after.statusLabel") != "Deployed" || get(ev, "event.diff.after.endedAt") == nil {
		t.Fatalf("terminating log: %v", ev["event"])
	}
	run := s.do("GET", path, nil).want(t, 200).Body["run"]
	if get(run, "status") != "SUCCESS" || get(run, "endedAt") == nil || get(run, "summary") != "1 of 3" {
		t.Fatalf("finished run: %v", run)
	}
	if found := s.do("GET", "/v1/actions/runs?status=SUCCESS&action=deploy", nil).want(t, 200).Body["runs"].([]any); len(found) != 1 {
		t.Fatalf("status=SUCCESS found %v", found)
	}
	s.do("GET", "/v1/actions/runs?status=BOGUS", nil).wantError(t, 422, "status")
	logs := s.do("GET", path+"/logs", nil).want(t, 200).Body["runLogs"].([]any)
	if len(logs) != 2 || get(logs[0], "message") != "rolling out" || get(logs[1], "message") != "done" {
		t.Fatalf("logs: %v", logs)
	}

	// Finished: any change is refused; a plain log line is still taken
	// (Port's execution agent writes one after reporting the status).
	s.do("PATCH", path, map[string]any{"status": "FAILURE"}).wantError(t, 422, "")
	s.do("PATCH", path, map[string]any{"link": "https://x"}).wantError(t, 422, "")
	s.do("PATCH", path+"/response", map[string]any{"response": "late"}).wantError(t, 422, "")
	s.do("POST", path+"/logs", map[string]any{"message": "again", "terminationStatus": "FAILURE"}).wantError(t, 422, "")
	s.do("POST", path+"/logs", map[string]any{"message": "Port agent finished processing the action run"}).want(t, 201)
	if got := get(s.do("GET", path, nil).Body, "run.status"); got != "SUCCESS" {
		t.Fatalf("a refused change changed the run: %v", got)
	}
	watcher.quiet(t, events) // logs and refused changes fired nothing

	s.do("PATCH", "/v1/actions/runs/r_nope", map[string]any{"summary": "x"}).wantError(t, 404, "")
	s.do("PATCH", "/v1/actions/runs/r_nope/response", map[string]any{"response": 1}).wantError(t, 404, "")
	s.do("POST", "/v1/actions/runs/r_nope/logs", map[string]any{"message": "x"}).wantError(t, 404, "")
	s.do("GET", "/v1/actions/runs/r_nope/logs", nil).wantError(t, 404, "")
}

// TestPortRunReportingCalls checks the calls Port's own clients make
// (spec 7.5, 7.6, appendix B) against berth, unchanged.
func TestPortRunReportingCalls(t *testing.T) {
	t.Parallel()
	s := startRuns(t)
	backend := newReceiver(t)
	s.do("POST", "/v1/actions", createAction("deploy", backend.URL)).want(t, 201)
	start := func() string {
		return get(s.do("POST", "/v1/actions/deploy/runs", map[string]any{"properties": map[string]any{}}).want(t, 202).Body, "run.id").(string)
	}

	// The deprecated message object of older guides.
	legacy := start()
	r := s.do("PATCH", "/v1/actions/runs/"+legacy, map[string]any{"status": "SUCCESS", "message": map[string]any{"message": "The action status is SUCCESS"}}).want(t, 200)
	logs := s.do("GET", "/v1/actions/runs/"+legacy+"/logs", nil).Body["runLogs"].([]any)
	if get(r.Body, "run.status") != "SUCCESS" || len(logs) != 1 || get(logs[0], "message") != "The action status is SUCCESS" {
		t.Fatalf("legacy PATCH: %s; logs %v", r.Raw, logs)
	}

	// The execution agent with a synchronized webhook: the response, then
	// the report mapping's status, then its last log line.
	agent := start()
	s.do("PATCH", "/v1/actions/runs/"+agent+"/response", map[string]any{"response": map[string]any{"id": 7}}).want(t, 200)
	r = s.do("PATCH", "/v1/actions/runs/"+agent, map[string]any{"status": "FAILURE", "summary": "Failed to invoke the webhook with status code: 500."}).want(t, 200)
	s.do("POST", "/v1/actions/runs/"+agent+"/logs", map[string]any{"message": "Port agent finished processing the action run"}).want(t, 201)
	if get(r.Body, "run.response.id") != 7.0 || get(r.Body, "run.status") != "FAILURE" {
		t.Fatalf("agent reports: %s", r.Raw)
	}

	// Only SUCCESS and FAILURE end a run.
	other := start()
	s.do("PATCH", "/v1/actions/runs/"+other, map[string]any{"status": "IN_PROGRESS"}).wantError(t, 422, "/status")
	s.do("POST", "/v1/actions/runs/"+other+"/logs", map[string]any{"message": "x", "terminationStatus": "DONE"}).wantError(t, 422, "/terminationStatus")
	s.do("POST", "/v1/actions/runs/"+other+"/logs", map[string]any{"terminationStatus": "SUCCESS"}).wantError(t, 422, "/message")
	s.do("PATCH", "/v1/actions/runs/"+other, map[string]any{"link": 3}).wantError(t, 422, "/link")
	s.do("PATCH", "/v1/actions/runs/"+other, map[string]any{"colour": "red"}).wantError(t, 422, "/colour")

	// The legacy v1 representation.
	v1 := s.do("GET", "/v1/actions/runs/"+legacy+"?version=v1", nil).want(t, 200).Body["run"]
	if get(v1, "action") != "deploy" || get(v1, "relatedBlueprintExists") != false || get(v1, "status") != "SUCCESS" {
		t.Fatalf("v1 run: %v", v1)
	}
	list := s.do("GET", "/v1/actions/runs?action=deploy&version=v1&limit=2", nil).want(t, 200).Body["runs"].([]any)
	if len(list) != 2 || get(list[0], "action") != "deploy" || get(list[0], "id") != other {
		t.Fatalf("v1 list (newest first, limit 2): %v", list)
	}
	s.do("GET", "/v1/actions/runs/"+legacy+"?version=v3", nil).wantError(t, 422, "version")
}
