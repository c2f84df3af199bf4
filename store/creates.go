package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// Group creates on PostgreSQL. Entity creates arriving together (concurrent
// API requests, a bulk request) are written by one statement: per entity,
// a round trip and a statement's fixed cost on both sides is most of what
// a create costs. The first caller to find no statement in flight starts a
// flusher; callers arriving meanwhile wait and are written together by its
// next statement. Each create still succeeds or fails on its own.

// maxCreateStatements bounds the create statements in flight at once, and
// maxCreateBatch the entities one of them writes. One in flight: the
// creates arriving meanwhile make the next statement bigger; two measured
// slower (docs/BENCHMARKS.md, fifth session).
const (
	maxCreateStatements = 1
	maxCreateBatch      = 64
)

type createGroup struct {
	mu       sync.Mutex
	waiting  []*createRequest
	flushing int // flushers running
}

type createRequest struct {
	ctx     context.Context
	ne      NewEntity
	created bool
	err     error
	done    chan struct{}
}

// createGrouped is CreateEntityOnce on PostgreSQL.
func (db *DB) createGrouped(ctx context.Context, ne NewEntity) (bool, error) {
	r := &createRequest{ctx: ctx, ne: ne, done: make(chan struct{})}
	g := &db.creates
	g.mu.Lock()
	g.waiting = append(g.waiting, r)
	start := g.flushing < maxCreateStatements
	if start {
		g.flushing++
	}
	g.mu.Unlock()
	if start {
		go db.flushCreates()
	}
	<-r.done // not ctx: once taken, the statement may commit the entity
	return r.created, r.err
}

// flushCreates writes waiting creates until none is left.
func (db *DB) flushCreates() {
	g := &db.creates
	for {
		g.mu.Lock()
		batch := g.take()
		if len(batch) == 0 {
			g.flushing--
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		db.createBatch(batch)
	}
}

// take removes up to maxCreateBatch waiting creates from the queue, in
// arrival order; a create of an entity already in the batch waits for the
// next one, so that one statement never writes an entity twice. Creates
// whose context is done are answered at once.
func (g *createGroup) take() []*createRequest {
	var batch []*createRequest
	keys := make(map[[2]string]bool)
	rest := g.waiting[:0]
	for _, r := range g.waiting {
		key := [2]string{r.ne.Entity.Blueprint, r.ne.Entity.Identifier}
		switch {
		case r.ctx.Err() != nil:
			r.err = r.ctx.Err()
			close(r.done)
		case len(batch) < maxCreateBatch && !keys[key]:
			keys[key] = true
			batch = append(batch, r)
		default:
			rest = append(rest, r)
		}
	}
	clear(g.waiting[len(rest):])
	g.waiting = rest
	return batch
}

// createBatch writes batch and answers its callers. When the statement
// fails, each create is retried alone, so that one bad create fails alone.
func (db *DB) createBatch(batch []*createRequest) {
	ctx := context.WithoutCancel(batch[0].ctx)
	nes := make([]NewEntity, len(batch))
	for i, r := range batch {
		nes[i] = r.ne
	}
	var created map[string]bool
	err := db.observed(func(q *Queries) error {
		var err error
		created, err = q.createEntities(ctx, nes)
		return err
	}, func(fn func(q *Queries) error) error { return db.autocommit(ctx, fn) })
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			db.createBatch([]*createRequest{r})
		}
		return
	}
	for _, r := range batch {
		r.created, r.err = created[r.ne.Event.ID], err
		close(r.done)
	}
}

// createColumns are the columns of one create in createEntities' VALUES
// list: the entity, the blueprint version it was validated against, its
// event (eventInsertColumns, prefixed) and its job.
var createColumns = func() []string {
	cols := []string{"i", "blueprint", "identifier", "doc", "created_at", "updated_at", "blueprint_version"}
	for c := range strings.SplitSeq(eventInsertColumns, ",") {
		cols = append(cols, "event_"+strings.TrimSpace(c))
	}
	return append(cols, "job_kind", "job_ref", "job_ordering_key", "job_payload", "job_run_at", "job_mine")
}()

// createRow is one row of createEntities' VALUES list, typed.
var createRow = func() string {
	row := make([]string, len(createColumns))
	for i, c := range createColumns {
		switch c {
		case "i", "event_depth":
			row[i] = "?::integer"
		case "job_run_at":
			row[i] = "?::bigint"
		case "job_mine":
			row[i] = "?::boolean"
		default:
			row[i] = "?::text"
		}
	}
	return "(" + strings.Join(row, ", ") + ")"
}()

// createEntities writes the entities of nes whose blueprint is still at
// their BlueprintVersion and whose identifier is free, with their events
// and jobs, in one statement. It returns the ids of the events written.
func (q *Queries) createEntities(ctx context.Context, nes []NewEntity) (map[string]bool, error) {
	cols := createColumns
	args := make([]any, 0, len(cols)*len(nes))
	now := time.Now()
	for i, ne := range nes {
		e, j := ne.Entity, ne.Job
		args = append(args, i, e.Blueprint, e.Identifier, string(ne.Doc), e.CreatedAt, e.UpdatedAt, ne.BlueprintVersion)
		var err error
		if args, err = eventValues(args, ne.Event); err != nil {
			return nil, err
		}
		args = append(args, j.Kind, j.Ref, j.OrderingKey, j.Payload, now.UnixMilli(), q.handoff.handsOff(j.Kind, now))
	}
	var worker string
	var until int64
	if h := q.handoff; h != nil {
		worker, until = h.worker, now.Add(h.lease).UnixMilli()
	}
	args = append(args, worker, until)
	eventCols := strings.Join(cols[7:7+17], ", ")
	rows, err := q.query(ctx, `WITH input (`+strings.Join(cols, ", ")+`) AS (
			VALUES `+strings.TrimSuffix(strings.Repeat(createRow+", ", len(nes)), ", ")+`
		), entity AS (
			INSERT INTO entities (blueprint, identifier, doc, created_at, updated_at)
			SELECT blueprint, identifier, doc, created_at, updated_at FROM input
			WHERE EXISTS (SELECT 1 FROM blueprints b WHERE b.identifier = input.blueprint AND b.updated_at = input.blueprint_version)
			ORDER BY i
			ON CONFLICT DO NOTHING RETURNING blueprint, identifier
		), created AS (
			SELECT input.* FROM input JOIN entity USING (blueprint, identifier)
		), event AS (
			INSERT INTO events (`+eventInsertColumns+`)
			SELECT `+eventCols+` FROM created ORDER BY i RETURNING id, seq
		), c AS MATERIALIZED (
			-- Materialized so that the probe of jobs runs once per row, not once per CASE below.
			SELECT created.*, job_mine AND (job_ordering_key = '' OR NOT EXISTS (
				SELECT 1 FROM jobs p WHERE p.ordering_key = created.job_ordering_key)) AS mine
			FROM created
		), job AS (
			INSERT INTO jobs (kind, ref, ordering_key, payload, run_at, locked_by, locked_until, attempts)
			SELECT job_kind, job_ref, job_ordering_key, job_payload, job_run_at,
				CASE WHEN mine THEN ?::text ELSE '' END, CASE WHEN mine THEN ?::bigint ELSE 0 END, CASE WHEN mine THEN 1 ELSE 0 END
			FROM c
			WHERE job_kind <> '' ORDER BY i
			RETURNING id, ref, locked_by
		)
		SELECT event.id, event.seq, job.id, job.locked_by FROM event LEFT JOIN job ON job.ref = event.id`, args...)
	if err != nil {
		return nil, wrap(err, "create entities")
	}
	defer rows.Close()
	type stored struct {
		seq   int64
		job   sql.NullInt64
		owner sql.NullString // who the job was handed to
	}
	seqs := make(map[string]stored, len(nes))
	for rows.Next() {
		var id string
		var st stored
		if err := rows.Scan(&id, &st.seq, &st.job, &st.owner); err != nil {
			return nil, wrap(err, "create entities")
		}
		seqs[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "create entities")
	}
	created := make(map[string]bool, len(seqs))
	for _, ne := range nes {
		st, ok := seqs[ne.Event.ID]
		if !ok {
			continue
		}
		created[ne.Event.ID] = true
		ne.Event.Seq = st.seq
		q.noteEvent(ne.Event)
		switch j := ne.Job; {
		case j.Kind == "":
		case st.owner.String != "":
			j.ID, j.Attempts = st.job.Int64, 1
			q.handed = append(q.handed, j)
		default:
			q.wakeAfterCommit(j.Kind)
		}
	}
	return created, nil
}
