package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/engine"
	"github.com/berthdev/berth/internal/pgtest"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// The engine matches events and records deliveries in batches. These tests
// check what users rely on whatever the batching does: one run per change,
// delivered once, in the order of the entity's changes, and a bad job that
// neither holds back nor takes down the jobs claimed with it.

// onEachStore runs suite on a fresh SQLite file store and, when
// BERTH_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database.
func onEachStore(t *testing.T, suite func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		suite(t, openStore(t, filepath.Join(t.TempDir(), "berth.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		suite(t, openStore(t, pgtest.NewDatabase(t)))
	})
}

func openStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pipeline is an organization with a blueprint "svc" (a number property n)
// and an automation "notify" that fires on every change of an svc entity
// and sends the entity and its n to a WEBHOOK backend.
type pipeline struct {
	db  *store.DB
	org *service.Org
	cat *service.Catalog
	ch  service.Change
}

func newPipeline(t *testing.T, db *store.DB) *pipeline {
	t.Helper()
	ctx := context.Background()
	org, err := service.LoadOrg(ctx, db, service.OrgConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{db: db, org: org, cat: service.NewCatalog(db),
		ch: service.Change{Actor: berth.Actor{OrgID: org.ID, UserID: "tester"}, Origin: berth.OriginAPI}}
	if _, err := p.cat.CreateBlueprint(ctx, p.ch, []byte(`{"identifier":"svc","title":"Svc",
		"schema":{"properties":{"n":{"type":"number"}}}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := service.NewActions(db).Create(ctx, p.ch, []byte(`{"identifier":"notify","trigger":{"type":"automation",
		"event":{"type":"ANY_ENTITY_CHANGE","blueprintIdentifier":"svc"}},
		"invocationMethod":{"type":"WEBHOOK","url":"http://example.invalid/hook",
		"body":{"entity":"{{ .event.context.entityIdentifier }}","n":"{{ .event.diff.after.properties.n }}"}}}`)); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pipeline) createEntity(t *testing.T, id string, n int) {
	t.Helper()
	raw := fmt.Appendf(nil, `{"identifier":%q,"properties":{"n":%d}}`, id, n)
	if _, _, err := p.cat.CreateEntity(context.Background(), p.ch, "svc", raw, service.WriteOptions{}); err != nil {
		t.Errorf("create %s: %v", id, err)
	}
}

func (p *pipeline) setN(t *testing.T, id string, n int) {
	t.Helper()
	raw := fmt.Appendf(nil, `{"properties":{"n":%d}}`, n)
	if _, err := p.cat.PatchEntity(context.Background(), p.ch, "svc", id, raw, service.WriteOptions{}); err != nil {
		t.Errorf("update %s to n=%d: %v", id, n, err)
	}
}

// start runs an engine over the pipeline until the test ends (or until the
// returned stop is called).
func (p *pipeline) start(t *testing.T, backend delivery.Backend, cfg engine.Config, log *slog.Logger) (stop func()) {
	t.Helper()
	eng := engine.New(p.db, p.org, delivery.Registry{"WEBHOOK": backend}, cfg, log)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { eng.Run(ctx) })
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop) // before the store closes: cleanups run last first
	return stop
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// delivered is one delivery a recordingBackend received.
type delivered struct {
	runID  string
	entity string // from the rendered body
	n      int    // the entity's n, from the rendered body; -1 if unreadable
}

// recordingBackend accepts every delivery at once and remembers it.
type recordingBackend struct {
	mu   sync.Mutex
	got  []delivered
	errs []string
}

func (b *recordingBackend) Deliver(_ context.Context, req delivery.Request) delivery.Result {
	var inv struct {
		Body struct {
			Entity string          `json:"entity"`
			N      json.RawMessage `json:"n"`
		} `json:"body"`
	}
	d := delivered{runID: req.Run.ID, n: -1}
	if err := json.Unmarshal(req.Payload, &inv); err == nil {
		d.entity = inv.Body.Entity
		if n, err := strconv.Atoi(strings.Trim(string(inv.Body.N), `"`)); err == nil {
			d.n = n
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if d.n < 0 || d.entity == "" {
		b.errs = append(b.errs, fmt.Sprintf("run %s: unexpected payload %s", req.Run.ID, req.Payload))
	}
	b.got = append(b.got, d)
	return delivery.Result{Outcome: delivery.Delivered, Target: "memory", StatusCode: 200}
}

func (b *recordingBackend) deliveries() []delivered {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

func (b *recordingBackend) payloadErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errs)
}

// waitFor polls cond until it holds, failing the test after timeout with
// cond's last description of what it saw.
func waitFor(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkRunsDeliveredOnce checks that the automation made exactly one run
// per entity event (its idempotency key names the event), that each run was
// delivered exactly once and has exactly one attempt record, numbered 1.
// It returns the runs.
func checkRunsDeliveredOnce(t *testing.T, db *store.DB, backend *recordingBackend, wantRuns int) []*berth.Run {
	t.Helper()
	ctx := context.Background()
	events, err := db.Read().Events(ctx, store.EventFilter{Blueprint: "svc",
		Resources: []string{berth.ResourceEntity}, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != wantRuns {
		t.Errorf("%d entity events recorded, want %d", len(events), wantRuns)
	}
	runs, err := db.Read().Runs(ctx, store.RunFilter{Action: "notify", Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != wantRuns {
		t.Errorf("%d runs, want one per change: %d", len(runs), wantRuns)
	}
	runOf := map[string]string{} // idempotency key → run id
	for _, r := range runs {
		if other, dup := runOf[r.IdempotencyKey]; dup {
			t.Errorf("runs %s and %s were made for the same event and automation (%s)", other, r.ID, r.IdempotencyKey)
		}
		runOf[r.IdempotencyKey] = r.ID
		if r.Status != berth.RunInProgress {
			t.Errorf("run %s is %s, want %s (delivered, not finished)", r.ID, r.Status, berth.RunInProgress)
		}
	}
	for _, ev := range events {
		if _, ok := runOf[ev.ID+"/notify"]; !ok {
			t.Errorf("event %s (%s of %s) made no run", ev.ID, ev.Action, ev.Entity)
		}
	}

	times := map[string]int{}
	for _, d := range backend.deliveries() {
		times[d.runID]++
	}
	for _, r := range runs {
		if times[r.ID] != 1 {
			t.Errorf("run %s delivered %d times, want 1", r.ID, times[r.ID])
		}
		delete(times, r.ID)
		attempts, err := db.Read().Attempts(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != 1 || attempts[0].N != 1 || attempts[0].Outcome != delivery.Delivered.String() {
			desc := make([]string, len(attempts))
			for i, a := range attempts {
				desc[i] = fmt.Sprintf("#%d %s", a.N, a.Outcome)
			}
			t.Errorf("run %s has attempts %v, want exactly [#1 delivered]", r.ID, desc)
		}
	}
	for id, n := range times {
		t.Errorf("delivered %d times a run %s that is not stored", n, id)
	}
	for _, e := range backend.payloadErrors() {
		t.Error(e)
	}
	return runs
}

// TestBatchesMakeOneRunPerChangeInOrder changes a few entities many times
// at once, so that their match jobs and deliveries are handled in batches of
// all sizes, and checks that every change makes one run, delivered once and
// recorded once, and that each entity's deliveries come in the order of its
// changes.
func TestBatchesMakeOneRunPerChangeInOrder(t *testing.T) {
	const entities, updates = 3, 40
	const changes = entities * (1 + updates) // a create, then the updates
	onEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := newPipeline(t, db)
		backend := &recordingBackend{}
		p.start(t, backend, engine.Config{}, discardLogger())

		var writers sync.WaitGroup
		for e := range entities {
			id := fmt.Sprintf("e%d", e)
			writers.Go(func() {
				p.createEntity(t, id, 0)
				for n := 1; n <= updates; n++ {
					p.setN(t, id, n)
				}
			})
		}
		writers.Wait()
		if t.Failed() {
			t.FailNow()
		}

		waitFor(t, 10*time.Second, func() (bool, string) {
			n, err := db.Read().CountAllJobs(ctx)
			got := len(backend.deliveries())
			return err == nil && n == 0 && got >= changes,
				fmt.Sprintf("%d deliveries of %d changes, %d jobs queued (%v)", got, changes, n, err)
		})
		checkRunsDeliveredOnce(t, db, backend, changes)

		byEntity := map[string][]int{}
		for _, d := range backend.deliveries() {
			byEntity[d.entity] = append(byEntity[d.entity], d.n)
		}
		want := make([]int, 0, 1+updates)
		for n := 0; n <= updates; n++ {
			want = append(want, n)
		}
		for e := range entities {
			id := fmt.Sprintf("e%d", e)
			if !slices.Equal(byEntity[id], want) {
				t.Errorf("deliveries of %s came with n = %v, want the order of its changes %v", id, byEntity[id], want)
			}
		}
		if n, err := db.Read().CountAllJobs(ctx); err != nil || n != 0 {
			t.Errorf("%d jobs left in the queue (%v), want none", n, err)
		}
	})
}

// TestBatchWithABadJobStillMatchesTheOthers queues a match job for an event
// that does not exist among real changes, so that the engine claims them in
// one batch. The batch cannot be matched as a whole; the real changes must
// still make their runs and be delivered, and the bad job must be kept,
// released to be tried again later, with its error reported.
func TestBatchWithABadJobStillMatchesTheOthers(t *testing.T) {
	const good = 10
	const badRef = "event_does_not_exist"
	onEachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := newPipeline(t, db)
		// Changes made while no engine runs wait in the queue, to be claimed
		// in one batch with the bad job among them.
		for i := range good {
			if i == good/2 {
				err := db.Write(ctx, func(q *store.Queries) error {
					return q.EnqueueJob(ctx, store.Job{Kind: service.JobMatch, Ref: badRef, OrderingKey: "match/test/bad"}, time.Now())
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			p.createEntity(t, fmt.Sprintf("e%d", i), i)
		}
		if n, err := db.Read().CountJobs(ctx, service.JobMatch); err != nil || n != good+1 {
			t.Fatalf("%d match jobs queued (%v), want %d", n, err, good+1)
		}

		backend := &recordingBackend{}
		logs := &logRecorder{}
		// A failed job is tried again after the policy's first delay: an
		// hour, far beyond the lease, so that the bad job's next due time
		// tells whether it was released (due in an hour) or is still
		// leased (its lease ends within 10s).
		cfg := engine.Config{Lease: 10 * time.Second,
			Policy: delivery.Policy{Initial: time.Hour, Max: 2 * time.Hour, Attempts: 10, Jitter: 0.2}}
		p.start(t, backend, cfg, slog.New(logs))

		waitFor(t, 10*time.Second, func() (bool, string) {
			counts, err := db.Read().JobCounts(ctx)
			next, ok, nerr := db.NextJobAt(ctx, []string{service.JobMatch})
			got := len(backend.deliveries())
			released := ok && time.Until(next) > 30*time.Minute
			return err == nil && nerr == nil && got >= good && counts[service.JobDeliver] == 0 && released,
				fmt.Sprintf("%d of %d changes delivered; jobs queued %v (%v); next match job due in %s (queued: %v, %v)",
					got, good, counts, err, time.Until(next).Round(time.Second), ok, nerr)
		})
		runs := checkRunsDeliveredOnce(t, db, backend, good)
		entities := map[string]bool{}
		for _, r := range runs {
			if r.Entity != nil {
				entities[r.Entity.Identifier] = true
			}
		}
		if len(entities) != good {
			t.Errorf("runs were made for %d entities, want %d", len(entities), good)
		}

		// The bad job is neither lost nor completed: it stays queued, the
		// only job left, released for a later retry.
		counts, err := db.Read().JobCounts(ctx)
		if err != nil || len(counts) != 1 || counts[service.JobMatch] != 1 {
			t.Errorf("jobs left %v (%v), want only the bad match job", counts, err)
		}
		if !logs.errorMentions(badRef) {
			t.Errorf("no error was logged for the bad job %s; logged: %v", badRef, logs.errors())
		}
	})
}

// logRecorder is a slog.Handler that keeps error records, output nowhere.
type logRecorder struct {
	mu   sync.Mutex
	errs []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.Key + "=" + a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, line)
	return nil
}

func (h *logRecorder) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.errs)
}

// errorMentions reports whether an error record names s as an attribute
// value.
func (h *logRecorder) errorMentions(s string) bool {
	for _, line := range h.errors() {
		if strings.Contains(line, "="+s) {
			return true
		}
	}
	return false
}
