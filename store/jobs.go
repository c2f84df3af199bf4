package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Job is a unit of durable work: match an event, deliver a run, fire a timer.
type Job struct {
	ID          int64
	Kind        string
	Ref         string // what the job is about: an event id, a run id, ...
	OrderingKey string // jobs with the same key run one at a time, in id order
	Payload     string
	Attempts    int // claims so far, this one included
}

// ErrLeaseLost means a job's lease expired and another worker may have
// claimed it; the work done under the lost lease must be rolled back.
var ErrLeaseLost = errors.New("store: job lease lost")

// EnqueueJob adds a job that becomes due at runAt. Workers waiting for work
// are woken when the transaction commits.
func (q *Queries) EnqueueJob(ctx context.Context, j Job, runAt time.Time) error {
	return q.EnqueueJobs(ctx, []Job{j}, runAt)
}

// DeleteJobs removes the unclaimed jobs of a kind with the given ordering
// key (a disarmed timer, for instance) and returns how many there were.
func (q *Queries) DeleteJobs(ctx context.Context, kind, orderingKey string) (int64, error) {
	res, err := q.exec(ctx, "DELETE FROM jobs WHERE ordering_key = ? AND kind = ? AND locked_until = 0", orderingKey, kind)
	if err != nil {
		return 0, wrap(err, "delete jobs")
	}
	return res.RowsAffected()
}

// ClaimJobs leases up to limit due jobs of the given kinds to worker, in the
// order they fell due (then id) within each kind, trying the kinds in the
// order given. A job is due when its run_at has passed, it holds no lease,
// and no earlier job shares its ordering key. Jobs whose lease expired are
// not due until ReleaseExpired frees them.
//
// A claim is one statement, for all kinds, committed on its own (on
// PostgreSQL: one round trip).
func (db *DB) ClaimJobs(ctx context.Context, worker string, kinds []string, limit int, lease time.Duration) ([]Job, error) {
	var jobs []Job
	err := db.autocommit(ctx, func(q *Queries) error {
		var err error
		jobs, err = q.claim(ctx, worker, kinds, limit, time.Now(), lease)
		return err
	})
	// RETURNING has no order on PostgreSQL; callers start jobs in id order.
	slices.SortFunc(jobs, func(a, b Job) int { return cmp.Compare(a.ID, b.ID) })
	return jobs, wrap(err, "claim jobs")
}

func (q *Queries) claim(ctx context.Context, worker string, kinds []string, limit int, now time.Time, lease time.Duration) ([]Job, error) {
	// Per kind, jobs_due (kind, run_at, id) yields the due jobs in this
	// order and stops at the limit: no sort, and no reading past jobs due
	// later. The outer limit stops at the first kinds that fill it.
	branches := make([]string, len(kinds))
	args := []any{worker, now.Add(lease).UnixMilli()}
	for i, kind := range kinds {
		branches[i] = `SELECT id FROM (SELECT j.id FROM jobs j
			WHERE j.kind = ? AND j.locked_until = 0 AND j.run_at <= ?
			AND (j.ordering_key = '' OR NOT EXISTS (
				SELECT 1 FROM jobs p WHERE p.ordering_key = j.ordering_key AND p.id < j.id))
			ORDER BY j.run_at, j.id LIMIT ?` + q.d.skipLocked + `) AS k` + strconv.Itoa(i)
		args = append(args, kind, now.UnixMilli(), limit)
	}
	rows, err := q.query(ctx, `UPDATE jobs SET locked_by = ?, locked_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM (`+strings.Join(branches, " UNION ALL ")+`) AS due LIMIT ?)
		RETURNING id, kind, ref, ordering_key, payload, attempts`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []Job
	for rows.Next() {
		var j Job
		if err := rows.Scan(&j.ID, &j.Kind, &j.Ref, &j.OrderingKey, &j.Payload, &j.Attempts); err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// ReleaseExpired frees the jobs whose lease ran out (their worker died or
// hung), so that any worker may claim them, and returns how many it freed.
// Workers call it when NextJobAt says a lease has expired, and now and then
// while they are busy.
func (db *DB) ReleaseExpired(ctx context.Context) (int64, error) {
	var n int64
	err := db.autocommit(ctx, func(q *Queries) error {
		res, err := q.exec(ctx, "UPDATE jobs SET locked_by = '', locked_until = 0 WHERE locked_until > 0 AND locked_until < ?",
			time.Now().UnixMilli())
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); n > 0 {
			q.wakeAfterCommit("")
		}
		return err
	})
	return n, wrap(err, "release expired leases")
}

// CompleteJob removes a finished job. Call it in the transaction that
// records the job's effects: ErrLeaseLost then rolls them back.
func (q *Queries) CompleteJob(ctx context.Context, id int64, worker string) error {
	return q.CompleteJobs(ctx, []int64{id}, worker)
}

// CompleteJobs removes finished jobs, all held by worker, in the
// transaction that records their effects: if any lease was lost it returns
// ErrLeaseLost, and the caller must roll back. When a job has a successor
// (a later job of its ordering key, held back until now), the workers of
// the successor's kind are woken after the commit.
func (q *Queries) CompleteJobs(ctx context.Context, ids []int64, worker string) error {
	args := append([]any{worker}, anys(ids)...)
	var n int
	if q.d.name == EnginePostgres { // one round trip
		rows, err := q.query(ctx, `WITH done AS (`+deleteHeldJobs(len(ids))+`) `+completedRows, args...)
		if err != nil {
			return wrap(err, "complete jobs")
		}
		done, err := q.readCompletion(rows, nil)
		if err != nil {
			return wrap(err, "complete jobs")
		}
		n = len(done)
	} else {
		var err error
		if n, err = q.completeSQLite(ctx, args); err != nil {
			return wrap(err, "complete jobs")
		}
	}
	if n != len(ids) {
		return ErrLeaseLost
	}
	return nil
}

// deleteHeldJobs deletes n jobs by id (arguments: the worker, then the
// ids) if the worker holds them, returning their ids and ordering keys:
// the CTE "done" of completedRows (PostgreSQL).
func deleteHeldJobs(n int) string {
	return "DELETE FROM jobs WHERE locked_by = ? AND id IN (" + placeholders(n) + ") RETURNING id, ordering_key"
}

// completedRows ends a PostgreSQL statement whose CTE "done" deleted jobs
// (deleteHeldJobs): a row ("done", id, 0) per job deleted, and a row
// ("next", kind, 0) per kind of their successors (later jobs of their
// ordering keys; the query sees the jobs as they were before the DELETE).
// readCompletion reads them.
const completedRows = `SELECT 'done', CAST(id AS TEXT), 0 FROM done
	UNION ALL SELECT DISTINCT 'next', n.kind, 0 FROM done d JOIN jobs n ON n.ordering_key = d.ordering_key AND n.id > d.id
		WHERE d.ordering_key <> ''`

// readCompletion reads and closes rows ending in completedRows: it returns
// the jobs done, wakes the kinds of their successors after the commit, and
// passes any other row (what, value, n) to other.
func (q *Queries) readCompletion(rows *sql.Rows, other func(what, value string, n int)) (map[int64]bool, error) {
	defer rows.Close()
	done := make(map[int64]bool)
	for rows.Next() {
		var what, value string
		var n int
		if err := rows.Scan(&what, &value, &n); err != nil {
			return nil, err
		}
		switch what {
		case "done":
			id, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return nil, err
			}
			done[id] = true
		case "next":
			q.wakeAfterCommit(value)
		default:
			other(what, value, n)
		}
	}
	return done, rows.Err()
}

// completeSQLite is CompleteJobs on SQLite, whose WITH takes no DELETE:
// delete, then wake the kinds of the jobs left with the same ordering
// keys. It returns how many jobs it deleted.
func (q *Queries) completeSQLite(ctx context.Context, args []any) (int, error) {
	rows, err := q.query(ctx, "DELETE FROM jobs WHERE locked_by = ? AND id IN ("+placeholders(len(args)-1)+") RETURNING ordering_key", args...)
	if err != nil {
		return 0, err
	}
	n := 0
	var keys []any
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			rows.Close()
			return 0, err
		}
		n++
		if key != "" {
			keys = append(keys, key)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(keys) == 0 {
		return n, err
	}
	rows, err = q.query(ctx, "SELECT DISTINCT kind FROM jobs WHERE ordering_key IN ("+placeholders(len(keys))+")", keys...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		if err := rows.Scan(&kind); err != nil {
			return 0, err
		}
		q.wakeAfterCommit(kind)
	}
	return n, rows.Err()
}

// RetryJob releases a job to run again at runAt, noting why it failed.
func (q *Queries) RetryJob(ctx context.Context, id int64, worker string, runAt time.Time, reason string) error {
	res, err := q.exec(ctx, "UPDATE jobs SET run_at = ?, locked_by = '', locked_until = 0, last_error = ? WHERE id = ? AND locked_by = ?",
		runAt.UnixMilli(), reason, id, worker)
	if err == nil {
		q.wakeAfterCommit("")
	}
	return leaseHeld(res, err)
}

// RenewLeases pushes the leases of the jobs worker holds to now+lease: the
// heartbeat that keeps long deliveries claimed while letting the jobs of a
// dead instance go after one short lease. Only leases with less than half
// of lease left are renewed: call it at least every lease/3, and a job
// that takes less than half a lease is never renewed at all.
func (db *DB) RenewLeases(ctx context.Context, worker string, lease time.Duration) error {
	now := time.Now()
	return db.Write(ctx, func(q *Queries) error {
		_, err := q.exec(ctx, "UPDATE jobs SET locked_until = ? WHERE locked_by = ? AND locked_until > 0 AND locked_until < ?",
			now.Add(lease).UnixMilli(), worker, now.Add(lease/2).UnixMilli())
		return wrap(err, "renew leases")
	})
}

// NextJobAt returns when the earliest job of the given kinds becomes due
// (a run_at in the future, or an expiring lease: then ReleaseExpired makes
// it due), and whether there is one.
func (db *DB) NextJobAt(ctx context.Context, kinds []string) (time.Time, bool, error) {
	// One MIN per kind: each is one step down the index of due jobs,
	// where MIN over a list of kinds reads every due job of them.
	var sel strings.Builder
	sel.WriteString("SELECT (SELECT MIN(locked_until) FROM jobs WHERE locked_until > 0 AND kind IN (" + placeholders(len(kinds)) + "))")
	for range kinds {
		sel.WriteString(", (SELECT MIN(run_at) FROM jobs WHERE locked_until = 0 AND kind = ?)")
	}
	args := append(anys(kinds), anys(kinds)...)
	times := make([]sql.NullInt64, 1+len(kinds))
	dest := make([]any, len(times))
	for i := range times {
		dest[i] = &times[i]
	}
	if err := db.Read().queryRow(ctx, sel.String(), args...).Scan(dest...); err != nil {
		return time.Time{}, false, wrap(err, "next job")
	}
	var next int64
	found := false
	for _, t := range times {
		if t.Valid && (!found || t.Int64 < next) {
			next, found = t.Int64, true
		}
	}
	if !found {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(next), true, nil
}

// CountJobs returns how many jobs of a kind exist (the queue depth).
func (q *Queries) CountJobs(ctx context.Context, kind string) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT count(*) FROM jobs WHERE kind = ?", kind).Scan(&n)
	return n, wrap(err, "count jobs")
}

func leaseHeld(res sql.Result, err error) error {
	if err != nil {
		return wrap(err, "job")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// releaseStaleLeases frees the jobs a previous process held when it died. Only
// SQLite does this, where the file lock guarantees that no other process is
// working; on PostgreSQL other instances may be, and leases expire instead.
func (db *DB) releaseStaleLeases(ctx context.Context) error {
	if db.engine != EngineSQLite {
		return nil
	}
	return db.Write(ctx, func(q *Queries) error {
		_, err := q.exec(ctx, "UPDATE jobs SET locked_by = '', locked_until = 0 WHERE locked_by <> ''")
		return wrap(err, "release stale leases")
	})
}

// JobCounts returns how many jobs of each kind are queued (leased included).
func (q *Queries) JobCounts(ctx context.Context) (map[string]int, error) {
	rows, err := q.query(ctx, "SELECT kind, count(*) FROM jobs GROUP BY kind")
	if err != nil {
		return nil, wrap(err, "job counts")
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, err
		}
		out[kind] = n
	}
	return out, rows.Err()
}

// CountDueJobsUpTo returns how many jobs of the given kinds are due and
// waiting for a worker, counting no further than limit in each kind: what
// admission control needs, at a cost that does not grow with the backlog
// (nor with the timers armed for later).
func (q *Queries) CountDueJobsUpTo(ctx context.Context, kinds []string, limit int) (int, error) {
	counts := make([]string, len(kinds))
	var args []any
	now := time.Now().UnixMilli()
	for i, kind := range kinds {
		counts[i] = "(SELECT count(*) FROM (SELECT 1 FROM jobs WHERE kind = ? AND locked_until = 0 AND run_at <= ? LIMIT ?) AS k" +
			strconv.Itoa(i) + ")"
		args = append(args, kind, now, limit)
	}
	var n int
	err := q.queryRow(ctx, "SELECT "+strings.Join(counts, " + "), args...).Scan(&n)
	return n, wrap(err, "count jobs")
}

// CountAllJobs returns how many jobs are queued, of every kind.
func (q *Queries) CountAllJobs(ctx context.Context) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT count(*) FROM jobs").Scan(&n)
	return n, wrap(err, "count jobs")
}
