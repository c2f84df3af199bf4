package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// RecordRunChange records that run changed from before (nil for a new run)
// to after, in the caller's transaction: the run event that RUN_CREATED,
// RUN_UPDATED and ANY_RUN_CHANGE automations match (spec 7.2). The run's
// depth and automation travel with the event for loop protection.
func RecordRunChange(ctx context.Context, q *store.Queries, trigger berth.Trigger, before, after *berth.Run) error {
	return RecordRunChangeFor(ctx, q, trigger, before, after, true)
}

// RecordRunChangeFor is RecordRunChange for a caller that knows whether any
// automation listens to this action's runs: when none does, the event is
// recorded (the audit log shows it) but not queued for matching.
func RecordRunChangeFor(ctx context.Context, q *store.Queries, trigger berth.Trigger, before, after *berth.Run, listened bool) error {
	return recordRunChange(ctx, q, trigger, before, after, marshalOrNil(after), listened)
}

// recordRunChange records a run change whose "after" document the caller
// has encoded already.
func recordRunChange(ctx context.Context, q *store.Queries, trigger berth.Trigger, before, after *berth.Run, afterDoc json.RawMessage, listened bool) error {
	ev := runEvent(trigger, before, after, afterDoc)
	if !listened {
		return q.AppendEvent(ctx, ev)
	}
	return record(ctx, q, ev)
}

// runEvent returns the change-log event of a run change.
func runEvent(trigger berth.Trigger, before, after *berth.Run, afterDoc json.RawMessage) *berth.Event {
	action := berth.ActionUpdate
	if before == nil {
		action = berth.ActionCreate
	}
	ev := &berth.Event{
		ID: berth.NewID("event_", 16), Action: action, ResourceType: berth.ResourceRun, Status: "SUCCESS",
		Trigger: trigger, RunID: after.ID, ActionIdentifier: after.Action.Identifier,
		Depth: after.Depth, CausedBy: after.Automation,
		Before: marshalOrNil(before), After: afterDoc, RunStatus: after.Status,
	}
	if before != nil {
		ev.PrevRunStatus = before.Status
	}
	if after.Blueprint != nil {
		ev.Blueprint = after.Blueprint.Identifier
	}
	if after.Entity != nil {
		ev.Entity = after.Entity.Identifier
	}
	return ev
}

// AddRunLog appends a log line to a run in the caller's transaction. Log
// lines are not run changes: they fire no automation (spec 7.2).
func AddRunLog(ctx context.Context, q *store.Queries, runID, by, message string, at time.Time) error {
	return q.AppendRunLog(ctx, &berth.RunLog{ID: berth.NewID("log_", 16), RunID: runID, Message: message,
		CreatedBy: by, CreatedAt: berth.FormatTime(at)})
}

// CloneRun returns a deep copy of r, to keep a "before" while changing it.
func CloneRun(r *berth.Run) *berth.Run {
	c := *r
	c.Link = append([]string(nil), r.Link...)
	return &c
}
