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
	backlog  atomic.Int64 // queued jobs, as last counted
}

// New returns an engine over db delivering through backends.
func New(db *store.DB, org *service.Org, backends delivery.Registry, cfg Config, log *slog.Logger) *Engine {
	return &Engine{db: db, org: org, backends: backends, cfg: cfg.withDefaults(), log: log,
		worker: berth.NewID("w_", 12), actions: &actionCache{db: db},
		renderer: &service.Renderer{DB: db, Key: org.SecretsKey, Strict: cfg.StrictTemplates}}
}

// Run works until ctx is cancelled, then lets work in progress finish.
func (e *Engine) Run(ctx context.Context) {
	ctx = store.Urgent(ctx) // the engine's writes go before the API's
	var wg sync.WaitGroup
	wg.Go(func() { e.loop(ctx, []string{service.JobMatch, service.JobTimer}, 32, e.handleMatchOrTimer) })
	wg.Go(func() {
		e.loop(ctx, []string{service.JobDeliver, JobFollow, service.JobNotify}, e.cfg.Deliveries, e.handleDelivery)
	})
	wg.Go(func() { e.heartbeat(ctx) })
	wg.Go(func() { e.watchBacklog(ctx) })
	wg.Wait()
}

// heartbeat renews this instance's leases every Lease/3 until ctx ends.
func (e *Engine) heartbeat(ctx context.Context) {
	t := time.NewTicker(e.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.db.RenewLeases(ctx, e.worker, e.cfg.Lease); err != nil && ctx.Err() == nil {
				e.log.Error("renewing job leases failed", "err", err)
			}
		}
	}
}

func (e *Engine) handleDelivery(ctx context.Context, j store.Job) error {
	switch j.Kind {
	case JobFollow:
		return e.follow(ctx, j)
	case service.JobNotify:
		return e.notify(ctx, j)
	}
	return e.deliver(ctx, j)
}

func (e *Engine) handleMatchOrTimer(ctx context.Context, j store.Job) error {
	if j.Kind == service.JobTimer {
		return e.fireTimer(ctx, j)
	}
	return e.match(ctx, j)
}

// loop claims jobs of the given kinds, as many as it has free slots, and
// runs handle on each in its own goroutine. It sleeps until new work is
// announced, a job falls due, a slot frees up, or Poll passes. Claimed jobs
// never share an ordering key, so they can run in parallel. Handlers run on
// a context that outlives ctx, so a shutdown lets them finish.
func (e *Engine) loop(ctx context.Context, kinds []string, slots int, handle func(context.Context, store.Job) error) {
	var wg sync.WaitGroup
	defer wg.Wait()
	free := make(chan struct{}, slots)
	for range slots {
		free <- struct{}{}
	}
	freed := make(chan struct{}, 1) // a slot came back
	workCtx := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		woken := e.db.JobsChanged()
		// Claim in batches: a claim is a write, and on SQLite writes are
		// the scarce resource. Wait for a quarter of the slots unless
		// the loop is idle.
		n := len(free)
		if n == 0 || n < slots/4 && n < slots {
			select {
			case <-ctx.Done():
			case <-freed:
			}
			continue
		}
		jobs, err := e.db.ClaimJobs(ctx, e.worker, kinds, n, e.cfg.Lease)
		if err != nil && ctx.Err() == nil {
			e.log.Error("claiming jobs failed", "kinds", kinds, "err", err)
		}
		for _, j := range jobs {
			<-free
			wg.Go(func() {
				defer func() {
					free <- struct{}{}
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
				if err := handle(workCtx, j); err != nil {
					e.retryLater(workCtx, j, err)
				}
			})
		}
		if len(jobs) == 0 {
			e.sleep(ctx, kinds, woken)
		}
	}
}

func (e *Engine) sleep(ctx context.Context, kinds []string, woken <-chan struct{}) {
	wait := e.cfg.Poll
	if next, ok, err := e.db.NextJobAt(ctx, kinds); err == nil && ok {
		wait = max(min(time.Until(next), wait), time.Millisecond)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-woken:
	case <-t.C:
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
