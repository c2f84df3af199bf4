package store

import (
	"context"
	"strings"
	"time"
)

// Hand-off. Most jobs are added by the instance that will run them: its API
// writes an entity and queues the match job, its matcher stores a run and
// queues the delivery job. Claiming such a job back from the queue is a
// write (an UPDATE that moves the job between indexes) and a round trip,
// for a job this instance had in hand. With a hand-off registered, jobs of
// its kinds that are due at once are stored already leased to the
// instance's worker and passed to it after the commit: no claim, no
// wake-up. They are leased like claimed jobs, so if the instance dies they
// are released when the lease expires and run elsewhere.
//
// A job is handed off only when no earlier job shares its ordering key;
// otherwise it waits in the queue to be claimed after that one, as usual.

type handoff struct {
	worker string
	lease  time.Duration
	kinds  map[string]bool
	take   func([]Job)
}

// HandOff makes the jobs of kinds that this handle's transactions add, due
// at once, leased to worker for lease, and passes them to take after
// their transaction commits (from the committing goroutine: take must not
// block). The worker must renew their leases like those of claimed jobs.
// HandOff with no kinds stops it; jobs committed meanwhile may still be
// passed to take.
func (db *DB) HandOff(worker string, lease time.Duration, kinds []string, take func([]Job)) {
	if len(kinds) == 0 {
		db.handoff.Store(nil)
		return
	}
	h := &handoff{worker: worker, lease: lease, kinds: make(map[string]bool), take: take}
	for _, k := range kinds {
		h.kinds[k] = true
	}
	db.handoff.Store(h)
}

// pass gives the jobs handed off in a committed transaction to the worker.
func (h *handoff) pass(jobs []Job) {
	if h != nil && len(jobs) > 0 {
		h.take(jobs)
	}
}

// handsOff reports whether a job of kind due at runAt is to be handed off
// (if no earlier job shares its key).
func (h *handoff) handsOff(kind string, runAt time.Time) bool {
	return h != nil && h.kinds[kind] && !runAt.After(time.Now())
}

// enqueueHandingOff is EnqueueJobs' statement when some of jobs may be
// handed off: mine[i] says whether jobs[i] may.
func (q *Queries) enqueueHandingOff(ctx context.Context, jobs []Job, mine []bool, runAt time.Time) error {
	h := q.handoff
	args := make([]any, 0, 7*len(jobs)+2)
	for i, j := range jobs {
		args = append(args, i, j.Kind, j.Ref, j.OrderingKey, j.Payload, runAt.UnixMilli(), mine[i])
	}
	args = append(args, h.worker, time.Now().Add(h.lease).UnixMilli())
	row := "(CAST(? AS INTEGER), ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BOOLEAN))"
	rows := strings.TrimSuffix(strings.Repeat(row+", ", len(jobs)), ", ")
	// n is materialized so that the probe of jobs runs once per row, not
	// once per CASE.
	res, err := q.query(ctx, `WITH n AS MATERIALIZED (
			SELECT v.column1 AS i, v.column2 AS kind, v.column3 AS ref, v.column4 AS ordering_key, v.column5 AS payload,
				v.column6 AS run_at,
				v.column7 AND (v.column4 = '' OR NOT EXISTS (SELECT 1 FROM jobs p WHERE p.ordering_key = v.column4)) AS mine
			FROM (VALUES `+rows+`) AS v)
		INSERT INTO jobs (kind, ref, ordering_key, payload, run_at, locked_by, locked_until, attempts)
		SELECT kind, ref, ordering_key, payload, run_at,
			CASE WHEN mine THEN ? ELSE '' END, CASE WHEN mine THEN CAST(? AS BIGINT) ELSE 0 END, CASE WHEN mine THEN 1 ELSE 0 END
		FROM n
		ORDER BY i
		RETURNING id, kind, ref, ordering_key, payload, locked_by`, args...)
	if err != nil {
		return err
	}
	defer res.Close()
	for res.Next() {
		var j Job
		var lockedBy string
		if err := res.Scan(&j.ID, &j.Kind, &j.Ref, &j.OrderingKey, &j.Payload, &lockedBy); err != nil {
			return err
		}
		if lockedBy != "" {
			j.Attempts = 1
			q.handed = append(q.handed, j)
		} else {
			q.wakeAfterCommit(j.Kind)
		}
	}
	return res.Err()
}

// ReleaseJobs frees jobs worker holds, unstarted, for any worker to claim
// (the hand-offs an instance had not begun when it stopped).
func (db *DB) ReleaseJobs(ctx context.Context, worker string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := db.autocommit(ctx, func(q *Queries) error {
		_, err := q.exec(ctx, "UPDATE jobs SET locked_by = '', locked_until = 0, attempts = attempts - 1 WHERE locked_by = ? AND id IN ("+
			placeholders(len(ids))+")", append([]any{worker}, anys(ids)...)...)
		if err == nil {
			q.wakeAfterCommit("")
		}
		return err
	})
	return wrap(err, "release jobs")
}
