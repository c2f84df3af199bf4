// Package engine runs berth's pipeline: it matches change-log events against
// automations and creates their runs, delivers runs to their backends, and
// fires timers. All work flows through the store's job queue, so a crash at
// any point loses nothing, and a job's effects commit together with its
// completion, so nothing happens twice.
package engine

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// Config tunes the engine. Zero fields take the defaults named beside them.
type Config struct {
	// MaxDepth stops automation chains: a run at this depth creates no
	// further runs (default 10).
	MaxDepth int
	// Deliveries is how many deliveries run at once (default 64).
	Deliveries int
	// Lease is how long a claimed job is held without a heartbeat before
	// another instance may take it over (default 30s). Running jobs are
	// renewed every Lease/3, so a delivery may take longer than a lease.
	Lease time.Duration
	// Poll bounds how long a worker sleeps without a wake-up (default 1s).
	Poll time.Duration
	// Policy is the retry policy of deliveries (default delivery.DefaultPolicy).
	Policy delivery.Policy
	// StrictTemplates fails a run whose template expressions fail, instead
	// of rendering them as null with a log line.
	StrictTemplates bool
	// MaxBacklog is how many queued jobs the engine accepts before Admit
	// holds writes back (default 2000; negative: never).
	MaxBacklog int
	// AdmitWait bounds how long Admit holds a write (default 5s).
	AdmitWait time.Duration
	// Observer is told of matches and delivery attempts, for metrics and
	// traces (default: nobody).
	Observer Observer
}

func (c Config) withDefaults() Config {
	c.MaxDepth = cmp.Or(c.MaxDepth, 10)
	c.Deliveries = cmp.Or(c.Deliveries, 64)
	c.Lease = cmp.Or(c.Lease, 30*time.Second)
	c.Poll = cmp.Or(c.Poll, time.Second)
	c.MaxBacklog = cmp.Or(c.MaxBacklog, 2000)
	c.AdmitWait = cmp.Or(c.AdmitWait, 5*time.Second)
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Policy.Attempts == 0 {
		c.Policy = delivery.DefaultPolicy
	}
	return c
}

// Engine is one instance's workers. Several engines (instances) may share a
// store; the queue's leases divide the work between them.
type Engine struct {
	db       *store.DB
	org      *service.Org
	backends delivery.Registry
	cfg      Config
	log      *slog.Logger
	worker   string // this instance's lease holder name
	actions  *actionCache
	renderer *service.Renderer
	// matches and deliveries hold the jobs handed to this instance.
	matches, deliveries *inbox
	backlog             atomic.Int64 // queued jobs, as last counted
	admits              gate         // opened when the backlog is counted below the limit
}

// New returns an engine over db delivering through backends.
func New(db *store.DB, org *service.Org, backends delivery.Registry, cfg Config, log *slog.Logger) *Engine {
	return &Engine{db: db, org: org, backends: backends, cfg: cfg.withDefaults(), log: log,
		worker: berth.NewID("w_", 12), actions: &actionCache{db: db}, matches: newInbox(), deliveries: newInbox(),
		renderer: &service.Renderer{DB: db, Key: org.SecretsKey, Strict: cfg.StrictTemplates}}
}

// Run works until ctx is cancelled, then lets work in progress finish.
func (e *Engine) Run(ctx context.Context) {
	ctx = store.Urgent(ctx) // the engine's writes go before the API's
	rec := newRecorder(e)
	e.db.HandOff(e.worker, e.cfg.Lease, []string{service.JobMatch, service.JobDeliver}, e.handOff)
	var wg sync.WaitGroup
	// Events are matched one batch at a time (matchBatches); timers fire
	// beside them.
	wg.Go(func() {
		e.loop(ctx, matchKinds, 4*matchBatch, matchBatch, matchBatches, e.matches, e.startMatches)
	})
	wg.Go(func() {
		e.loop(ctx, deliveryKinds, e.cfg.Deliveries, e.cfg.Deliveries, 0, e.deliveries,
			func(ctx context.Context, jobs []store.Job, done func()) { e.startDeliveries(ctx, jobs, rec, done) })
	})
	wg.Go(func() { e.heartbeat(ctx) })
	wg.Go(func() { e.watchBacklog(ctx) })
	wg.Wait()
	e.db.HandOff("", 0, nil, nil)
	e.releaseLater(append(e.matches.close(), e.deliveries.close()...))
	rec.close()
}

// handOff sorts handed-off jobs into their loops' inboxes.
func (e *Engine) handOff(jobs []store.Job) {
	var matches, deliveries []store.Job
	for _, j := range jobs {
		if j.Kind == service.JobMatch {
			matches = append(matches, j)
		} else {
			deliveries = append(deliveries, j)
		}
	}
	e.put(e.matches, matches)
	e.put(e.deliveries, deliveries)
}

// put adds jobs to an inbox, or gives them back if it is closed (the
// engine is stopping). It runs on a committing goroutine: it must not wait.
func (e *Engine) put(in *inbox, jobs []store.Job) {
	if len(jobs) > 0 && !in.put(jobs) {
		go e.releaseLater(jobs)
	}
}

// releaseLater gives back handed-off jobs this instance will not start
// (it is stopping), so that others need not wait for their leases to run
// out.
func (e *Engine) releaseLater(jobs []store.Job) {
	if len(jobs) == 0 {
		return
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.db.ReleaseJobs(ctx, e.worker, ids); err != nil {
		e.log.Warn("releasing unstarted jobs failed; their leases will expire", "jobs", len(ids), "err", err)
	}
}

// The kinds of jobs of the engine's two loops, and all of them.
var (
	matchKinds    = []string{service.JobMatch, service.JobTimer}
	deliveryKinds = []string{service.JobDeliver, JobFollow, service.JobNotify}
	jobKinds      = slices.Concat(matchKinds, deliveryKinds)
)

// matchBatch is the most match jobs handled together. With one batch at a
// time, it bounds an instance's matching rate (a batch's events over its
// round trips): 128 measured faster than 64 on one instance under load.
const matchBatch = 128

// matchBatches is how many match batches run at once. One: while it
// waits for the database, the events that arrive wait in the inbox and make
// the next batch bigger, so under load each event costs fewer statements.
// More batches at once made more, smaller batches and measured slower on
// both stores (docs/BENCHMARKS.md, fifth session).
const matchBatches = 1

// heartbeat renews this instance's leases every Lease/3, and every second
// frees the jobs of workers whose lease ran out (busy loops may not look
// for them themselves), until ctx ends.
func (e *Engine) heartbeat(ctx context.Context) {
	renew := time.NewTicker(e.cfg.Lease / 3)
	defer renew.Stop()
	release := time.NewTicker(min(e.cfg.Lease/3, time.Second))
	defer release.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			if err := e.db.RenewLeases(ctx, e.worker, e.cfg.Lease); err != nil && ctx.Err() == nil {
				e.log.Error("renewing job leases failed", "err", err)
			}
		case <-release.C:
			if _, err := e.db.ReleaseExpired(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("releasing expired job leases failed", "err", err)
			}
		}
	}
}

// starter begins work on a batch of claimed jobs and returns; it calls done
// once for each job when it is finished with it, from any goroutine, and
// its work runs on a context that outlives the loop's, so a shutdown lets
// it finish.
type starter func(ctx context.Context, jobs []store.Job, done func())

// loop runs jobs of the given kinds: those handed to its inbox, and those
// it claims from the queue. It takes as many as it has free slots (a job
// holds a slot until start calls done for it) but at most batch at a time,
// and hands each batch to start. It sleeps until jobs of its kinds are
// added, a job falls due, a slot frees up, or Poll passes. Jobs taken
// together never share an ordering key, so they can run in parallel.
// With batches > 0, at most that many batches run at once: the loop takes
// its next batch when one finishes, and jobs arriving meanwhile join it.
func (e *Engine) loop(ctx context.Context, kinds []string, slots, batch, batches int, in *inbox, start starter) {
	free := make(chan struct{}, slots)
	var running chan struct{} // a token per batch in progress, when batches > 0
	if batches > 0 {
		running = make(chan struct{}, batches)
	}
	for range slots {
		free <- struct{}{}
	}
	defer func() { // wait for the work in progress
		for range slots {
			<-free
		}
	}()
	freed := make(chan struct{}, 1) // a slot came back
	done := func() {
		free <- struct{}{}
		select {
		case freed <- struct{}{}:
		default:
		}
	}
	workCtx := context.WithoutCancel(ctx)
	sub := e.db.Subscribe(kinds...)
	queued := true // the queue may hold jobs for this loop: claim
	for ctx.Err() == nil {
		if running != nil {
			select {
			case <-ctx.Done():
				continue
			case running <- struct{}{}:
			}
		}
		woken := sub.Changed()
		// Take jobs in batches: a claim is a write, and batches are
		// handled with fewer writes per job. Wait for a quarter of a
		// batch's slots unless the loop is idle.
		n := min(len(free), batch)
		if n == 0 || n < batch/4 && len(free) < slots {
			release(running)
			select {
			case <-ctx.Done():
			case <-freed:
			}
			continue
		}
		// Handed-off jobs first; while the queue has jobs too, leave it
		// a quarter of the slots, so that neither waits for the other.
		looked := queued
		take := n
		if queued {
			take = n - n/4
		}
		jobs := in.take(take)
		if queued && len(jobs) < n {
			ask := n - len(jobs)
			claimed, err := e.db.ClaimJobs(ctx, e.worker, kinds, ask, e.cfg.Lease)
			if err != nil && ctx.Err() == nil {
				e.log.Error("claiming jobs failed", "kinds", kinds, "err", err)
			}
			queued = len(claimed) == ask
			jobs = append(jobs, claimed...)
		}
		for range jobs {
			<-free
		}
		if len(jobs) > 0 {
			start(workCtx, jobs, batchDone(len(jobs), done, running))
		} else {
			release(running)
		}
		switch {
		case len(jobs) == n || in.len() > 0:
			// There may be more.
		case len(jobs) > 0 || !looked:
			// Busy, or the queue was not looked at: wait for more to
			// arrive, and look at the queue again at the latest after
			// busyWait. No need to look for jobs due later: the next
			// claim takes whatever is due by then.
			if e.wait(ctx, woken, in.ready, busyWait) {
				queued = true
			}
		default:
			if e.sleep(ctx, kinds, woken, in.ready) {
				queued = true
			}
		}
	}
}

// batchDone returns the done function of a batch of n jobs: done for each,
// and the batch's token back to running (if any) after the last.
func batchDone(n int, done func(), running chan struct{}) func() {
	if running == nil {
		return done
	}
	var left atomic.Int64
	left.Store(int64(n))
	return func() {
		done()
		if left.Add(-1) == 0 {
			release(running)
		}
	}
}

// release gives back a batch token taken from running (nil: none).
func release(running chan struct{}) {
	if running != nil {
		<-running
	}
}

// busyWait bounds how long a loop that just found work waits for more
// without looking.
const busyWait = 50 * time.Millisecond

// wait waits for a wake-up or jobs in the inbox, at most d. It reports
// whether the queue may hold new jobs: false if only the inbox woke it.
func (e *Engine) wait(ctx context.Context, woken, ready <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-woken:
	case <-ready:
		return false
	case <-t.C:
	}
	return true
}

// sleep waits for new work: a wake-up, jobs in the inbox, the next job
// falling due, or Poll. A lease that expired meanwhile is released at once.
// It reports whether the queue may hold new jobs, like wait.
func (e *Engine) sleep(ctx context.Context, kinds []string, woken, ready <-chan struct{}) bool {
	wait := e.cfg.Poll
	if next, ok, err := e.db.NextJobAt(ctx, kinds); err == nil && ok {
		if wait = time.Until(next); wait <= 0 {
			// Due already but not claimed: a lease expired, or an
			// earlier job of its ordering key holds it back. That
			// job's completion wakes the loop (on another instance:
			// by its next notification); look again soon anyway,
			// but not in a tight loop.
			if n, err := e.db.ReleaseExpired(ctx); err == nil && n > 0 {
				return true
			}
			wait = busyWait
		}
		wait = max(min(wait, e.cfg.Poll), time.Millisecond)
	}
	return e.wait(ctx, woken, ready, wait)
}

// each runs handle on every job in its own goroutine, calling done after
// each; a job whose handling fails is released to be tried again later.
func (e *Engine) each(ctx context.Context, jobs []store.Job, done func(), handle func(context.Context, store.Job) error) {
	for _, j := range jobs {
		go func() {
			defer done()
			if err := handle(ctx, j); err != nil {
				e.retryLater(ctx, j, err)
			}
		}()
	}
}

// retryLater releases a job whose handling failed unexpectedly (a store
// outage, a bug) to try again in a while.
func (e *Engine) retryLater(ctx context.Context, j store.Job, err error) {
	e.log.Error("job failed; retrying", "kind", j.Kind, "ref", j.Ref, "attempt", j.Attempts, "err", err)
	delay, _ := e.cfg.Policy.Delay(min(j.Attempts, 8), 0, nil)
	werr := e.db.Write(context.WithoutCancel(ctx), func(q *store.Queries) error {
		return q.RetryJob(ctx, j.ID, e.worker, time.Now().Add(delay), err.Error())
	})
	if werr != nil && !errors.Is(werr, store.ErrLeaseLost) {
		e.log.Error("releasing a failed job failed; its lease will expire", "ref", j.Ref, "err", werr)
	}
}
