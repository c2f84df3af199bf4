package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/automation"
	"github.com/berthdev/berth/jqtemplate"
	"github.com/berthdev/berth/store"
)

// DryRun is what an automation would do with one recorded event, worked
// out the way the engine does it but without creating a run: whether the
// event is of the kind it listens to, whether its condition holds, and the
// invocation it would render (secrets masked).
type DryRun struct {
	Event *berth.Event
	// Listens is false when the event is not of the automation's event
	// type, blueprint, action or timer property.
	Listens bool
	// Skipped says why the engine would not fire the automation whatever
	// its condition (the event came from its own run, or the chain depth
	// limit), or "".
	Skipped string
	// HasCondition is false for automations without a condition (they
	// always fire); ConditionMet and ConditionReason are its result.
	HasCondition    bool
	ConditionMet    bool
	ConditionReason string
	// EventObject is what the condition sees; TriggerData what the
	// templates see, without secrets.
	EventObject json.RawMessage
	TriggerData json.RawMessage
	// Payload is the rendered invocation with secrets masked; Logs are
	// the log lines its run would start with (template warnings); Failure
	// says why rendering failed, if it did.
	Payload json.RawMessage
	Logs    []string
	Failure string
}

// Fires reports whether the engine would create a run for the event.
func (d *DryRun) Fires() bool {
	return d.Listens && d.Skipped == "" && (!d.HasCondition || d.ConditionMet)
}

// dryRunLookback bounds how many recent change-log events RecentEvents
// looks through for ones an automation listens to.
const dryRunLookback = 500

// RecentEvents returns up to limit of the newest recorded events that an
// automation listens to (published or not), newest first.
// Errors: not_found, unprocessable (a self-service action).
func (o *Operator) RecentEvents(ctx context.Context, automationID string, limit int) ([]*berth.Event, error) {
	r := o.db.Read()
	a, err := o.automation(ctx, r, automationID)
	if err != nil {
		return nil, err
	}
	f := store.EventFilter{Limit: dryRunLookback, Resources: []string{berth.ResourceEntity}, Blueprint: a.Blueprint}
	if a.ActionRef != "" {
		f = store.EventFilter{Limit: dryRunLookback, Resources: []string{berth.ResourceRun}}
	}
	events, err := r.Events(ctx, f)
	if err != nil {
		return nil, err
	}
	ix := listening(a)
	var out []*berth.Event
	for _, ev := range events {
		if len(out) == limit {
			break
		}
		if len(ix.Candidates(ev)) > 0 {
			out = append(out, ev)
		}
	}
	return out, nil
}

// DryRun evaluates an automation's condition against a recorded event and
// renders its invocation, creating nothing. Errors: not_found (automation
// or event), unprocessable (a self-service action).
func (o *Operator) DryRun(ctx context.Context, automationID, eventID string) (*DryRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r := o.db.Read()
	a, err := o.automation(ctx, r, automationID)
	if err != nil {
		return nil, err
	}
	ev, err := r.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	d := &DryRun{Event: ev, Listens: len(listening(a).Candidates(ev)) > 0, HasCondition: a.Condition != nil}
	// Older events are the point of a dry run, so only loop protection is
	// reported, not automation.Predates.
	d.Skipped = automation.LoopGuard(ev, a.Identifier, o.cfg.MaxDepth)
	var runAction *berth.Action
	if ev.ResourceType == berth.ResourceRun {
		if runAction, err = r.Action(ctx, ev.ActionIdentifier); err != nil && !berth.IsNotFound(err) {
			return nil, err
		}
	}
	if d.EventObject, err = automation.EventObject(ev, runAction); err != nil {
		return nil, err
	}
	data, err := jqtemplate.ParseData(d.EventObject)
	if err != nil {
		return nil, err
	}
	if a.Condition != nil {
		d.ConditionMet, d.ConditionReason = a.Condition.Evaluate(ctx, data)
	}
	return d, o.dryRender(ctx, a, ev, d)
}

// dryRender renders a's invocation for ev as a run would be, into d.
func (o *Operator) dryRender(ctx context.Context, a *action.Compiled, ev *berth.Event, d *DryRun) error {
	at := berth.FormatTime(o.now())
	id := berth.NewID("r_", 16)
	td, err := automation.TriggerData(ev, d.EventObject, a.Identifier, id, at)
	if err != nil {
		return err
	}
	nr := &NewRun{Run: &berth.Run{ID: id, Status: berth.RunInProgress, UpdatedAt: at}, TriggerData: td}
	if err := o.render.Render(ctx, a, nr); err != nil {
		return err
	}
	d.TriggerData, d.Payload, d.Logs = td, nr.Run.Payload, nr.Logs
	if nr.Run.Status == berth.RunFailure && nr.Run.Summary != nil {
		d.Failure = *nr.Run.Summary
	}
	return nil
}

// automation returns the compiled automation id. Errors: not_found,
// unprocessable.
func (o *Operator) automation(ctx context.Context, q *store.Queries, id string) (*action.Compiled, error) {
	a, err := q.Action(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.TriggerType != berth.TriggerAutomation {
		return nil, berth.Errorf(berth.CodeUnprocessable, "%q is a self-service action, not an automation", id)
	}
	return action.Compile(a)
}

// listening indexes a as if it were published, to ask which events it
// listens to.
func listening(a *action.Compiled) *automation.Index {
	published := *a.Action
	published.Published = true
	c := *a
	c.Action = &published
	return automation.NewIndex([]*action.Compiled{&c})
}
