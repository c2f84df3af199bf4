package engine

import (
	"time"

	"github.com/berthdev/berth"
)

// Observer is told of the engine's work as it happens, for metrics and
// traces. Its methods must be quick and safe for concurrent use; they run
// in the engine's workers.
type Observer interface {
	// Matched reports the match of an event: how many runs it prepared,
	// when the match started, and why it failed (nil when the runs were
	// committed).
	Matched(ev *berth.Event, runs int, start time.Time, err error)
	// Delivered reports one delivery attempt, committed or not.
	Delivered(a Attempt)
}

// Attempt is one delivery attempt of a run.
type Attempt struct {
	Run     *berth.Run
	Backend string // the invocation type: WEBHOOK, GITHUB, KAFKA, ...
	Outcome string // delivered, retry or failed
	Number  int    // 1 for the first attempt
	Start   time.Time
	Took    time.Duration
	// StatusCode and Error describe the backend's answer, when it gave one.
	StatusCode int
	Error      string
}

// Observers tells each of its observers.
type Observers []Observer

// Matched implements Observer.
func (obs Observers) Matched(ev *berth.Event, runs int, start time.Time, err error) {
	for _, o := range obs {
		o.Matched(ev, runs, start, err)
	}
}

// Delivered implements Observer.
func (obs Observers) Delivered(a Attempt) {
	for _, o := range obs {
		o.Delivered(a)
	}
}

type nopObserver struct{}

func (nopObserver) Matched(*berth.Event, int, time.Time, error) {}
func (nopObserver) Delivered(Attempt)                           {}
