package store

import (
	"sync/atomic"

	"github.com/berthdev/berth"
)

// CommitObserver is told the change-log events of every write transaction
// that committed with some, after the commit and in the writer's goroutine.
// It must be quick and must not write to the store.
type CommitObserver func(events []*berth.Event)

// observer holds the DB's CommitObserver (nil for none).
type observer struct {
	fn atomic.Pointer[CommitObserver]
}

// OnCommit sets the observer of committed events (metrics read them), or
// removes it when fn is nil. Events of rolled-back writes are never shown.
func (db *DB) OnCommit(fn CommitObserver) {
	if fn == nil {
		db.commits.fn.Store(nil)
		return
	}
	db.commits.fn.Store(&fn)
}

// observed runs write, which runs fn in a transaction, and shows the events
// fn appended to the observer once write reports the commit.
func (db *DB) observed(fn func(q *Queries) error, write func(fn func(q *Queries) error) error) error {
	obs := db.commits.fn.Load()
	if obs == nil {
		return write(fn)
	}
	var events []*berth.Event
	err := write(func(q *Queries) error {
		q.events = &events
		return fn(q)
	})
	if err == nil && len(events) > 0 {
		(*obs)(events)
	}
	return err
}

// noteEvent remembers ev for the observer, when one is listening.
func (q *Queries) noteEvent(ev *berth.Event) {
	if q.events != nil {
		*q.events = append(*q.events, ev)
	}
}
