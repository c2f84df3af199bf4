package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/berthdev/berth"
)

const actionColumns = `id, identifier, trigger_type, event_type, blueprint, action_ref, property, operation,
	published, doc, created_at, created_by, updated_at, updated_by`

// Action returns one action or automation. Errors: not_found.
func (q *Queries) Action(ctx context.Context, identifier string) (*berth.Action, error) {
	a, err := scanAction(q.queryRow(ctx, "SELECT "+actionColumns+" FROM actions WHERE identifier = ?", identifier))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, berth.Errorf(berth.CodeNotFound, "action %q was not found", identifier)
	}
	return a, err
}

// ActionFilter selects actions; zero fields match everything, lists match
// any of their values, and all fields are AND-ed (spec 11.3).
type ActionFilter struct {
	Identifiers []string
	Blueprints  []string
	Operations  []string
	TriggerType string
	EventTypes  []string
	ActionRefs  []string
	Published   *bool
}

// Actions returns the actions f selects, ordered by identifier.
func (q *Queries) Actions(ctx context.Context, f ActionFilter) ([]*berth.Action, error) {
	var where []string
	var args []any
	inList(&where, &args, "identifier", f.Identifiers)
	inList(&where, &args, "blueprint", f.Blueprints)
	inList(&where, &args, "operation", f.Operations)
	inList(&where, &args, "event_type", f.EventTypes)
	inList(&where, &args, "action_ref", f.ActionRefs)
	if f.TriggerType != "" {
		where, args = append(where, "trigger_type = ?"), append(args, f.TriggerType)
	}
	if f.Published != nil {
		where, args = append(where, "published = ?"), append(args, *f.Published)
	}
	query := "SELECT " + actionColumns + " FROM actions"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := q.query(ctx, query+" ORDER BY identifier", args...)
	if err != nil {
		return nil, wrap(err, "actions")
	}
	defer rows.Close()
	var out []*berth.Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// InsertAction stores a new action. Errors: conflict.
func (q *Queries) InsertAction(ctx context.Context, a *berth.Action) error {
	_, err := q.exec(ctx, "INSERT INTO actions ("+actionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.Identifier, a.TriggerType, a.EventType, a.Blueprint, a.ActionRef, a.Property, a.Operation,
		a.Published, string(a.Doc), a.CreatedAt, a.CreatedBy, a.UpdatedAt, a.UpdatedBy)
	if q.d.isUniqueViolation(err) {
		return berth.Errorf(berth.CodeConflict, "an action or automation with identifier %q already exists", a.Identifier)
	}
	if err == nil {
		err = q.bumpActionsVersion(ctx)
	}
	return wrap(err, "insert action")
}

// UpdateAction replaces a stored action. Errors: not_found.
func (q *Queries) UpdateAction(ctx context.Context, a *berth.Action) error {
	res, err := q.exec(ctx, `UPDATE actions SET trigger_type = ?, event_type = ?, blueprint = ?, action_ref = ?,
		property = ?, operation = ?, published = ?, doc = ?, updated_at = ?, updated_by = ? WHERE identifier = ?`,
		a.TriggerType, a.EventType, a.Blueprint, a.ActionRef, a.Property, a.Operation, a.Published, string(a.Doc),
		a.UpdatedAt, a.UpdatedBy, a.Identifier)
	if err := affectedOne(res, err, "action", a.Identifier); err != nil {
		return err
	}
	return q.bumpActionsVersion(ctx)
}

// DeleteAction removes an action. Errors: not_found.
func (q *Queries) DeleteAction(ctx context.Context, identifier string) error {
	res, err := q.exec(ctx, "DELETE FROM actions WHERE identifier = ?", identifier)
	if err := affectedOne(res, err, "action", identifier); err != nil {
		return err
	}
	return q.bumpActionsVersion(ctx)
}

// ActionsVersion returns a number that changes whenever any action changes,
// so instances can tell when their compiled automations are stale.
func (q *Queries) ActionsVersion(ctx context.Context) (string, error) {
	v, _, err := q.Setting(ctx, "actions_version")
	return v, err
}

func (q *Queries) bumpActionsVersion(ctx context.Context) error {
	return q.SetSetting(ctx, "actions_version", berth.NewID("", 12))
}

func scanAction(s scanner) (*berth.Action, error) {
	var a berth.Action
	var doc string
	err := s.Scan(&a.ID, &a.Identifier, &a.TriggerType, &a.EventType, &a.Blueprint, &a.ActionRef, &a.Property,
		&a.Operation, &a.Published, &doc, &a.CreatedAt, &a.CreatedBy, &a.UpdatedAt, &a.UpdatedBy)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("store: scan action: %w", err)
	}
	a.Doc = []byte(doc)
	return &a, nil
}
