package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/pgtest"
)

// TestScaleOut runs three berth instances on one PostgreSQL database, spreads
// entity changes over them, SIGKILLs one half-way, and checks that every
// committed change made exactly one run per automation, that every run was
// delivered, that each entity's deliveries arrived in the order of its
// changes, and that a timer fired once.
func TestScaleOut(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	env := []string{"BERTH_JOB_LEASE=2s"}
	var instances []*child
	for range 3 {
		instances = append(instances, startChild(t, dsn, freeAddr(t), env...))
	}
	clients := make([]*testServer, len(instances))
	for i, c := range instances {
		clients[i] = &testServer{t: t, URL: c.url}
		clients[i].token = clients[0].tokenOrFetch()
	}

	var mu sync.Mutex
	runsOf := map[string]map[string]bool{} // change (event id) → distinct run ids delivered
	arrivals := map[string][]float64{}     // entity → n values in arrival order
	timerRuns := map[string]bool{}
	rc := newReceiver(t)
	deliveries := 0
	rc.setHook(func(r received) {
		time.Sleep(100 * time.Millisecond) // keep deliveries in flight when the instance dies
		mu.Lock()
		deliveries++
		defer mu.Unlock()
		if r.JSON["kind"] == "timer" {
			timerRuns[fmt.Sprint(r.JSON["run"])] = true
			return
		}
		ev := fmt.Sprint(r.JSON["event"])
		if runsOf[ev] == nil {
			runsOf[ev] = map[string]bool{}
		}
		if !runsOf[ev][fmt.Sprint(r.JSON["run"])] {
			e := fmt.Sprint(r.JSON["entity"])
			arrivals[e] = append(arrivals[e], r.JSON["n"].(float64))
		}
		runsOf[ev][fmt.Sprint(r.JSON["run"])] = true
	})
	s := clients[0]
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "svc", "title": "Svc", "schema": map[string]any{"properties": map[string]any{
		"n": map[string]any{"type": "number"}, "ttl": map[string]any{"type": "string", "format": "timer"}}}}).want(t, 201)
	s.do("POST", "/v1/actions", map[string]any{"identifier": "ordered",
		"trigger": map[string]any{"type": "automation", "event": map[string]any{"type": "ANY_ENTITY_CHANGE", "blueprintIdentifier": "svc"}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": rc.URL, "body": map[string]any{
			"event": "{{ .event.id }}", "run": "{{ .run.id }}", "entity": "{{ .event.context.entityIdentifier }}",
			"n": "{{ .event.diff.after.properties.n // -1 }}"}}}).want(t, 201)
	s.do("POST", "/v1/actions", map[string]any{"identifier": "expired",
		"trigger":          map[string]any{"type": "automation", "event": map[string]any{"type": "TIMER_PROPERTY_EXPIRED", "blueprintIdentifier": "svc", "propertyIdentifier": "ttl"}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": rc.URL, "body": map[string]any{"kind": "timer", "run": "{{ .run.id }}"}}}).want(t, 201)
	s.do("POST", "/v1/blueprints/svc/entities", map[string]any{"identifier": "timed", "properties": map[string]any{"n": 0, "ttl": time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)}}).want(t, 201)

	// Each entity is changed by one writer, n = 0, 1, 2, ... in order, each
	// write sent to the next instance; a write to a dead instance is sent
	// again to another (a repeat that had committed changes nothing).
	const entities, changes = 16, 15
	var writes sync.WaitGroup
	var acked atomic.Int64
	for e := range entities {
		writes.Go(func() {
			id := fmt.Sprintf("e%d", e)
			for n := 0; n < changes; n++ {
				body := map[string]any{"identifier": id, "properties": map[string]any{"n": n}}
				status := 0
				for try := 0; ; try++ {
					c := clients[(e+n+try)%len(clients)]
					if status = c.sendNoFail("POST", "/v1/blueprints/svc/entities?upsert=true&merge=true", body); status > 0 && status < 300 {
						break
					}
					if try > 20 {
						t.Errorf("entity %s change %d: no instance took it (last status %d)", id, n, status)
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
				acked.Add(1)
			}
		})
	}
	eventually(t, func() bool { return acked.Load() >= entities*changes/2 }, "half the changes to be acknowledged")
	instances[1].cmd.Process.Signal(syscall.SIGKILL)
	instances[1].cmd.Wait()
	writes.Wait()

	live := clients[0]
	audits := live.do("GET", "/v1/audit-log?resources=entity&blueprint=svc&limit=10000", nil).want(t, 200).Body["audits"].([]any)
	want := map[string]bool{}
	for _, a := range audits {
		if get(a, "action") != "TIMER_EXPIRED" {
			want[get(a, "identifier").(string)] = true
		}
	}
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for ev := range want {
			if len(runsOf[ev]) == 0 {
				return false
			}
		}
		return len(timerRuns) > 0
	}, "a delivered run for each of %d changes and the timer", len(want))
	time.Sleep(time.Second) // let any duplicate run show itself
	mu.Lock()
	defer mu.Unlock()
	for ev, runs := range runsOf {
		if !want[ev] {
			t.Errorf("a run was delivered for %s, which is no committed change", ev)
		}
		if len(runs) != 1 {
			t.Errorf("change %s made %d runs, want 1", ev, len(runs))
		}
	}
	for e, ns := range arrivals {
		for i := 1; i < len(ns); i++ {
			if ns[i] <= ns[i-1] {
				t.Errorf("entity %s: deliveries arrived out of order: %v", e, ns)
				break
			}
		}
	}
	if len(timerRuns) != 1 {
		t.Errorf("the timer made %d runs, want 1", len(timerRuns))
	}
	t.Logf("%d committed changes over 3 instances (one killed), %d entities, timer runs %d; %d deliveries of %d runs (repeats: taken over after the kill)",
		len(want), len(arrivals), len(timerRuns), deliveries, len(want)+len(timerRuns))
}

// tokenOrFetch returns the server's token, fetching one first if needed.
func (s *testServer) tokenOrFetch() string {
	if s.token == "" {
		s.token = s.accessToken()
	}
	return s.token
}
