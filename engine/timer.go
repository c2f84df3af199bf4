package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// fireTimer handles a timer job that fell due: if the entity still holds the
// expiry the timer was armed with, it records a TIMER_EXPIRED event (spec
// 9), which is matched like any other event.
func (e *Engine) fireTimer(ctx context.Context, j store.Job) error {
	bpID, entityID, property, ok := service.ParseTimerRef(j.Ref)
	if !ok {
		e.log.Error("dropping a malformed timer job", "ref", j.Ref)
		return e.complete(ctx, j)
	}
	return e.db.Write(ctx, func(q *store.Queries) error {
		ev, err := timerEvent(ctx, q, e.org.ID, bpID, entityID, property, j.Payload)
		if err != nil {
			return err
		}
		if ev != nil {
			if err := service.RecordEvent(ctx, q, ev); err != nil {
				return err
			}
		}
		return q.CompleteJob(ctx, j.ID, e.worker)
	})
}

// timerEvent returns the TIMER_EXPIRED event of a timer, or nil when the
// entity is gone or its timer was changed since it was armed.
func timerEvent(ctx context.Context, q *store.Queries, org, bpID, entityID, property, armed string) (*berth.Event, error) {
	bp, err := q.Blueprint(ctx, bpID)
	if berth.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ent, err := q.Entity(ctx, bpID, entityID)
	if berth.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	expiry, ok := catalog.TimerExpiries(bp, ent)[property]
	if !ok || expiry.UTC().Format(time.RFC3339Nano) != armed {
		return nil, nil
	}
	after, err := json.Marshal(ent)
	if err != nil {
		return nil, err
	}
	return &berth.Event{
		ID: berth.NewID("event_", 16), Action: berth.ActionTimerExpired, ResourceType: berth.ResourceEntity, Status: "SUCCESS",
		Trigger:   berth.Trigger{By: berth.Actor{OrgID: org, ByPort: true}, Origin: berth.OriginAPI, At: berth.FormatTime(expiry)},
		Blueprint: bpID, Entity: entityID, Property: property, After: after,
	}, nil
}
