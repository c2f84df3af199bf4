package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berthdev/berth"
)

// PendingRun is a run left for an outside worker (an integration, Port's
// execution agent) to claim, as a claim hands it out.
type PendingRun struct {
	RunID          string
	InstallationID string
	InvocationType string
}

// AddPendingRun leaves a run for the installation to claim. Adding a run
// that is already pending changes nothing (a delivery that ran twice).
func (q *Queries) AddPendingRun(ctx context.Context, runID, installationID, invocationType, action string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO pending_runs (run_id, installation_id, invocation_type, action, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
		runID, installationID, invocationType, action, berth.FormatTime(at))
	return wrap(err, "add pending run")
}

// ClaimFilter selects the pending runs a claim takes.
type ClaimFilter struct {
	InstallationID string
	InvocationType string   // only runs of this invocation type, when set
	Exclude        []string // not runs of these actions
	Limit          int
}

// ClaimPendingRuns leases up to f.Limit unacknowledged, in-progress runs of
// the installation whose previous lease (if any) has expired, oldest first,
// until `until`; it returns their ids in that order. On PostgreSQL rows
// another transaction is claiming are skipped.
func (q *Queries) ClaimPendingRuns(ctx context.Context, f ClaimFilter, now, until time.Time) ([]string, error) {
	where := []string{"p.installation_id = ?", "p.acked_at IS NULL", "p.claimed_until <= ?", "r.status = ?"}
	args := []any{f.InstallationID, now.UnixMilli(), berth.RunInProgress}
	if f.InvocationType != "" {
		where, args = append(where, "p.invocation_type = ?"), append(args, f.InvocationType)
	}
	if len(f.Exclude) > 0 {
		where = append(where, "p.action NOT IN ("+strings.TrimSuffix(strings.Repeat("?,", len(f.Exclude)), ",")+")")
		for _, a := range f.Exclude {
			args = append(args, a)
		}
	}
	lock := ""
	if q.d.name == EnginePostgres {
		lock = " FOR UPDATE OF p SKIP LOCKED"
	}
	rows, err := q.query(ctx, `SELECT p.run_id FROM pending_runs p JOIN runs r ON r.id = p.run_id WHERE `+
		strings.Join(where, " AND ")+fmt.Sprintf(" ORDER BY p.created_at, p.run_id LIMIT %d", max(f.Limit, 1))+lock, args...)
	if err != nil {
		return nil, wrap(err, "select pending runs")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrap(err, "scan pending run")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "select pending runs")
	}
	for _, id := range ids {
		if _, err := q.exec(ctx, "UPDATE pending_runs SET claimed_until = ? WHERE run_id = ?", until.UnixMilli(), id); err != nil {
			return nil, wrap(err, "claim pending run")
		}
	}
	return ids, nil
}

// AckPendingRun marks a pending run acknowledged: it is never handed out
// again. Errors: not_found (the run is not waiting to be claimed), conflict
// (another worker acknowledged it already).
func (q *Queries) AckPendingRun(ctx context.Context, runID string, at time.Time) error {
	res, err := q.exec(ctx, "UPDATE pending_runs SET acked_at = ? WHERE run_id = ? AND acked_at IS NULL", berth.FormatTime(at), runID)
	if err != nil {
		return wrap(err, "ack pending run")
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var n int
	if err := q.queryRow(ctx, "SELECT count(*) FROM pending_runs WHERE run_id = ?", runID).Scan(&n); err != nil {
		return wrap(err, "ack pending run")
	}
	if n == 0 {
		return berth.Errorf(berth.CodeNotFound, "run %q is not waiting to be claimed", runID)
	}
	return berth.Errorf(berth.CodeConflict, "run %q was already acknowledged", runID)
}
