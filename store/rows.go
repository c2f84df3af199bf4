package store

import (
	"context"
	"strings"
	"time"

	"github.com/berthdev/berth"
)

// Writes of many rows in one statement. The engine stores the runs of a
// batch of events together: on PostgreSQL every statement is a round trip,
// so one statement per table instead of one per row is most of a batch's
// cost.

// maxRowsPerStatement keeps statements under both engines' limits on
// parameters (SQLite: 32,766; PostgreSQL: 65,535).
const maxRowsPerStatement = 500

// values returns "(?, ?), (?, ?)" for rows rows of cols columns.
func values(rows, cols int) string {
	row := "(" + placeholders(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// chunks calls fn with consecutive index ranges of at most
// maxRowsPerStatement of n rows.
func chunks(n int, fn func(from, to int) error) error {
	for from := 0; from < n; from += maxRowsPerStatement {
		if err := fn(from, min(from+maxRowsPerStatement, n)); err != nil {
			return err
		}
	}
	return nil
}

// RunRow is a new run with its encoded document, for InsertRuns.
type RunRow struct {
	Run         *berth.Run
	Doc         []byte // the run, encoded
	TriggerData []byte
	Sealed      string // the payload as sent, sealed; "" when the stored one is sent
}

// InsertRuns stores new runs; a run whose idempotency key exists already is
// not stored (its event was handled for that automation). It returns the
// ids of the runs it stored.
func (q *Queries) InsertRuns(ctx context.Context, rows []RunRow) (map[string]bool, error) {
	inserted := make(map[string]bool, len(rows))
	err := chunks(len(rows), func(from, to int) error {
		args := make([]any, 0, 16*(to-from))
		for _, rr := range rows[from:to] {
			r := rr.Run
			var key, sealed any
			if r.IdempotencyKey != "" {
				key = r.IdempotencyKey
			}
			if rr.Sealed != "" {
				sealed = rr.Sealed
			}
			args = append(args, r.ID, r.Action.Identifier, r.Status, r.Source, refID(r.Blueprint), refID(r.Entity),
				deref(r.ExternalRunID), r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.Depth, r.Automation, key,
				string(rr.Doc), nullableJSON(rr.TriggerData), sealed)
		}
		res, err := q.query(ctx, `INSERT INTO runs (id, action, status, source, blueprint, entity, external_run_id,
			created_by, created_at, updated_at, depth, automation, idempotency_key, doc, trigger_data, sealed_payload)
			VALUES `+values(to-from, 16)+` ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				return err
			}
			inserted[id] = true
		}
		return res.Err()
	})
	return inserted, wrap(err, "insert runs")
}

// AppendEvents is AppendEvent for several events, in one statement.
func (q *Queries) AppendEvents(ctx context.Context, evs []*berth.Event) error {
	err := chunks(len(evs), func(from, to int) error {
		args := make([]any, 0, 17*(to-from))
		byID := make(map[string]*berth.Event, to-from)
		for _, ev := range evs[from:to] {
			var err error
			if args, err = eventValues(args, ev); err != nil {
				return err
			}
			byID[ev.ID] = ev
		}
		rows, err := q.query(ctx, "INSERT INTO events ("+eventInsertColumns+") VALUES "+values(to-from, 17)+" RETURNING id, seq", args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				return err
			}
			if ev := byID[id]; ev != nil {
				ev.Seq = seq
			}
		}
		return rows.Err()
	})
	if err != nil {
		return wrap(err, "append events")
	}
	for _, ev := range evs {
		q.noteEvent(ev)
	}
	return nil
}

// EnqueueJobs is EnqueueJob for several jobs due at runAt, in one
// statement. Jobs sharing an ordering key run in the order given.
func (q *Queries) EnqueueJobs(ctx context.Context, jobs []Job, runAt time.Time) error {
	err := chunks(len(jobs), func(from, to int) error {
		chunk := jobs[from:to]
		if mine, some := q.handingOff(chunk, runAt); some {
			return q.enqueueHandingOff(ctx, chunk, mine, runAt)
		}
		args := make([]any, 0, 5*len(chunk))
		for _, j := range chunk {
			args = append(args, j.Kind, j.Ref, j.OrderingKey, j.Payload, runAt.UnixMilli())
			q.wakeAfterCommit(j.Kind)
		}
		_, err := q.exec(ctx, "INSERT INTO jobs (kind, ref, ordering_key, payload, run_at) VALUES "+values(len(chunk), 5), args...)
		return err
	})
	return wrap(err, "enqueue jobs")
}

// handingOff says which of jobs may be handed off (see HandOff): those of
// its kinds, due at once, and the first of their ordering key here.
func (q *Queries) handingOff(jobs []Job, runAt time.Time) (mine []bool, some bool) {
	if q.handoff == nil {
		return nil, false
	}
	mine = make([]bool, len(jobs))
	keys := make(map[string]bool)
	for i, j := range jobs {
		if !q.handoff.handsOff(j.Kind, runAt) || j.OrderingKey != "" && keys[j.OrderingKey] {
			continue
		}
		keys[j.OrderingKey] = true
		mine[i], some = true, true
	}
	return mine, some
}

// NewEntity is a new entity with the change-log event and match job that
// record its creation, for CreateEntityOnce.
type NewEntity struct {
	Entity *berth.Entity
	Doc    []byte // the entity, encoded
	// BlueprintVersion is the blueprint's updated_at the entity was
	// validated against.
	BlueprintVersion string
	Event            *berth.Event
	Job              Job // matches Event; Kind "" for none
}

// CreateEntityOnce stores a new entity, its event and its job, atomically,
// if its blueprint is still at BlueprintVersion and no entity has its
// identifier; otherwise it writes nothing and returns false, and the caller
// takes the general path (which reports the conflict, or revalidates).
// On PostgreSQL it is one statement committed on its own, shared with the
// creates that arrive meanwhile (see createGroup): one round trip instead
// of seven for the commonest write.
func (db *DB) CreateEntityOnce(ctx context.Context, ne NewEntity) (bool, error) {
	if db.batch == nil {
		return db.createGrouped(ctx, ne)
	}
	// SQLite: the group commit makes the general path as cheap.
	var created bool
	err := db.Write(ctx, func(q *Queries) error {
		e := ne.Entity
		res, err := q.exec(ctx, `INSERT INTO entities (blueprint, identifier, doc, created_at, updated_at)
			SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM blueprints WHERE identifier = ? AND updated_at = ?)
			ON CONFLICT DO NOTHING`,
			e.Blueprint, e.Identifier, string(ne.Doc), e.CreatedAt, e.UpdatedAt, e.Blueprint, ne.BlueprintVersion)
		if err != nil {
			return wrap(err, "create entity")
		}
		if n, err := res.RowsAffected(); n != 1 || err != nil {
			return err
		}
		created = true
		if err := q.AppendEvent(ctx, ne.Event); err != nil {
			return err
		}
		if ne.Job.Kind != "" {
			return q.EnqueueJob(ctx, ne.Job, time.Now())
		}
		return nil
	})
	return created && err == nil, err
}

// anys returns xs as query arguments.
func anys[T any](xs []T) []any {
	args := make([]any, len(xs))
	for i, x := range xs {
		args[i] = x
	}
	return args
}
