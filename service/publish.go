package service

import (
	"context"
	"strconv"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/store"
)

// SetPublished publishes an automation (it fires on its events) or
// unpublishes it (it never fires), by setting "publish" in its definition:
// the same change, recorded the same way, as a PUT of the edited
// definition. Publishing is only meaningful for automations (spec 2).
// Errors: forbidden, not_found, unprocessable (a self-service action, or a
// definition that no longer validates).
func (o *Operator) SetPublished(ctx context.Context, ch Change, id string, published bool) (*berth.Action, error) {
	var out *berth.Action
	err := o.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		old, err := q.Action(ctx, id)
		if err != nil {
			return err
		}
		if old.TriggerType != berth.TriggerAutomation {
			return berth.Errorf(berth.CodeUnprocessable, "%q is a self-service action: only automations are published and unpublished", id)
		}
		if old.Published == published {
			out = old
			return nil
		}
		doc, err := setTopLevel(old.Doc, "publish", []byte(strconv.FormatBool(published)))
		if err != nil {
			return err
		}
		a, err := action.Decode(doc, refs(ctx, q))
		if err != nil {
			return err
		}
		now := o.now()
		a.ID = old.ID
		a.Meta = berth.Meta{CreatedAt: old.CreatedAt, CreatedBy: old.CreatedBy, UpdatedAt: berth.FormatTime(now), UpdatedBy: ch.by()}
		if err := q.UpdateAction(ctx, a); err != nil {
			return err
		}
		out = a
		return recordAction(ctx, q, ch, now, berth.ActionUpdate, old, a)
	})
	return out, err
}
