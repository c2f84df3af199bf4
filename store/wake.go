package store

import (
	"slices"
	"strings"
	"sync"
)

// Workers sleep until jobs of the kinds they work on are added or released.
// A commit wakes the workers of this instance subscribed to the kinds it
// added (Subscribe), and on PostgreSQL tells the other instances with one
// NOTIFY listing them.

// kinds is a set of job kinds; all means every kind (a release, whose kinds
// are not known).
type kinds struct {
	all  bool
	list []string
}

// add adds kind to the set; "" adds every kind.
func (k *kinds) add(kind string) {
	switch {
	case kind == "":
		k.all = true
	case !slices.Contains(k.list, kind):
		k.list = append(k.list, kind)
	}
}

func (k *kinds) merge(o kinds) {
	k.all = k.all || o.all
	for _, kind := range o.list {
		k.add(kind)
	}
}

func (k kinds) empty() bool { return !k.all && len(k.list) == 0 }

func (k kinds) any(of []string) bool {
	if k.all || len(of) == 0 {
		return !k.empty()
	}
	for _, kind := range of {
		if slices.Contains(k.list, kind) {
			return true
		}
	}
	return false
}

// String is the set as a NOTIFY payload: kinds separated by commas, ""
// for all.
func (k kinds) String() string {
	if k.all {
		return ""
	}
	return strings.Join(k.list, ",")
}

func parseKinds(payload string) kinds {
	if payload == "" {
		return kinds{all: true}
	}
	return kinds{list: strings.Split(payload, ",")}
}

// Subscription is a worker's interest in some kinds of jobs.
type Subscription struct {
	kinds []string
	sig   *signal
}

// Subscribe returns a subscription to changes of jobs of the given kinds
// (of every kind when none are given).
func (db *DB) Subscribe(kinds ...string) *Subscription {
	s := &Subscription{kinds: kinds, sig: newSignal()}
	db.subs.mu.Lock()
	defer db.subs.mu.Unlock()
	db.subs.list = append(db.subs.list, s)
	return s
}

// Changed returns a channel closed the next time jobs of the subscription's
// kinds are added or released. Take it before looking for work, so that
// none is missed.
func (s *Subscription) Changed() <-chan struct{} { return s.sig.wait() }

type subscriptions struct {
	mu   sync.Mutex
	list []*Subscription
}

func (ss *subscriptions) wake(k kinds) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, s := range ss.list {
		if k.any(s.kinds) {
			s.sig.broadcast()
		}
	}
}

// wake tells this instance's workers, and on PostgreSQL the others, that
// jobs of kinds k were added or released. Call it after the commit.
func (db *DB) wake(k kinds) {
	if k.empty() {
		return
	}
	db.subs.wake(k)
	if db.notify != nil {
		db.pending.mu.Lock()
		db.pending.kinds.merge(k)
		db.pending.mu.Unlock()
		select {
		case db.notify <- struct{}{}:
		default: // a notification is pending already
		}
	}
}

// takePending returns the kinds waiting to be notified and forgets them.
func (db *DB) takePending() kinds {
	db.pending.mu.Lock()
	defer db.pending.mu.Unlock()
	k := db.pending.kinds
	db.pending.kinds = kinds{}
	return k
}

// signal wakes every goroutine waiting on it at once.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
