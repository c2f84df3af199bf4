package service

import (
	"context"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// Actions is the use cases of self-service actions and automations.
type Actions struct {
	db  *store.DB
	now func() time.Time
}

// NewActions returns the action use cases over db.
func NewActions(db *store.DB) *Actions { return &Actions{db: db, now: time.Now} }

// Action returns one action or automation. Errors: not_found.
func (s *Actions) Action(ctx context.Context, id string) (*berth.Action, error) {
	return s.db.Read().Action(ctx, id)
}

// List returns the actions f selects.
func (s *Actions) List(ctx context.Context, f store.ActionFilter) ([]*berth.Action, error) {
	return s.db.Read().Actions(ctx, f)
}

// Create validates and stores a new action or automation.
// Errors: invalid_request, unprocessable, conflict.
func (s *Actions) Create(ctx context.Context, ch Change, raw []byte) (*berth.Action, error) {
	var out *berth.Action
	err := s.db.Write(ctx, func(q *store.Queries) error {
		a, err := action.Decode(raw, refs(ctx, q))
		if err != nil {
			return err
		}
		now := berth.FormatTime(s.now())
		a.ID = berth.NewID("action_", 16)
		a.Meta = berth.Meta{CreatedAt: now, CreatedBy: ch.by(), UpdatedAt: now, UpdatedBy: ch.by()}
		if err := q.InsertAction(ctx, a); err != nil {
			return err
		}
		out = a
		return recordAction(ctx, q, ch, s.now(), berth.ActionCreate, nil, a)
	})
	return out, err
}

// Replace replaces an action with the definition in raw (PUT).
// Errors: invalid_request, unprocessable, not_found.
func (s *Actions) Replace(ctx context.Context, ch Change, id string, raw []byte) (*berth.Action, error) {
	var out *berth.Action
	err := s.db.Write(ctx, func(q *store.Queries) error {
		old, err := q.Action(ctx, id)
		if err != nil {
			return err
		}
		a, err := action.Decode(raw, refs(ctx, q))
		if err != nil {
			return err
		}
		if a.Identifier != id {
			return berth.Invalid("the identifier in the body must match the one in the path",
				berth.FieldError{Field: "/identifier", Message: "must be " + id})
		}
		a.ID = old.ID
		a.Meta = berth.Meta{CreatedAt: old.CreatedAt, CreatedBy: old.CreatedBy, UpdatedAt: berth.FormatTime(s.now()), UpdatedBy: ch.by()}
		if err := q.UpdateAction(ctx, a); err != nil {
			return err
		}
		out = a
		return recordAction(ctx, q, ch, s.now(), berth.ActionUpdate, old, a)
	})
	return out, err
}

// Delete deletes an action or automation; its runs are kept. Errors: not_found.
func (s *Actions) Delete(ctx context.Context, ch Change, id string) error {
	return s.db.Write(ctx, func(q *store.Queries) error {
		old, err := q.Action(ctx, id)
		if err != nil {
			return err
		}
		if err := q.DeleteAction(ctx, id); err != nil {
			return err
		}
		return recordAction(ctx, q, ch, s.now(), berth.ActionDelete, old, nil)
	})
}

func refs(ctx context.Context, q *store.Queries) action.Refs {
	return action.Refs{
		Blueprint: func(id string) bool { _, err := q.Blueprint(ctx, id); return err == nil },
		Action:    func(id string) bool { _, err := q.Action(ctx, id); return err == nil },
		Timers: func(id string) []string {
			bp, err := q.Blueprint(ctx, id)
			if err != nil {
				return nil
			}
			return catalog.TimerProperties(bp)
		},
	}
}

func recordAction(ctx context.Context, q *store.Queries, ch Change, now time.Time, act string, before, after *berth.Action) error {
	a := after
	if a == nil {
		a = before
	}
	return record(ctx, q, &berth.Event{
		ID: berth.NewID("event_", 16), Action: act, ResourceType: berth.ResourceAction, Status: "SUCCESS",
		Trigger: ch.trigger(now), ActionIdentifier: a.Identifier, Blueprint: a.Blueprint,
		Before: marshalOrNil(before), After: marshalOrNil(after),
	})
}
