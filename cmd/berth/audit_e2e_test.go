package main

import (
	"slices"
	"strings"
	"testing"
)

// actionType keeps the audit records about actions of one kind: the runs
// of automations or of self-service actions, and the changes of the
// definitions themselves (a deleted one too). A self-service run executed
// on behalf of an automation's run is self-service; an entity written on
// behalf of an automation's run is about no action.
func TestAuditLogByActionType(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", onService("on_create", "ENTITY_CREATED", rc.URL)).want(t, 201)
	s.do("POST", "/v1/actions", selfService("deploy")).want(t, 201)
	s.do("POST", "/v1/actions", selfService("gone")).want(t, 201)
	s.do("DELETE", "/v1/actions/gone", nil).want(t, 200)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "a"}).want(t, 201)
	autoRun := get(rc.waitFor(t, 1)[0].JSON, "run.id").(string)
	ssRun := get(s.do("POST", "/v1/actions/deploy/runs?run_id="+autoRun,
		map[string]any{"entity": "a", "properties": map[string]any{"version": "1"}}).want(t, 202).Body, "run.id").(string)
	s.do("PATCH", "/v1/blueprints/service/entities/a?run_id="+autoRun, map[string]any{"title": "A"}).want(t, 200)

	// records lists what the records a query selects are about:
	// "run r_..." or "action identifier ACTION", or the resource type.
	records := func(query string) []string {
		t.Helper()
		r := s.do("GET", "/v1/audit-log?"+query, nil).want(t, 200)
		var out []string
		for _, a := range r.Body["audits"].([]any) {
			switch kind := get(a, "resourceType").(string); kind {
			case "run":
				out = append(out, "run "+get(a, "context.runId").(string))
			case "action":
				out = append(out, "action "+get(a, "context.action").(string)+" "+get(a, "action").(string))
			default:
				out = append(out, kind)
			}
		}
		return out
	}
	only := func(query string, want ...string) {
		t.Helper()
		got := records(query)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: no %q in %q", query, w, got)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("%s: %q should not be there (%q)", query, g, got)
			}
		}
	}
	only("actionType=automation", "run "+autoRun, "action on_create CREATE")
	only("actionType=self-service", "run "+ssRun, "action deploy CREATE", "action gone CREATE", "action gone DELETE")
	only("actionType=self-service&resources=action", "action deploy CREATE", "action gone CREATE", "action gone DELETE")
	only("actionType=automation&resources=entity")
	// The automation's run and the entity change made for it, and of
	// those only the run is about an automation.
	if got := records("run_id=" + autoRun); !slices.Contains(got, "entity") {
		t.Fatalf("run_id=%s has no entity record: %q", autoRun, got)
	}
	only("actionType=automation&run_id="+autoRun, "run "+autoRun)
	if all := strings.Join(records(""), ","); !strings.Contains(all, "blueprint") || !strings.Contains(all, "entity") {
		t.Fatalf("without actionType every record is there: %s", all)
	}

	for param, query := range map[string]string{
		"actionType": "actionType=x",
		"status":     "status=MAYBE",
		"resources":  "resources=run&resources=bogus",
	} {
		s.do("GET", "/v1/audit-log?"+query, nil).wantError(t, 422, param)
	}
	s.do("GET", "/v1/audit-log?status=FAILURE&resources=action&actionType=self-service", nil).want(t, 200)
}
