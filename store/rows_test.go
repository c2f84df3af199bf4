package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/internal/pgtest"
	"github.com/berthdev/berth/store"
)

// runRow is a new automation run for InsertRuns; key "" gives it no
// idempotency key.
func runRow(t *testing.T, id, key string) store.RunRow {
	t.Helper()
	now := berth.FormatTime(time.Now())
	r := &berth.Run{ID: id, Status: berth.RunInProgress, Action: berth.Ref{Identifier: "auto"}, Source: "AUTOMATION",
		CreatedAt: now, UpdatedAt: now, IdempotencyKey: key}
	doc, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return store.RunRow{Run: r, Doc: doc, TriggerData: json.RawMessage(`{"event":"` + key + `"}`)}
}

func insertRuns(t *testing.T, db *store.DB, rows ...store.RunRow) map[string]bool {
	t.Helper()
	var inserted map[string]bool
	mustWrite(t, db, func(q *store.Queries) (err error) {
		inserted, err = q.InsertRuns(context.Background(), rows)
		return err
	})
	return inserted
}

func TestInsertRunsSkipsKnownIdempotencyKeys(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		sealed := runRow(t, "r_1", "event_1/auto")
		sealed.Sealed = "sealed-payload"
		got := insertRuns(t, db, sealed, runRow(t, "r_2", ""))
		if len(got) != 2 || !got["r_1"] || !got["r_2"] {
			t.Fatalf("first call inserted %v, want r_1 and r_2", got)
		}
		for _, id := range []string{"r_1", "r_2"} {
			if r, err := db.Read().Run(ctx, id); err != nil || r.ID != id || r.Action.Identifier != "auto" {
				t.Fatalf("run %s read back: %+v, %v", id, r, err)
			}
		}
		if r, _ := db.Read().Run(ctx, "r_1"); r.IdempotencyKey != "event_1/auto" {
			t.Fatalf("r_1 idempotency key = %q", r.IdempotencyKey)
		}
		if data, err := db.Read().RunTriggerData(ctx, "r_1"); err != nil || string(data) != `{"event":"event_1/auto"}` {
			t.Fatalf("r_1 trigger data = %s, %v", data, err)
		}

		// The same event handled again for the same automation: r_3 is a
		// duplicate of r_1; r_4 and r_5 (no key) are new.
		got = insertRuns(t, db, runRow(t, "r_3", "event_1/auto"), runRow(t, "r_4", "event_2/auto"), runRow(t, "r_5", ""))
		if len(got) != 2 || !got["r_4"] || !got["r_5"] {
			t.Fatalf("second call inserted %v, want only r_4 and r_5", got)
		}
		if _, err := db.Read().Run(ctx, "r_3"); !berth.IsNotFound(err) {
			t.Fatalf("run with a known idempotency key was stored: %v", err)
		}
		if r, err := db.Read().Run(ctx, "r_4"); err != nil || r.IdempotencyKey != "event_2/auto" {
			t.Fatalf("r_4 read back: %+v, %v", r, err)
		}

		toSend, err := db.Read().RunsToSend(ctx, []string{"r_1", "r_2", "r_3"})
		if err != nil {
			t.Fatal(err)
		}
		if len(toSend) != 2 || toSend["r_1"].Run == nil || toSend["r_1"].Sealed != "sealed-payload" ||
			toSend["r_2"].Run == nil || toSend["r_2"].Sealed != "" {
			t.Fatalf("RunsToSend = %+v; want r_1 with its sealed payload, r_2 with none, r_3 missing", toSend)
		}
	})
}

func TestAppendEventsAndEnqueueJobs(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		var evs []*berth.Event
		for i, entity := range []string{"a", "b", "c"} {
			evs = append(evs, &berth.Event{ID: berth.NewID("event_", 16), Action: berth.ActionCreate,
				ResourceType: berth.ResourceEntity, Status: "SUCCESS", Blueprint: "svc", Entity: entity, Depth: i,
				Trigger: berth.Trigger{Origin: berth.OriginAPI, At: berth.FormatTime(time.Now())},
				After:   json.RawMessage(`{"identifier":"` + entity + `"}`)})
		}
		mustWrite(t, db, func(q *store.Queries) error { return q.AppendEvents(ctx, evs) })
		for i, ev := range evs {
			if ev.Seq == 0 || (i > 0 && ev.Seq <= evs[i-1].Seq) {
				t.Fatalf("sequence numbers %d, %d, %d; want increasing, in the order given", evs[0].Seq, evs[1].Seq, evs[2].Seq)
			}
		}
		byID, err := db.Read().EventsByID(ctx, []string{evs[0].ID, evs[2].ID, "event_missing"})
		if err != nil {
			t.Fatal(err)
		}
		if len(byID) != 2 {
			t.Fatalf("EventsByID returned %d events, want 2 (the missing id left out)", len(byID))
		}
		for _, want := range []*berth.Event{evs[0], evs[2]} {
			got := byID[want.ID]
			if got == nil || got.Seq != want.Seq || got.Entity != want.Entity || got.Depth != want.Depth ||
				got.Trigger.Origin != berth.OriginAPI || string(got.After) != string(want.After) || got.Before != nil {
				t.Fatalf("event %s read back: %+v, want %+v", want.ID, got, want)
			}
		}

		// Jobs sharing an ordering key run in the order given, not by ref.
		jobs := []store.Job{
			{Kind: "match", Ref: "k3", OrderingKey: "key"},
			{Kind: "match", Ref: "k1", OrderingKey: "key"},
			{Kind: "match", Ref: "k2", OrderingKey: "key"},
			{Kind: "match", Ref: "free", Payload: "p"},
		}
		mustWrite(t, db, func(q *store.Queries) error { return q.EnqueueJobs(ctx, jobs, time.Now()) })
		var order []string
		for range 4 {
			claimed, err := db.ClaimJobs(ctx, "w", []string{"match"}, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(claimed) == 0 {
				break
			}
			for _, j := range claimed {
				if j.Ref == "free" && j.Payload != "p" {
					t.Fatalf("payload = %q, want p", j.Payload)
				}
				if j.OrderingKey == "key" {
					order = append(order, j.Ref)
				}
			}
			if keyed := countKey(claimed, "key"); keyed != 1 {
				t.Fatalf("claimed %s: %d jobs of one ordering key at once, want 1", refs(claimed), keyed)
			}
			for _, j := range claimed {
				mustWrite(t, db, func(q *store.Queries) error { return q.CompleteJob(ctx, j.ID, "w") })
			}
		}
		if got := strings.Join(order, ","); got != "k3,k1,k2" {
			t.Fatalf("jobs of one ordering key ran in order %s, want k3,k1,k2", got)
		}
	})
}

func countKey(jobs []store.Job, key string) int {
	n := 0
	for _, j := range jobs {
		if j.OrderingKey == key {
			n++
		}
	}
	return n
}

func TestCompleteJobsNeedsEveryLease(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		mustWrite(t, db, func(q *store.Queries) error {
			return q.EnqueueJobs(ctx, []store.Job{{Kind: "deliver", Ref: "a"}, {Kind: "deliver", Ref: "b"},
				{Kind: "deliver", Ref: "c"}}, time.Now())
		})
		mine, err := db.ClaimJobs(ctx, "w1", []string{"deliver"}, 2, time.Minute)
		if err != nil || len(mine) != 2 {
			t.Fatalf("w1 claimed %v, %v", mine, err)
		}
		theirs, err := db.ClaimJobs(ctx, "w2", []string{"deliver"}, 1, time.Minute)
		if err != nil || len(theirs) != 1 {
			t.Fatalf("w2 claimed %v, %v", theirs, err)
		}

		// One lease is another worker's: nothing of the transaction stays.
		effect := &berth.Event{ID: "event_effect", Action: berth.ActionCreate, ResourceType: berth.ResourceEntity, Status: "SUCCESS"}
		err = db.Write(ctx, func(q *store.Queries) error {
			if err := q.AppendEvent(ctx, effect); err != nil {
				return err
			}
			return q.CompleteJobs(ctx, []int64{mine[0].ID, mine[1].ID, theirs[0].ID}, "w1")
		})
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("CompleteJobs with another worker's job: %v, want ErrLeaseLost", err)
		}
		if n, _ := db.Read().CountJobs(ctx, "deliver"); n != 3 {
			t.Fatalf("%d jobs left after the rolled-back completion, want 3", n)
		}
		if _, err := db.Read().Event(ctx, "event_effect"); !berth.IsNotFound(err) {
			t.Fatalf("the effect of a completion that lost a lease was committed: %v", err)
		}

		mustWrite(t, db, func(q *store.Queries) error {
			return q.CompleteJobs(ctx, []int64{mine[0].ID, mine[1].ID}, "w1")
		})
		if n, _ := db.Read().CountJobs(ctx, "deliver"); n != 1 {
			t.Fatalf("%d jobs left, want 1 (w2's)", n)
		}
		// w1's jobs are gone: completing them again reports the lost lease.
		err = db.Write(ctx, func(q *store.Queries) error {
			return q.CompleteJobs(ctx, []int64{mine[0].ID, mine[1].ID}, "w1")
		})
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("completing completed jobs: %v, want ErrLeaseLost", err)
		}
	})
}

func TestAppendAttemptsNumbersPerRun(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		insertRuns(t, db, runRow(t, "r_1", "e1/a"), runRow(t, "r_2", "e2/a"), runRow(t, "r_3", "e3/a"))
		attempt := func(outcome string, code int) *berth.Attempt {
			return &berth.Attempt{At: berth.FormatTime(time.Now()), DurationMS: 12, Target: "http://x", Outcome: outcome,
				StatusCode: code, Error: "e-" + outcome, Response: "body-" + outcome}
		}
		first := []store.RunAttempt{{RunID: "r_1", Attempt: attempt("retry", 503)}, {RunID: "r_2", Attempt: attempt("retry", 500)}}
		mustWrite(t, db, func(q *store.Queries) error { return q.AppendAttempts(ctx, first) })
		if first[0].Attempt.N != 1 || first[1].Attempt.N != 1 {
			t.Fatalf("first attempts numbered %d and %d, want 1 and 1", first[0].Attempt.N, first[1].Attempt.N)
		}
		second := []store.RunAttempt{{RunID: "r_1", Attempt: attempt("delivered", 200)},
			{RunID: "r_2", Attempt: attempt("failed", 400)}, {RunID: "r_3", Attempt: attempt("delivered", 204)}}
		mustWrite(t, db, func(q *store.Queries) error { return q.AppendAttempts(ctx, second) })
		if second[0].Attempt.N != 2 || second[1].Attempt.N != 2 || second[2].Attempt.N != 1 {
			t.Fatalf("second call numbered %d, %d, %d; want 2, 2, 1",
				second[0].Attempt.N, second[1].Attempt.N, second[2].Attempt.N)
		}
		for run, want := range map[string][]*berth.Attempt{
			"r_1": {first[0].Attempt, second[0].Attempt},
			"r_2": {first[1].Attempt, second[1].Attempt},
			"r_3": {second[2].Attempt},
		} {
			got, err := db.Read().Attempts(ctx, run)
			if err != nil || len(got) != len(want) {
				t.Fatalf("attempts of %s: %d, %v; want %d", run, len(got), err, len(want))
			}
			for i := range want {
				if *got[i] != *want[i] || got[i].N != i+1 {
					t.Fatalf("attempt %d of %s: %+v, want %+v", i+1, run, *got[i], *want[i])
				}
			}
		}
	})
}

func TestCreateEntityOnce(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		bp := serviceBlueprint(t, db)
		newEntity := func(id, version string) store.NewEntity { return newEntity(t, id, version) }
		create := func(ne store.NewEntity) bool {
			t.Helper()
			ok, err := db.CreateEntityOnce(ctx, ne)
			if err != nil {
				t.Fatalf("CreateEntityOnce(%s): %v", ne.Entity.Identifier, err)
			}
			return ok
		}
		wroteNothing := func(ne store.NewEntity, why string) {
			t.Helper()
			evs, err := db.Read().EventsByID(ctx, []string{ne.Event.ID})
			if err != nil || len(evs) != 0 {
				t.Fatalf("%s: the event was stored (%d, %v)", why, len(evs), err)
			}
			if n, _ := db.Read().CountJobs(ctx, "match"); n != 0 {
				t.Fatalf("%s: %d match jobs queued, want none", why, n)
			}
		}

		ne := newEntity("svc-a", bp.UpdatedAt)
		if !create(ne) {
			t.Fatal("entity not created although its blueprint version matched")
		}
		if e, err := db.Read().Entity(ctx, "service", "svc-a"); err != nil || e.Properties["lang"] != "Go" {
			t.Fatalf("entity read back: %+v, %v", e, err)
		}
		evs, err := db.Read().EventsByID(ctx, []string{ne.Event.ID})
		if err != nil || evs[ne.Event.ID] == nil {
			t.Fatalf("creation event not stored: %v, %v", evs, err)
		}
		if got := evs[ne.Event.ID]; ne.Event.Seq == 0 || got.Seq != ne.Event.Seq || got.Entity != "svc-a" ||
			string(got.After) != string(ne.Doc) {
			t.Fatalf("creation event: %+v (Seq set to %d)", got, ne.Event.Seq)
		}
		jobs, err := db.ClaimJobs(ctx, "w", []string{"match"}, 10, time.Minute)
		if err != nil || len(jobs) != 1 || jobs[0].Ref != ne.Event.ID || jobs[0].OrderingKey != ne.Job.OrderingKey {
			t.Fatalf("match job: %+v, %v; want one for event %s", jobs, err, ne.Event.ID)
		}
		mustWrite(t, db, func(q *store.Queries) error { return q.CompleteJob(ctx, jobs[0].ID, "w") })

		// The identifier is taken.
		dup := newEntity("svc-a", bp.UpdatedAt)
		dup.Entity.Properties["lang"] = "Rust"
		dup.Doc, _ = json.Marshal(dup.Entity)
		if create(dup) {
			t.Fatal("an existing entity was created again")
		}
		if e, _ := db.Read().Entity(ctx, "service", "svc-a"); e.Properties["lang"] != "Go" {
			t.Fatalf("the existing entity was overwritten: %+v", e)
		}
		wroteNothing(dup, "existing identifier")

		// The blueprint changed since the entity was validated.
		stale := bp.UpdatedAt
		bp.UpdatedAt = "2026-01-02T00:00:00.000Z"
		mustWrite(t, db, func(q *store.Queries) error { return q.UpdateBlueprint(ctx, bp) })
		old := newEntity("svc-b", stale)
		if create(old) {
			t.Fatal("entity created against a stale blueprint version")
		}
		if _, err := db.Read().Entity(ctx, "service", "svc-b"); !berth.IsNotFound(err) {
			t.Fatalf("entity of a stale blueprint version stored: %v", err)
		}
		wroteNothing(old, "stale blueprint version")

		// Against the current version it is created; with no job, none is queued.
		version, err := db.Read().BlueprintVersion(ctx, "service")
		if err != nil {
			t.Fatal(err)
		}
		fresh := newEntity("svc-b", version)
		fresh.Job = store.Job{}
		if !create(fresh) {
			t.Fatal("entity not created against the current blueprint version")
		}
		if _, err := db.Read().Entity(ctx, "service", "svc-b"); err != nil {
			t.Fatal(err)
		}
		if evs, _ := db.Read().EventsByID(ctx, []string{fresh.Event.ID}); evs[fresh.Event.ID] == nil {
			t.Fatal("creation event not stored")
		}
		if n, _ := db.Read().CountJobs(ctx, "match"); n != 0 {
			t.Fatalf("%d match jobs queued for an entity created without a job", n)
		}
	})
}

// newEntity is a create of entity id of blueprint "service" validated
// against the blueprint at version, with its event and match job.
func newEntity(t *testing.T, id, version string) store.NewEntity {
	t.Helper()
	now := berth.FormatTime(time.Now())
	e := &berth.Entity{Identifier: id, Blueprint: "service", Team: []string{},
		Properties: map[string]any{"lang": "Go"}, Relations: map[string]any{}}
	e.CreatedAt, e.UpdatedAt = now, now
	doc, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	ev := &berth.Event{ID: berth.NewID("event_", 16), Action: berth.ActionCreate, ResourceType: berth.ResourceEntity,
		Status: "SUCCESS", Blueprint: "service", Entity: id, Trigger: berth.Trigger{Origin: berth.OriginAPI, At: now},
		After: doc}
	return store.NewEntity{Entity: e, Doc: doc, BlueprintVersion: version, Event: ev,
		Job: store.Job{Kind: "match", Ref: ev.ID, OrderingKey: "match/entity/service/" + id}}
}

// serviceBlueprint stores the blueprint newEntity's entities belong to.
func serviceBlueprint(t *testing.T, db *store.DB) *berth.Blueprint {
	t.Helper()
	bp := &berth.Blueprint{Identifier: "service", Title: "Service",
		Schema: berth.BlueprintSchema{Properties: map[string]berth.Property{"lang": {"type": "string"}}}}
	bp.CreatedAt = "2026-01-01T00:00:00.000Z"
	bp.UpdatedAt = bp.CreatedAt
	mustWrite(t, db, func(q *store.Queries) error { return q.InsertBlueprint(context.Background(), bp) })
	return bp
}

// Creates of the same entities from many requests at once: each entity is
// created once, by one of them, with one event and one job; the others are
// told it was not created (and take the general path, which says 409).
func TestCreateEntityOnceConcurrently(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		bp := serviceBlueprint(t, db)
		const entities, tries = 30, 3
		var wg sync.WaitGroup
		start := make(chan struct{})
		created := make([][]bool, entities)
		for i := range entities {
			created[i] = make([]bool, tries+1)
			for k := range tries + 1 {
				version := bp.UpdatedAt
				if k == tries {
					version = "2025-01-01T00:00:00.000Z" // stale: never created
				}
				ne := newEntity(t, fmt.Sprintf("svc-%d", i), version)
				wg.Go(func() {
					<-start
					ok, err := db.CreateEntityOnce(ctx, ne)
					if err != nil {
						t.Errorf("create svc-%d: %v", i, err)
					}
					created[i][k] = ok
					if ok && ne.Event.Seq == 0 {
						t.Errorf("svc-%d created, its event has no sequence number", i)
					}
				})
			}
		}
		close(start)
		wg.Wait()
		for i, tries := range created {
			if n := count(tries); n != 1 || tries[len(tries)-1] {
				t.Errorf("svc-%d: created by %v, want by exactly one create of the current blueprint version", i, tries)
			}
			evs, err := db.Read().Events(ctx, store.EventFilter{Blueprint: "service", Entity: fmt.Sprintf("svc-%d", i)})
			if err != nil || len(evs) != 1 {
				t.Errorf("svc-%d: %d events (%v), want 1", i, len(evs), err)
			}
		}
		if n, err := db.Read().CountJobs(ctx, "match"); n != entities || err != nil {
			t.Errorf("%d match jobs queued (%v), want %d", n, err, entities)
		}
	})
}

// On PostgreSQL, creates that arrive together are one statement: each
// is still created or refused on its own.
func TestCreateTogether(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.NewDatabase(t))
	bp := serviceBlueprint(t, db)
	taken := newEntity(t, "taken", bp.UpdatedAt)
	if ok, err := db.CreateEntityOnce(ctx, taken); !ok || err != nil {
		t.Fatalf("create: %v, %v", ok, err)
	}
	nes := []store.NewEntity{newEntity(t, "a", bp.UpdatedAt), newEntity(t, "taken", bp.UpdatedAt),
		newEntity(t, "stale", "2025-01-01T00:00:00.000Z"), newEntity(t, "b", bp.UpdatedAt)}
	nes[3].Job = store.Job{}
	created, errs := db.CreateTogether(ctx, nes)
	if want := []bool{true, false, false, true}; !slices.Equal(created, want) {
		t.Fatalf("created %v, want %v (errors %v)", created, want, errs)
	}
	for i, ne := range nes {
		if errs[i] != nil {
			t.Fatalf("create %s: %v", ne.Entity.Identifier, errs[i])
		}
		evs, err := db.Read().EventsByID(ctx, []string{ne.Event.ID})
		if err != nil || (evs[ne.Event.ID] != nil) != created[i] {
			t.Fatalf("%s: event stored %v, created %v (%v)", ne.Entity.Identifier, evs[ne.Event.ID] != nil, created[i], err)
		}
		if created[i] && evs[ne.Event.ID].Seq != ne.Event.Seq {
			t.Fatalf("%s: Seq %d, stored %d", ne.Entity.Identifier, ne.Event.Seq, evs[ne.Event.ID].Seq)
		}
	}
	if e, err := db.Read().Entity(ctx, "service", "taken"); err != nil || e.CreatedAt != taken.Entity.CreatedAt {
		t.Fatalf("the existing entity changed: %+v, %v", e, err)
	}
	jobs, err := db.ClaimJobs(ctx, "w", []string{"match"}, 10, time.Minute)
	refs := map[string]bool{}
	for _, j := range jobs {
		refs[j.Ref] = true
	}
	if err != nil || len(jobs) != 2 || !refs[taken.Event.ID] || !refs[nes[0].Event.ID] {
		t.Fatalf("match jobs %+v (%v): want those of taken and a", jobs, err)
	}
}

func count(bs []bool) (n int) {
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// wakes fails unless woken is closed within 5 s.
func wakes(t *testing.T, woken <-chan struct{}, failure string) {
	t.Helper()
	select {
	case <-woken:
	case <-time.After(5 * time.Second):
		t.Fatal(failure)
	}
}

// staysAsleep fails if woken is closed within 200 ms.
func staysAsleep(t *testing.T, woken <-chan struct{}, failure string) {
	t.Helper()
	select {
	case <-woken:
		t.Fatal(failure)
	case <-time.After(200 * time.Millisecond):
	}
}

// listening returns once db hears of jobs added by other instances. On
// PostgreSQL the listener connects after Open, and connecting wakes every
// subscription (jobs may have been added meanwhile), which would pass for
// a wake-up of the wrong kind: another instance adds a job of a kind
// nobody else works on, and db is woken once it listens.
func listening(t *testing.T, db *store.DB, openDB func() *store.DB) {
	t.Helper()
	if db.Engine() != store.EnginePostgres {
		return
	}
	woken := db.Subscribe("probe").Changed()
	enqueue(t, openDB(), store.Job{Kind: "probe", Ref: "probe"}, time.Now())
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("the PostgreSQL listener did not connect")
	}
}

func TestSubscribeWakesOnItsKindsOnly(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		listening(t, db, openDB)
		sub := db.Subscribe("match")
		woken := sub.Changed()
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "d1"}, time.Now())
		mustWrite(t, db, func(q *store.Queries) error {
			return q.EnqueueJobs(ctx, []store.Job{{Kind: "deliver", Ref: "d2"}, {Kind: "deliver", Ref: "d3"}}, time.Now())
		})
		staysAsleep(t, woken, "deliver jobs woke a subscription to match jobs")
		mustWrite(t, db, func(q *store.Queries) error {
			return q.EnqueueJobs(ctx, []store.Job{{Kind: "deliver", Ref: "d4"}, {Kind: "match", Ref: "m1"}}, time.Now())
		})
		wakes(t, woken, "a match job did not wake the subscription to match jobs")
		// The next wake-up needs a new change.
		staysAsleep(t, sub.Changed(), "Changed() is closed again without a new change")
	})
}

func TestReleaseExpiredFreesExpiredLeasesOnly(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		listening(t, db, openDB)
		enqueue(t, db, store.Job{Kind: "match", Ref: "expires"}, time.Now())
		enqueue(t, db, store.Job{Kind: "match", Ref: "held"}, time.Now())
		if jobs, _ := db.ClaimJobs(ctx, "dead", []string{"match"}, 1, time.Millisecond); refs(jobs) != "expires" {
			t.Fatalf("first claim: %s", refs(jobs))
		}
		if jobs, _ := db.ClaimJobs(ctx, "alive", []string{"match"}, 1, time.Hour); refs(jobs) != "held" {
			t.Fatalf("second claim: %s", refs(jobs))
		}
		time.Sleep(10 * time.Millisecond)
		if jobs, _ := db.ClaimJobs(ctx, "other", []string{"match"}, 10, time.Minute); len(jobs) != 0 {
			t.Fatalf("claimed %s before ReleaseExpired", refs(jobs))
		}
		// A release wakes subscriptions of every kind.
		match, deliver := db.Subscribe("match").Changed(), db.Subscribe("deliver").Changed()
		if n, err := db.ReleaseExpired(ctx); n != 1 || err != nil {
			t.Fatalf("ReleaseExpired = %d, %v; want 1", n, err)
		}
		for kind, woken := range map[string]<-chan struct{}{"match": match, "deliver": deliver} {
			select {
			case <-woken:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReleaseExpired did not wake the %s subscription", kind)
			}
		}
		jobs, err := db.ClaimJobs(ctx, "other", []string{"match"}, 10, time.Minute)
		if err != nil || refs(jobs) != "expires" || jobs[0].Attempts != 2 {
			t.Fatalf("after ReleaseExpired claimed %+v, %v; want only the expired job, on its second attempt", jobs, err)
		}
		if n, err := db.ReleaseExpired(ctx); n != 0 || err != nil {
			t.Fatalf("second ReleaseExpired = %d, %v; want 0", n, err)
		}
	})
}

// Completing a job that a later job of its ordering key waited for wakes
// the workers of that job's kind; completing one without a key, or the
// last of its key, does not.
func TestCompletingAKeyedJobWakesItsSuccessor(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		listening(t, db, openDB)
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "free"}, time.Now())
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "k1", OrderingKey: "k"}, time.Now())
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "k2", OrderingKey: "k"}, time.Now())
		claimed, err := db.ClaimJobs(ctx, "w", []string{"deliver"}, 10, time.Minute)
		if err != nil || len(claimed) != 2 {
			t.Fatalf("claimed %+v (%v), want the free job and k1", claimed, err)
		}
		sub := db.Subscribe("deliver")
		woken := sub.Changed()
		mustWrite(t, db, func(q *store.Queries) error { return q.CompleteJob(ctx, claimed[0].ID, "w") }) // "free"
		staysAsleep(t, woken, "completing a job without an ordering key woke the workers")
		mustWrite(t, db, func(q *store.Queries) error { return q.CompleteJob(ctx, claimed[1].ID, "w") }) // k1
		wakes(t, woken, "completing k1 did not wake the workers waiting for k2")
		next, _ := db.ClaimJobs(ctx, "w", []string{"deliver"}, 10, time.Minute)
		if len(next) != 1 || next[0].Ref != "k2" {
			t.Fatalf("after k1: claimed %+v, want k2", next)
		}
		woken = sub.Changed()
		mustWrite(t, db, func(q *store.Queries) error { return q.CompleteJob(ctx, next[0].ID, "w") }) // k2, the last
		staysAsleep(t, woken, "completing the last job of a key woke the workers")

		// The successor may be of another kind: its workers are woken.
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "r1", OrderingKey: "r"}, time.Now())
		enqueue(t, db, store.Job{Kind: "follow", Ref: "r2", OrderingKey: "r"}, time.Now())
		first, err := db.ClaimJobs(ctx, "w", []string{"deliver"}, 10, time.Minute)
		if err != nil || refs(first) != "r1" {
			t.Fatalf("claimed %q (%v), want r1", refs(first), err)
		}
		followers := db.Subscribe("follow").Changed()
		mustWrite(t, db, func(q *store.Queries) error { return q.CompleteJob(ctx, first[0].ID, "w") })
		wakes(t, followers, "completing r1 did not wake the workers of r2's kind")
	})
}
