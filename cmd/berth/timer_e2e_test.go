package main

import (
	"testing"
	"time"
)

func ttlAutomation(url string) map[string]any {
	return automation("expire", "TIMER_PROPERTY_EXPIRED", map[string]any{"blueprintIdentifier": "service", "propertyIdentifier": "ttl"}, url)
}

func in(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339Nano) }

func TestTimerFires(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", ttlAutomation(rc.URL)).want(t, 201)
	expiry := in(700 * time.Millisecond)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "env", "properties": map[string]any{"ttl": expiry}}).want(t, 201)
	// Cancelled: the entity is deleted before its timer expires.
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "gone", "properties": map[string]any{"ttl": in(500 * time.Millisecond)}}).want(t, 201)
	s.do("DELETE", "/v1/blueprints/service/entities/gone", nil).want(t, 200)
	// Re-armed: moved later before it expired; fires once, at the new time.
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "moved", "properties": map[string]any{"ttl": in(400 * time.Millisecond)}}).want(t, 201)
	moved := in(900 * time.Millisecond)
	s.do("PATCH", "/v1/blueprints/service/entities/moved", map[string]any{"properties": map[string]any{"ttl": moved}}).want(t, 200)
	// Already past when written: fires right away.
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "late", "properties": map[string]any{"ttl": in(-time.Hour)}}).want(t, 201)

	got := rc.waitFor(t, 3)
	rc.quiet(t, 3)
	fired := map[string]received{}
	for _, r := range got {
		fired[get(r.JSON, "event.context.entityIdentifier").(string)] = r
	}
	if _, ok := fired["gone"]; ok || len(fired) != 3 {
		t.Fatalf("fired for %v; want env, moved and late once each", keys(fired))
	}
	td := fired["env"].JSON
	for path, want := range map[string]any{
		"event.action": "TIMER_EXPIRED", "event.resourceType": "entity", "event.context.propertyIdentifier": "ttl",
		"event.context.blueprintIdentifier": "service", "event.diff.before": nil, "event.diff.after.identifier": "env",
		"event.trigger.by.byPort": true, "event.trigger.by.orgId": "org_test", "trigger.origin": "AUTOMATION",
	} {
		if got := get(td, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if got := get(fired["moved"].JSON, "event.diff.after.properties.ttl"); got != moved {
		t.Errorf("re-armed timer fired with ttl %v, want %v", got, moved)
	}
	// An unrelated update of a fired timer's entity does not fire it again.
	s.do("PATCH", "/v1/blueprints/service/entities/env", map[string]any{"properties": map[string]any{"status": "x"}}).want(t, 200)
	rc.quiet(t, 3)
}

func TestTimerFiresAfterRestart(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", ttlAutomation(rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "down", "properties": map[string]any{"ttl": in(time.Second)}}).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "up", "properties": map[string]any{"ttl": in(4 * time.Second)}}).want(t, 201)
	s.stop()
	time.Sleep(1500 * time.Millisecond) // "down" expires while berth is stopped
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("%d requests while stopped", n)
	}
	s.restart()
	got := rc.waitFor(t, 2) // "down" at start-up, "up" at its time
	rc.quiet(t, 2)
	if get(got[0].JSON, "event.context.entityIdentifier") != "down" || get(got[1].JSON, "event.context.entityIdentifier") != "up" {
		t.Fatalf("fired in the wrong order: %v then %v", get(got[0].JSON, "event.context.entityIdentifier"), get(got[1].JSON, "event.context.entityIdentifier"))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
