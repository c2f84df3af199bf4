package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berthdev/berth"
)

// SetRunSealedPayload stores the sealed payload a run's backend gets (its
// secrets in clear), beside the masked one in the run document.
func (q *Queries) SetRunSealedPayload(ctx context.Context, runID, sealed string) error {
	res, err := q.exec(ctx, "UPDATE runs SET sealed_payload = ? WHERE id = ?", sealed, runID)
	return affectedOne(res, err, "run", runID)
}

// RunToSend returns a run with its sealed payload ("" when the stored one
// is what is sent), in one read: what a delivery needs.
// Errors: not_found.
func (q *Queries) RunToSend(ctx context.Context, id string) (*berth.Run, string, error) {
	sends, err := q.RunsToSend(ctx, []string{id})
	if err != nil {
		return nil, "", err
	}
	s, ok := sends[id]
	if !ok {
		return nil, "", berth.Errorf(berth.CodeNotFound, "run %q was not found", id)
	}
	return s.Run, s.Sealed, nil
}

// ToSend is a run with its sealed payload: what a delivery needs.
type ToSend struct {
	Run    *berth.Run
	Sealed string // "" when the stored payload is what is sent
}

// RunsToSend is RunToSend for several runs in one read; runs that do not
// exist are missing from the map.
func (q *Queries) RunsToSend(ctx context.Context, ids []string) (map[string]ToSend, error) {
	rows, err := q.query(ctx, "SELECT "+runColumns+", COALESCE(sealed_payload, '') FROM runs WHERE id IN ("+
		placeholders(len(ids))+")", anys(ids)...)
	if err != nil {
		return nil, wrap(err, "runs to send")
	}
	defer rows.Close()
	out := make(map[string]ToSend, len(ids))
	for rows.Next() {
		var sealed string
		r, err := scanRun(withExtra{rows, []any{&sealed}})
		if err != nil {
			return nil, err
		}
		out[r.ID] = ToSend{Run: r, Sealed: sealed}
	}
	return out, rows.Err()
}

// withExtra scans further columns after those a scan function knows.
type withExtra struct {
	s     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.s.Scan(append(dest, w.extra...)...) }

// RunSealedPayload returns a run's sealed payload, or "" when it has none.
// Errors: not_found.
func (q *Queries) RunSealedPayload(ctx context.Context, runID string) (string, error) {
	var sealed *string
	err := q.queryRow(ctx, "SELECT sealed_payload FROM runs WHERE id = ?", runID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", berth.Errorf(berth.CodeNotFound, "run %q was not found", runID)
	}
	if err != nil || sealed == nil {
		return "", wrap(err, "run sealed payload")
	}
	return *sealed, nil
}

// UpdateRunFrom stores a changed run only if it is still in status from:
// concurrent changes of one run (two approvers, a report racing a withdrawal)
// cannot both apply. Errors: not_found, conflict (the status moved on).
func (q *Queries) UpdateRunFrom(ctx context.Context, r *berth.Run, from string) error {
	doc, err := berth.MarshalJSON(r)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, `UPDATE runs SET status = ?, external_run_id = ?, updated_at = ?, doc = ? WHERE id = ? AND status = ?`,
		r.Status, deref(r.ExternalRunID), r.UpdatedAt, string(doc), r.ID, from)
	if err != nil {
		return wrap(err, "update run")
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := q.Run(ctx, r.ID); err != nil {
		return err
	}
	return berth.Errorf(berth.CodeConflict, "run %q changed meanwhile (it is no longer %s); read it again", r.ID, from)
}

// InsertApprovers records who may approve a run.
func (q *Queries) InsertApprovers(ctx context.Context, runID string, approvers []berth.Approver) error {
	for _, a := range approvers {
		_, err := q.exec(ctx, "INSERT INTO run_approvers (run_id, user_id, required, state) VALUES (?, ?, ?, ?)",
			runID, a.UserID, a.Required, a.State)
		if err != nil {
			return wrap(err, "insert approver")
		}
	}
	return nil
}

// Approvers returns who may approve a run, in the order they decided (those
// still pending last, by user id).
func (q *Queries) Approvers(ctx context.Context, runID string) ([]berth.Approver, error) {
	rows, err := q.query(ctx, `SELECT user_id, required, state, description, decided_at FROM run_approvers
		WHERE run_id = ? ORDER BY decided_at = '', decided_at, user_id`, runID)
	if err != nil {
		return nil, wrap(err, "approvers")
	}
	defer rows.Close()
	out := []berth.Approver{}
	for rows.Next() {
		var a berth.Approver
		if err := rows.Scan(&a.UserID, &a.Required, &a.State, &a.Description, &a.DecidedAt); err != nil {
			return nil, wrap(err, "scan approver")
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DecideApproval records an approver's decision: the approver's pending row
// when there is one, else a new row (an organization token's decision).
// Errors: conflict (this approver has decided already).
func (q *Queries) DecideApproval(ctx context.Context, runID string, a berth.Approver) error {
	res, err := q.exec(ctx, `UPDATE run_approvers SET state = ?, description = ?, decided_at = ?
		WHERE run_id = ? AND user_id = ? AND state = ?`, a.State, a.Description, a.DecidedAt, runID, a.UserID, berth.ApprovalPending)
	if err != nil {
		return wrap(err, "decide approval")
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO run_approvers (run_id, user_id, required, state, description, decided_at)
		VALUES (?, ?, ?, ?, ?, ?)`, runID, a.UserID, false, a.State, a.Description, a.DecidedAt)
	if q.d.isUniqueViolation(err) {
		return berth.Errorf(berth.CodeConflict, "%s has already decided on run %q", a.UserID, runID)
	}
	return wrap(err, "decide approval")
}

// ActionPermissions returns an action's permissions, or the defaults when
// none were set.
func (q *Queries) ActionPermissions(ctx context.Context, action string) (berth.Permissions, error) {
	var doc string
	err := q.queryRow(ctx, "SELECT doc FROM action_permissions WHERE action = ?", action).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return berth.DefaultPermissions(), nil
	}
	if err != nil {
		return berth.Permissions{}, wrap(err, "action permissions")
	}
	var p berth.Permissions
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return p, fmt.Errorf("store: corrupt permissions of %s: %w", action, err)
	}
	return p, nil
}

// SetActionPermissions stores the permissions of an existing action.
func (q *Queries) SetActionPermissions(ctx context.Context, action string, p berth.Permissions) error {
	doc, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, `INSERT INTO action_permissions (action, doc, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (action) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`, action, string(doc), nowString())
	return wrap(err, "set action permissions")
}

// UserCredential is an API credential that acts as a user.
type UserCredential struct {
	ClientID   string `json:"clientId"`
	UserID     string `json:"userId"`
	SecretHash string `json:"-"`
	CreatedAt  string `json:"createdAt"`
}

// InsertUserCredential stores a credential of an existing _user entity.
func (q *Queries) InsertUserCredential(ctx context.Context, c *UserCredential) error {
	_, err := q.exec(ctx, "INSERT INTO user_credentials (client_id, user_id, secret_hash, created_at) VALUES (?, ?, ?, ?)",
		c.ClientID, c.UserID, c.SecretHash, c.CreatedAt)
	return wrap(err, "insert user credential")
}

// UserCredential returns a credential by client id. Errors: not_found.
func (q *Queries) UserCredential(ctx context.Context, clientID string) (*UserCredential, error) {
	var c UserCredential
	err := q.queryRow(ctx, "SELECT client_id, user_id, secret_hash, created_at FROM user_credentials WHERE client_id = ?", clientID).
		Scan(&c.ClientID, &c.UserID, &c.SecretHash, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, berth.Errorf(berth.CodeNotFound, "credential %q was not found", clientID)
	}
	return &c, wrap(err, "user credential")
}

// UserCredentials returns a user's credentials, oldest first.
func (q *Queries) UserCredentials(ctx context.Context, userID string) ([]*UserCredential, error) {
	rows, err := q.query(ctx, "SELECT client_id, user_id, secret_hash, created_at FROM user_credentials WHERE user_id = ? ORDER BY created_at, client_id", userID)
	if err != nil {
		return nil, wrap(err, "user credentials")
	}
	defer rows.Close()
	out := []*UserCredential{}
	for rows.Next() {
		var c UserCredential
		if err := rows.Scan(&c.ClientID, &c.UserID, &c.SecretHash, &c.CreatedAt); err != nil {
			return nil, wrap(err, "scan user credential")
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// DeleteUserCredential removes one of a user's credentials. Errors: not_found.
func (q *Queries) DeleteUserCredential(ctx context.Context, userID, clientID string) error {
	res, err := q.exec(ctx, "DELETE FROM user_credentials WHERE client_id = ? AND user_id = ?", clientID, userID)
	return affectedOne(res, err, "credential", clientID)
}
