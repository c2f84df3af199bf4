package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/berthdev/berth"
)

// AppendEvent records ev in the change log and sets ev.Seq. Call it in the
// transaction that makes the change ev describes.
func (q *Queries) AppendEvent(ctx context.Context, ev *berth.Event) error {
	return q.AppendEvents(ctx, []*berth.Event{ev})
}

// eventInsertColumns are the columns an event is inserted with, in the
// order of eventValues.
const eventInsertColumns = `id, resource_type, action, status, blueprint, entity, property,
	run_id, action_identifier, linked_run_id, origin, at, trigger_doc, before_doc, after_doc, depth, caused_by`

// eventValues appends ev's values for eventInsertColumns to args.
func eventValues(args []any, ev *berth.Event) ([]any, error) {
	trigger, err := json.Marshal(ev.Trigger)
	if err != nil {
		return nil, err
	}
	return append(args, ev.ID, ev.ResourceType, ev.Action, ev.Status, ev.Blueprint, ev.Entity, ev.Property,
		ev.RunID, ev.ActionIdentifier, ev.LinkedRunID, ev.Trigger.Origin, ev.Trigger.At, string(trigger),
		nullableJSON(ev.Before), nullableJSON(ev.After), ev.Depth, ev.CausedBy), nil
}

// EventFilter selects change-log records; zero fields match everything.
// All fields are AND-ed (spec 11.9).
type EventFilter struct {
	ID        string
	Blueprint string
	Entity    string
	RunID     string   // the run the change was made on behalf of, or the run changed
	Origins   []string // trigger origins
	Resources []string // resource types
	Actions   []string // CREATE, UPDATE, ...
	Status    string
	// ActionType, berth.TriggerAutomation or berth.TriggerSelfService,
	// keeps the records about actions of that kind: changes of runs of
	// such actions and changes of such action definitions (see
	// actionTypeCondition).
	ActionType  string
	From, To    string // timestamps in berth.TimeFormat, inclusive
	AfterSeq    int64  // only events committed after this one
	Limit       int    // 0 means 1000
	OldestFirst bool   // default is newest first
}

const eventColumns = `seq, id, resource_type, action, status, blueprint, entity, property, run_id,
	action_identifier, linked_run_id, trigger_doc, before_doc, after_doc, depth, caused_by`

// Events returns the change-log records f selects, newest first unless
// f.OldestFirst. Errors: unprocessable (an ActionType of neither kind).
func (q *Queries) Events(ctx context.Context, f EventFilter) ([]*berth.Event, error) {
	var where []string
	var args []any
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if f.ID != "" {
		add("id = ?", f.ID)
	}
	if f.Blueprint != "" {
		add("blueprint = ?", f.Blueprint)
	}
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.RunID != "" {
		add("((linked_run_id = ? AND linked_run_id <> '') OR (run_id = ? AND run_id <> ''))", f.RunID, f.RunID)
	}
	inList(&where, &args, "origin", f.Origins)
	inList(&where, &args, "resource_type", f.Resources)
	inList(&where, &args, "action", f.Actions)
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.ActionType != "" {
		cond, err := actionTypeCondition(q.d, f.ActionType)
		if err != nil {
			return nil, err
		}
		add(cond, f.ActionType)
	}
	if f.From != "" {
		add("at >= ?", f.From)
	}
	if f.To != "" {
		add("at <= ?", f.To)
	}
	if f.AfterSeq > 0 {
		add("seq > ?", f.AfterSeq)
	}
	query := "SELECT " + eventColumns + " FROM events"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	order := " ORDER BY seq DESC"
	if f.OldestFirst {
		order = " ORDER BY seq"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := q.query(ctx, query+order+fmt.Sprintf(" LIMIT %d", limit), args...)
	if err != nil {
		return nil, wrap(err, "events")
	}
	defer rows.Close()
	var out []*berth.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// actionTypeCondition is the condition of EventFilter.ActionType; its one
// argument is the action type (spec 11.9 actionType; the two kinds: spec 1).
//
// A run record is about an automation when the run was made by its own
// action. Every run records the automation that made it (berth.Run.
// Automation, stored in each of its records as caused_by for loop
// protection): an automation's run, made by the engine or re-run as it was,
// records that automation; a self-service run records none or, executed on
// behalf of an automation's run, that other automation (identifiers are
// unique across actions and automations). So the kind is a comparison of
// two columns of the record, not a join with the actions table, and is
// right for the runs of deleted actions too. An action record is about the
// kind its definition says (trigger.type of the document after the change,
// or before it for a delete); the CASE reads that JSON for action records
// only. Entity and blueprint records are about no action (the changes made
// on behalf of a run are found with run_id).
//
// The condition is one CASE, not ORs of ANDs, for the planner: PostgreSQL
// guesses that a comparison of two columns keeps 0.5% of the rows, and
// then reads the whole table and sorts it rather than walk seq backwards
// to the limit; an opaque boolean it takes to keep half. Either way it is
// a filter over the rows the other conditions' indexes select.
//
// Errors: unprocessable (another action type).
func actionTypeCondition(d *dialect, actionType string) (string, error) {
	var run string
	switch actionType {
	case berth.TriggerAutomation:
		run = "caused_by = action_identifier"
	case berth.TriggerSelfService:
		run = "caused_by <> action_identifier"
	default:
		return "", berth.Invalid("bad filter", berth.FieldError{Field: "actionType",
			Message: strconv.Quote(actionType) + " is not an action type"})
	}
	return "CASE resource_type WHEN '" + berth.ResourceRun + "' THEN " + run +
		" WHEN '" + berth.ResourceAction + "' THEN (" + d.jsonDoc("COALESCE(after_doc, before_doc)") + " -> 'trigger' ->> 'type') = ?" +
		" ELSE FALSE END", nil
}

type scanner interface{ Scan(dest ...any) error }

func scanEvent(s scanner) (*berth.Event, error) {
	var ev berth.Event
	var trigger string
	var before, after *string
	err := s.Scan(&ev.Seq, &ev.ID, &ev.ResourceType, &ev.Action, &ev.Status, &ev.Blueprint, &ev.Entity,
		&ev.Property, &ev.RunID, &ev.ActionIdentifier, &ev.LinkedRunID, &trigger, &before, &after,
		&ev.Depth, &ev.CausedBy)
	if err != nil {
		return nil, wrap(err, "scan event")
	}
	if err := json.Unmarshal([]byte(trigger), &ev.Trigger); err != nil {
		return nil, fmt.Errorf("store: corrupt event %s: %w", ev.ID, err)
	}
	if before != nil {
		ev.Before = json.RawMessage(*before)
	}
	if after != nil {
		ev.After = json.RawMessage(*after)
	}
	return &ev, nil
}

func inList(where *[]string, args *[]any, column string, vals []string) {
	if len(vals) == 0 {
		return
	}
	*where = append(*where, column+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
	for _, v := range vals {
		*args = append(*args, v)
	}
}

func nullableJSON(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return string(raw)
}

// Event returns one change-log record by id. Errors: not_found.
func (q *Queries) Event(ctx context.Context, id string) (*berth.Event, error) {
	ev, err := scanEvent(q.queryRow(ctx, "SELECT "+eventColumns+" FROM events WHERE id = ?", id))
	if err != nil && strings.Contains(err.Error(), "no rows") {
		return nil, berth.Errorf(berth.CodeNotFound, "event %q was not found", id)
	}
	return ev, err
}

// EventsByID returns the change-log records with the given ids, by id; ids
// with no record are missing from the map.
func (q *Queries) EventsByID(ctx context.Context, ids []string) (map[string]*berth.Event, error) {
	rows, err := q.query(ctx, "SELECT "+eventColumns+" FROM events WHERE id IN ("+placeholders(len(ids))+")", anys(ids)...)
	if err != nil {
		return nil, wrap(err, "events by id")
	}
	defer rows.Close()
	out := make(map[string]*berth.Event, len(ids))
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out[ev.ID] = ev
	}
	return out, rows.Err()
}
