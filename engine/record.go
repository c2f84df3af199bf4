package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/store"
)

// maxRecordBatch bounds how many attempts share one transaction.
const maxRecordBatch = 128

// recorder commits the attempts of plain deliveries (delivered, nothing else
// to record) and completes their jobs in batches: the deliveries that finish
// while one batch commits share the next transaction. It runs until close.
type recorder struct {
	e    *Engine
	in   chan *attemptRecord
	done chan struct{}
}

type attemptRecord struct {
	job     store.Job
	runID   string
	attempt *berth.Attempt
	result  chan error
}

// recordCommitters is how many batches of attempts commit at once: while
// one waits for the database, the next fills.
const recordCommitters = 2

func newRecorder(e *Engine) *recorder {
	r := &recorder{e: e, in: make(chan *attemptRecord, maxRecordBatch), done: make(chan struct{})}
	var wg sync.WaitGroup
	for range recordCommitters {
		wg.Go(r.run)
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
	return r
}

// record commits a's attempt of run runID with the completion of job j, and
// returns once it is committed (ErrLeaseLost when j's lease was lost).
func (r *recorder) record(ctx context.Context, j store.Job, runID string, a *berth.Attempt) error {
	rec := &attemptRecord{job: j, runID: runID, attempt: a, result: make(chan error, 1)}
	select {
	case r.in <- rec:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-rec.result
}

// close stops the recorder once the records sent are committed. Nobody may
// call record after close.
func (r *recorder) close() {
	close(r.in)
	<-r.done
}

func (r *recorder) run() {
	for rec := range r.in {
		batch := []*attemptRecord{rec}
	fill:
		for len(batch) < maxRecordBatch {
			select {
			case more, ok := <-r.in:
				if !ok {
					break fill
				}
				batch = append(batch, more)
			default:
				break fill
			}
		}
		r.commit(batch)
	}
}

// commit records a batch in one transaction (on PostgreSQL, one statement
// that skips the records whose lease was lost, even for a batch of one). If
// that fails (on SQLite, a lost lease rolls back the whole batch), each
// record is committed on its own, so that only the records at fault fail.
func (r *recorder) commit(batch []*attemptRecord) {
	ctx := store.Urgent(context.Background())
	attempts := make([]store.RunAttempt, len(batch))
	ids := make([]int64, len(batch))
	for i, rec := range batch {
		attempts[i], ids[i] = store.RunAttempt{RunID: rec.runID, Attempt: rec.attempt}, rec.job.ID
	}
	// PostgreSQL: one statement, which records what it still may.
	lost, err := r.e.db.RecordAttempts(ctx, r.e.worker, ids, attempts)
	if err == nil {
		for _, rec := range batch {
			if lost[rec.job.ID] {
				rec.result <- store.ErrLeaseLost
			} else {
				rec.result <- nil
			}
		}
		return
	}
	if errors.Is(err, errors.ErrUnsupported) && len(batch) > 1 { // SQLite: one transaction
		err = r.e.db.Write(ctx, func(q *store.Queries) error {
			if err := q.AppendAttempts(ctx, attempts); err != nil {
				return err
			}
			return q.CompleteJobs(ctx, ids, r.e.worker)
		})
		if err == nil {
			for _, rec := range batch {
				rec.result <- nil
			}
			return
		}
	}
	for _, rec := range batch {
		rec.result <- r.e.db.Write(ctx, func(q *store.Queries) error {
			return r.e.recordAttempt(ctx, q, rec.job, rec.runID, rec.attempt, delivery.Result{Outcome: delivery.Delivered})
		})
	}
}
