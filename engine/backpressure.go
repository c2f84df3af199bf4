package engine

import (
	"context"
	"time"

	"github.com/berthdev/berth"
)

// backlogPoll is how often the engine counts its queue for admission.
const backlogPoll = 100 * time.Millisecond

// watchBacklog keeps e.backlog near the number of queued jobs until ctx
// ends. It counts one past Config.MaxBacklog at most: all Admit needs.
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
			if n, err := e.db.Read().CountJobsUpTo(ctx, e.cfg.MaxBacklog+1); err == nil {
				e.backlog.Store(int64(n))
			}
		}
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
	deadline := time.Now().Add(e.cfg.AdmitWait)
	for e.backlog.Load() > int64(e.cfg.MaxBacklog) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return berth.Errorf(berth.CodeInternal, "the request ended while berth was busy: %v", ctx.Err())
		case <-time.After(backlogPoll / 4):
		}
	}
	return nil
}
