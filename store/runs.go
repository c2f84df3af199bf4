package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/berthdev/berth"
)

// InsertRun stores a new run with the trigger data it was rendered from. It
// returns false, storing nothing, when a run with the same idempotency key
// exists: the event was already handled for that automation.
func (q *Queries) InsertRun(ctx context.Context, r *berth.Run, triggerData []byte) (bool, error) {
	doc, err := berth.MarshalJSON(r)
	if err != nil {
		return false, err
	}
	inserted, err := q.InsertRuns(ctx, []RunRow{{Run: r, Doc: doc, TriggerData: triggerData}})
	return inserted[r.ID], err
}

// UpdateRun stores a changed run. Errors: not_found.
func (q *Queries) UpdateRun(ctx context.Context, r *berth.Run) error {
	doc, err := berth.MarshalJSON(r)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, `UPDATE runs SET status = ?, external_run_id = ?, blueprint = ?, entity = ?, updated_at = ?, doc = ? WHERE id = ?`,
		r.Status, deref(r.ExternalRunID), refID(r.Blueprint), refID(r.Entity), r.UpdatedAt, string(doc), r.ID)
	return affectedOne(res, err, "run", r.ID)
}

const runColumns = "doc, depth, automation, COALESCE(idempotency_key, '')"

// Run returns one run. Errors: not_found.
func (q *Queries) Run(ctx context.Context, id string) (*berth.Run, error) {
	r, err := scanRun(q.queryRow(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, berth.Errorf(berth.CodeNotFound, "run %q was not found", id)
	}
	return r, err
}

// RunTriggerData returns the trigger data a run was rendered from (secrets
// masked), or nil.
func (q *Queries) RunTriggerData(ctx context.Context, id string) (json.RawMessage, error) {
	var data *string
	err := q.queryRow(ctx, "SELECT trigger_data FROM runs WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, berth.Errorf(berth.CodeNotFound, "run %q was not found", id)
	}
	if err != nil || data == nil {
		return nil, wrap(err, "run trigger data")
	}
	return json.RawMessage(*data), nil
}

// RunFilter selects runs (spec 7.4); zero fields match everything.
type RunFilter struct {
	Action        string
	Entity        string
	Blueprint     string
	Active        bool // only runs that are not finished
	Statuses      []string
	Sources       []string
	CreatedBy     string
	ExternalRunID string
	Limit         int // 0 means 1000
}

// Runs returns the runs f selects, newest first.
func (q *Queries) Runs(ctx context.Context, f RunFilter) ([]*berth.Run, error) {
	var where []string
	var args []any
	for col, v := range map[string]string{"action": f.Action, "entity": f.Entity, "blueprint": f.Blueprint,
		"created_by": f.CreatedBy, "external_run_id": f.ExternalRunID} {
		if v != "" { // "<> ''" lets the partial indexes apply
			where, args = append(where, col+" = ? AND "+col+" <> ''"), append(args, v)
		}
	}
	if f.Active {
		where = append(where, "status IN ('WAITING_FOR_APPROVAL', 'IN_PROGRESS')")
	}
	inList(&where, &args, "status", f.Statuses)
	inList(&where, &args, "source", f.Sources)
	query := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := q.query(ctx, query+fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT %d", limit), args...)
	if err != nil {
		return nil, wrap(err, "runs")
	}
	defer rows.Close()
	var out []*berth.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanRun(s scanner) (*berth.Run, error) {
	var doc string
	var r berth.Run
	var depth int
	var automation, key string
	if err := s.Scan(&doc, &depth, &automation, &key); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, wrap(err, "scan run")
	}
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("store: corrupt run: %w", err)
	}
	r.Depth, r.Automation, r.IdempotencyKey = depth, automation, key
	return &r, nil
}

// AppendRunLog adds a log line to a run.
func (q *Queries) AppendRunLog(ctx context.Context, l *berth.RunLog) error {
	_, err := q.exec(ctx, "INSERT INTO run_logs (id, run_id, message, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
		l.ID, l.RunID, l.Message, l.CreatedBy, l.CreatedAt)
	return wrap(err, "append run log")
}

// RunLogs returns a run's log lines in the order they were written.
func (q *Queries) RunLogs(ctx context.Context, runID string, limit, offset int) ([]*berth.RunLog, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := q.query(ctx, fmt.Sprintf("SELECT id, run_id, message, created_by, created_at FROM run_logs WHERE run_id = ? ORDER BY seq LIMIT %d OFFSET %d", limit, offset), runID)
	if err != nil {
		return nil, wrap(err, "run logs")
	}
	defer rows.Close()
	out := []*berth.RunLog{}
	for rows.Next() {
		var l berth.RunLog
		if err := rows.Scan(&l.ID, &l.RunID, &l.Message, &l.CreatedBy, &l.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, &l)
	}
	return out, rows.Err()
}

// AppendAttempt records a delivery attempt of a run; a.N is set to its number.
func (q *Queries) AppendAttempt(ctx context.Context, runID string, a *berth.Attempt) error {
	return q.AppendAttempts(ctx, []RunAttempt{{RunID: runID, Attempt: a}})
}

// RunAttempt is one run's delivery attempt, for AppendAttempts.
type RunAttempt struct {
	RunID   string
	Attempt *berth.Attempt
}

// AppendAttempts is AppendAttempt for attempts of different runs, in one
// statement; their numbers are set.
func (q *Queries) AppendAttempts(ctx context.Context, attempts []RunAttempt) error {
	var values strings.Builder
	args := make([]any, 0, 8*len(attempts))
	for i, ra := range attempts {
		if i > 0 {
			values.WriteString(", ")
		}
		values.WriteString("(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT))")
		a := ra.Attempt
		args = append(args, ra.RunID, a.At, a.DurationMS, a.Target, a.StatusCode, a.Error, a.Response, a.Outcome)
	}
	rows, err := q.query(ctx, `INSERT INTO run_attempts (run_id, n, at, duration_ms, target, status_code, error, response, outcome)
		SELECT v.column1, COALESCE((SELECT MAX(p.n) FROM run_attempts p WHERE p.run_id = v.column1), 0) + 1,
			v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8
		FROM (VALUES `+values.String()+`) AS v
		RETURNING run_id, n`, args...)
	if err != nil {
		return wrap(err, "append attempts")
	}
	defer rows.Close()
	byRun := make(map[string]*berth.Attempt, len(attempts))
	for _, ra := range attempts {
		byRun[ra.RunID] = ra.Attempt
	}
	for rows.Next() {
		var runID string
		var n int
		if err := rows.Scan(&runID, &n); err != nil {
			return wrap(err, "append attempts")
		}
		if a := byRun[runID]; a != nil {
			a.N = n
		}
	}
	return wrap(rows.Err(), "append attempts")
}

// Attempts returns a run's delivery attempts in order.
func (q *Queries) Attempts(ctx context.Context, runID string) ([]*berth.Attempt, error) {
	rows, err := q.query(ctx, `SELECT n, at, duration_ms, target, status_code, error, response, outcome
		FROM run_attempts WHERE run_id = ? ORDER BY n`, runID)
	if err != nil {
		return nil, wrap(err, "attempts")
	}
	defer rows.Close()
	out := []*berth.Attempt{}
	for rows.Next() {
		var a berth.Attempt
		if err := rows.Scan(&a.N, &a.At, &a.DurationMS, &a.Target, &a.StatusCode, &a.Error, &a.Response, &a.Outcome); err != nil {
			return nil, err
		}
		out = append(out, &a)
	}
	return out, rows.Err()
}

func refID(r *berth.Ref) string {
	if r == nil {
		return ""
	}
	return r.Identifier
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RecordAttempts records attempts[i] with the completion of job jobs[i],
// for jobs worker holds, in one statement committed on its own: an attempt
// is recorded if and only if its job was still held (and is now complete).
// It returns the jobs whose lease was lost: their attempts were not
// recorded. PostgreSQL only (ErrUnsupported on SQLite, whose group commit
// makes a transaction as cheap).
func (db *DB) RecordAttempts(ctx context.Context, worker string, jobs []int64, attempts []RunAttempt) (lost map[int64]bool, err error) {
	if db.engine != EnginePostgres {
		return nil, errors.ErrUnsupported
	}
	err = db.autocommit(ctx, func(q *Queries) error {
		lost, err = q.recordAttempts(ctx, worker, jobs, attempts)
		return err
	})
	return lost, wrap(err, "record attempts")
}

func (q *Queries) recordAttempts(ctx context.Context, worker string, jobs []int64, attempts []RunAttempt) (map[int64]bool, error) {
	args := append([]any{worker}, anys(jobs)...)
	row := "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT))"
	for i, ra := range attempts {
		a := ra.Attempt
		args = append(args, jobs[i], ra.RunID, a.At, a.DurationMS, a.Target, a.StatusCode, a.Error, a.Response, a.Outcome)
	}
	rows, err := q.query(ctx, `WITH done AS (`+deleteHeldJobs(len(jobs))+`), attempt AS (
			INSERT INTO run_attempts (run_id, n, at, duration_ms, target, status_code, error, response, outcome)
			SELECT v.column2, COALESCE((SELECT MAX(p.n) FROM run_attempts p WHERE p.run_id = v.column2), 0) + 1,
				v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9
			FROM (VALUES `+strings.TrimSuffix(strings.Repeat(row+", ", len(jobs)), ", ")+`) AS v
			WHERE v.column1 IN (SELECT id FROM done)
			RETURNING run_id, n
		)
		SELECT 'attempt', run_id, n FROM attempt
		UNION ALL `+completedRows, args...)
	if err != nil {
		return nil, err
	}
	byRun := make(map[string]*berth.Attempt, len(attempts))
	for _, ra := range attempts {
		byRun[ra.RunID] = ra.Attempt
	}
	done, err := q.readCompletion(rows, func(_, runID string, n int) { // an attempt recorded
		if a := byRun[runID]; a != nil {
			a.N = n
		}
	})
	if err != nil {
		return nil, err
	}
	lost := make(map[int64]bool)
	for _, id := range jobs {
		if !done[id] {
			lost[id] = true
		}
	}
	return lost, nil
}
