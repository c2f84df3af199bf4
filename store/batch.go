package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
)

// batcher is SQLite's group commit. SQLite has one writer, so instead of
// callers queueing for the one connection, one goroutine takes whatever
// writes are waiting, runs each in its own savepoint (a failing one rolls
// back alone) and commits them together. Callers still see one transaction
// each: their function's writes commit atomically or not at all.
type batcher struct {
	db       *sql.DB
	d        *dialect
	wake     func(kinds)
	stmts    *stmtCache
	handoff  *atomic.Pointer[handoff]
	requests chan *writeRequest
	urgent   chan *writeRequest // writes of the engine: they go first
	stop     chan struct{}
	done     chan struct{}
}

type writeRequest struct {
	ctx    context.Context
	fn     func(q *Queries) error
	result chan error
}

// maxBatch bounds how many writes share one commit.
const maxBatch = 128

func newBatcher(db *sql.DB, d *dialect, wake func(kinds), stmts *stmtCache, handoff *atomic.Pointer[handoff]) *batcher {
	b := &batcher{db: db, d: d, wake: wake, stmts: stmts, handoff: handoff, requests: make(chan *writeRequest, maxBatch),
		urgent: make(chan *writeRequest, maxBatch),
		stop:   make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// write runs fn in the next batch and waits for the batch to commit.
func (b *batcher) write(ctx context.Context, fn func(q *Queries) error) error {
	req := &writeRequest{ctx: ctx, fn: fn, result: make(chan error, 1)}
	queue := b.requests
	if isUrgent(ctx) {
		queue = b.urgent
	}
	select {
	case queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return fmt.Errorf("store: closed")
	}
	return <-req.result
}

func (b *batcher) run() {
	defer close(b.done)
	for {
		var first *writeRequest
		select {
		case first = <-b.urgent:
		default:
			select {
			case first = <-b.urgent:
			case first = <-b.requests:
			case <-b.stop:
				return
			}
		}
		batch := b.fill([]*writeRequest{first})
		b.commit(batch)
		b.stmts.preparePending(context.Background())
	}
}

// fill adds the requests that are already waiting to batch, urgent ones
// first.
func (b *batcher) fill(batch []*writeRequest) []*writeRequest {
	for _, queue := range []chan *writeRequest{b.urgent, b.requests} {
		for len(batch) < maxBatch {
			select {
			case r := <-queue:
				batch = append(batch, r)
				continue
			default:
			}
			break
		}
	}
	return batch
}

// commit runs a batch in one transaction and tells each caller its result.
func (b *batcher) commit(batch []*writeRequest) {
	results := make([]error, len(batch))
	var woken kinds
	var handed []Job
	h := b.handoff.Load()
	err := func() error {
		tx, err := b.db.Begin()
		if err != nil {
			return fmt.Errorf("store: begin: %w", err)
		}
		if len(batch) == 1 {
			// Alone in its transaction: it needs no savepoint of its own.
			q := &Queries{x: tx, d: b.d, wake: b.wake, stmts: b.stmts, tx: tx, handoff: h}
			if results[0] = batch[0].run(q); results[0] != nil {
				tx.Rollback()
				return nil
			}
			woken, handed = q.woken, q.handed
		} else {
			for i, r := range batch {
				q := &Queries{x: tx, d: b.d, wake: b.wake, stmts: b.stmts, tx: tx, handoff: h}
				results[i] = b.one(r, q)
				if results[i] == nil {
					woken.merge(q.woken)
					handed = append(handed, q.handed...)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit: %w", err)
		}
		return nil
	}()
	if err == nil { // before the callers return, as after any other commit
		b.wake(woken)
		h.pass(handed)
	}
	for i, r := range batch {
		if err != nil {
			results[i] = err
		}
		r.result <- results[i]
	}
}

// run runs a request's function, unless its context is done already.
func (r *writeRequest) run(q *Queries) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	return r.fn(q)
}

// one runs a request inside a savepoint, rolled back if it fails.
func (b *batcher) one(r *writeRequest, q *Queries) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	ctx := context.Background() // the savepoint must be released whatever r.ctx does
	if _, err := q.exec(ctx, "SAVEPOINT w"); err != nil {
		return err
	}
	if err := r.fn(q); err != nil {
		if _, rbErr := q.exec(ctx, "ROLLBACK TO w"); rbErr != nil {
			return fmt.Errorf("%w (and rolling back failed: %v)", err, rbErr)
		}
		q.exec(ctx, "RELEASE w")
		return err
	}
	_, err := q.exec(ctx, "RELEASE w")
	return err
}

func (b *batcher) close() {
	close(b.stop)
	<-b.done
}

type urgentKey struct{}

// Urgent marks ctx's writes as the engine's: on SQLite they are committed
// before the API's when both wait. Under load this slows the API's writes
// down (backpressure) instead of letting the engine's backlog grow.
func Urgent(ctx context.Context) context.Context { return context.WithValue(ctx, urgentKey{}, true) }

func isUrgent(ctx context.Context) bool { v, _ := ctx.Value(urgentKey{}).(bool); return v }
