package engine

import (
	"sync"

	"github.com/berthdev/berth/store"
)

// inbox holds the jobs the store handed this instance (store.HandOff):
// leased to it already, they wait here for a free slot of their loop
// instead of being claimed from the queue.
type inbox struct {
	mu     sync.Mutex
	jobs   []store.Job
	closed bool
	ready  chan struct{} // signalled when jobs arrive
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

// put adds jobs; it reports false, keeping none, once the inbox is closed.
func (in *inbox) put(jobs []store.Job) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false
	}
	in.jobs = append(in.jobs, jobs...)
	select {
	case in.ready <- struct{}{}:
	default:
	}
	return true
}

// take removes up to n jobs, oldest first.
func (in *inbox) take(n int) []store.Job {
	in.mu.Lock()
	defer in.mu.Unlock()
	n = min(n, len(in.jobs))
	if n <= 0 {
		return nil
	}
	jobs := make([]store.Job, n)
	copy(jobs, in.jobs)
	in.jobs = in.jobs[n:]
	if len(in.jobs) == 0 {
		in.jobs = nil // let the array go
	}
	return jobs
}

func (in *inbox) len() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.jobs)
}

// close refuses further jobs and returns those never taken.
func (in *inbox) close() []store.Job {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	left := in.jobs
	in.jobs = nil
	return left
}
