package jqtemplate

import (
	"context"
	"sync"
	"time"
)

// watchdog is the context every expression of one render runs with. It gives
// each expression its own timeout without allocating a context and a timer
// per expression: one timer is re-armed before each run. It also ends a run
// when the caller's context is done.
type watchdog struct {
	parent  context.Context
	timeout time.Duration
	timer   *time.Timer
	gen     uint64      // generation of timer; fires of older timers are ignored
	unhook  func() bool // stops watching parent

	mu      sync.Mutex
	done    chan struct{}
	running bool  // an expression is running
	fired   bool  // done is closed
	err     error // why done was closed
}

var _ context.Context = (*watchdog)(nil)

func newWatchdog(parent context.Context, timeout time.Duration) *watchdog {
	w := &watchdog{parent: parent, timeout: timeout, done: make(chan struct{})}
	if parent.Done() != nil {
		w.unhook = context.AfterFunc(parent, w.parentDone)
	}
	return w
}

// Deadline returns the parent's deadline.
func (w *watchdog) Deadline() (time.Time, bool) { return w.parent.Deadline() }

// Done is closed when the running expression must stop. Only the rendering
// goroutine replaces the channel, between runs, so reading it is safe there.
func (w *watchdog) Done() <-chan struct{} { return w.done }

// Err says why Done was closed.
func (w *watchdog) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Value returns the parent's value.
func (w *watchdog) Value(key any) any { return w.parent.Value(key) }

// start arms the timer for one expression run.
func (w *watchdog) start() {
	w.mu.Lock()
	w.running = true
	if err := w.parent.Err(); err != nil {
		w.tripLocked(err)
	}
	w.mu.Unlock()
	if w.timer == nil {
		gen := w.gen
		w.timer = time.AfterFunc(w.timeout, func() { w.timerFired(gen) })
		return
	}
	w.timer.Reset(w.timeout)
}

// stop disarms the timer after a run and reports whether the run was
// stopped. It then readies a fresh channel for the next run.
func (w *watchdog) stop() (tripped bool) {
	if !w.timer.Stop() {
		// The timer fired, or is firing: drop it so that a late fire of it
		// cannot stop the next run.
		w.mu.Lock()
		w.gen++
		w.mu.Unlock()
		w.timer = nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = false
	tripped = w.fired
	if tripped {
		w.done, w.fired, w.err = make(chan struct{}), false, nil
	}
	return tripped
}

func (w *watchdog) timerFired(gen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen == w.gen {
		w.tripLocked(context.DeadlineExceeded)
	}
}

func (w *watchdog) parentDone() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tripLocked(w.parent.Err())
}

// tripLocked stops the running expression, if any; w.mu must be held.
func (w *watchdog) tripLocked(err error) {
	if !w.running || w.fired {
		return
	}
	w.fired, w.err = true, err
	close(w.done)
}

// close releases the timer and the hook on the parent.
func (w *watchdog) close() {
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.unhook != nil {
		w.unhook()
	}
}
