package engine

import (
	"context"
	"sync"
	"time"

	"github.com/berthdev/berth"
)

// backlogPoll is how often the engine counts its queue for admission.
const backlogPoll = 100 * time.Millisecond

// watchBacklog keeps e.backlog near the number of jobs waiting for a
// worker until ctx ends: due in the queue, or handed to this instance and
// not started. It counts one past Config.MaxBacklog at most per kind: all
// Admit needs.
func (e *Engine) watchBacklog(ctx context.Context) {
	if e.cfg.MaxBacklog <= 0 {
		return // Admit never holds writes back
	}
	t := time.NewTicker(backlogPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := e.db.Read().CountDueJobsUpTo(ctx, jobKinds, e.cfg.MaxBacklog+1); err == nil {
				e.counted(n + e.matches.len() + e.deliveries.len())
			}
		}
	}
}

// counted records that n jobs are queued, letting held writes through if
// that is within the limit.
func (e *Engine) counted(n int) {
	e.backlog.Store(int64(n))
	if n <= e.cfg.MaxBacklog {
		e.admits.open()
	}
}

// Admit holds back a write that would add work while the engine's backlog
// is over Config.MaxBacklog, so that under sustained overload writes slow
// down instead of the queue (and delivery latency) growing without bound.
// It waits at most Config.AdmitWait, then lets the write through.
// Errors: the context's, when it ends while waiting.
func (e *Engine) Admit(ctx context.Context) error {
	if e.cfg.MaxBacklog <= 0 || e.backlog.Load() <= int64(e.cfg.MaxBacklog) {
		return nil
	}
	timeout := time.NewTimer(e.cfg.AdmitWait)
	defer timeout.Stop()
	for {
		opened := e.admits.wait()
		if e.backlog.Load() <= int64(e.cfg.MaxBacklog) {
			return nil
		}
		select {
		case <-ctx.Done():
			return berth.Errorf(berth.CodeInternal, "the request ended while berth was busy: %v", ctx.Err())
		case <-opened:
		case <-timeout.C:
			return nil
		}
	}
}

// gate lets the writes Admit holds back through at once when the backlog
// is counted below the limit: no waiting write polls on its own.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // closed by open
}

// wait returns a channel closed the next time the gate opens.
func (g *gate) wait() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
	return g.ch
}

// open releases every write waiting at the gate.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}
