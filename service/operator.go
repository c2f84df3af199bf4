package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/store"
)

// Operator is berth's own operations on runs and automations, beyond Port's
// API, for the web console: retry a failed delivery, re-run, publish an
// automation, and test one against a recorded event. Runs that finished are
// immutable through the Port API; these operations are how an operator
// (the organization's credentials or an Admin user) acts on them anyway.
type Operator struct {
	db     *store.DB
	render *Renderer
	cfg    OperatorConfig
	now    func() time.Time
}

// OperatorConfig is what the operations share with the engine's settings.
type OperatorConfig struct {
	// StrictTemplates fails a run whose template expressions fail
	// (BERTH_TEMPLATE_STRICT).
	StrictTemplates bool
	// MaxDepth is the engine's automation chain limit
	// (BERTH_MAX_CHAIN_DEPTH, default 10), which tests honour.
	MaxDepth int
}

// NewOperator returns the operations over db, rendering with the
// organization's secrets key.
func NewOperator(db *store.DB, org *Org, cfg OperatorConfig) *Operator {
	cfg.MaxDepth = cmp.Or(cfg.MaxDepth, 10)
	return &Operator{db: db, cfg: cfg, now: time.Now, render: &Renderer{DB: db, Key: org.SecretsKey, Strict: cfg.StrictTemplates}}
}

// Retry re-delivers a run whose delivery failed: the same run (the same id,
// so the same webhook-id and idempotency key for receivers) goes back to
// IN_PROGRESS and a new delivery job is queued, with the retry policy's
// attempts counted afresh. In one transaction it stores the run, a log line
// naming who retried it, its RUN_UPDATED event and the delivery job.
//
// Only a FAILURE run whose last delivery attempt did not succeed can be
// retried; a run that was delivered and then reported failed by its backend
// is re-run instead (Rerun). Errors: forbidden, not_found, unprocessable,
// conflict (the run changed meanwhile).
func (o *Operator) Retry(ctx context.Context, ch Change, id string) (*berth.Run, error) {
	var out *berth.Run
	err := o.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		run, err := q.Run(ctx, id)
		if err != nil {
			return err
		}
		attempts, err := q.Attempts(ctx, id)
		if err != nil {
			return err
		}
		if err := retryable(run, attempts); err != nil {
			return err
		}
		before := CloneRun(run)
		now := o.now()
		at := berth.FormatTime(now)
		run.Status, run.EndedAt, run.Summary = berth.RunInProgress, nil, nil
		run.UpdatedAt, run.UpdatedBy = at, ch.by()
		if err := q.UpdateRunFrom(ctx, run, berth.RunFailure); err != nil {
			return err
		}
		msg := fmt.Sprintf("delivery retried by %s after %d failed attempt(s)", ch.by(), len(attempts))
		if err := AddRunLog(ctx, q, id, ch.by(), msg, now); err != nil {
			return err
		}
		if err := RecordRunChange(ctx, q, ch.trigger(now), before, run); err != nil {
			return err
		}
		out = run
		// One delivery of a run at a time: a retry never overlaps another.
		return q.EnqueueJob(ctx, store.Job{Kind: JobDeliver, Ref: id, OrderingKey: "deliver/run/" + id}, now)
	})
	return out, err
}

// Retryable reports whether Retry would accept a run with these attempts,
// and if not, why (a message for people).
func Retryable(run *berth.Run, attempts []*berth.Attempt) (bool, string) {
	if err := retryable(run, attempts); err != nil {
		return false, err.Error()
	}
	return true, ""
}

func retryable(run *berth.Run, attempts []*berth.Attempt) error {
	switch {
	case run.Status != berth.RunFailure:
		return berth.Errorf(berth.CodeUnprocessable, "only failed runs can be retried; run %s is %s", run.ID, run.Status)
	case len(attempts) == 0:
		return berth.Errorf(berth.CodeUnprocessable, "run %s was never delivered (it failed before delivery): re-run it instead", run.ID)
	case attempts[len(attempts)-1].Outcome == "delivered":
		return berth.Errorf(berth.CodeUnprocessable, "run %s was delivered and its backend reported the failure: re-run it instead", run.ID)
	}
	return nil
}

// Rerun creates a new run of a run's action from the same trigger data (its
// run.id replaced by the new run's), rendered with the action's current
// definition, and delivers it. The new run starts with a log line naming the
// original, and the original gets one naming the new run. It keeps the
// original's automation and depth (loop protection) and has no idempotency
// key. Self-service actions that require approval are refused: execute them
// again so that they are approved. Errors: forbidden, not_found,
// unprocessable.
func (o *Operator) Rerun(ctx context.Context, ch Change, id string) (*berth.Run, error) {
	r := o.db.Read()
	if err := requireAdmin(ctx, r, ch); err != nil {
		return nil, err
	}
	orig, err := r.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	if orig.Status == berth.RunWaitingForApproval {
		return nil, berth.Errorf(berth.CodeUnprocessable, "run %s is waiting for approval; it cannot be re-run", id)
	}
	td, err := r.RunTriggerData(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(td) == 0 {
		return nil, berth.Errorf(berth.CodeUnprocessable, "run %s has no recorded trigger data to re-run it with", id)
	}
	a, err := r.Action(ctx, orig.Action.Identifier)
	if berth.IsNotFound(err) {
		return nil, berth.Errorf(berth.CodeUnprocessable, "the action %q of run %s no longer exists", orig.Action.Identifier, id)
	}
	if err != nil {
		return nil, err
	}
	compiled, err := action.Compile(a)
	if err != nil {
		return nil, err
	}
	if a.TriggerType == berth.TriggerSelfService && compiled.RequiredApproval != "" {
		return nil, berth.Errorf(berth.CodeUnprocessable, "action %q requires approval: execute it again instead of re-running", a.Identifier)
	}
	nr, err := o.prepareRerun(ctx, ch, orig, td)
	if err != nil {
		return nil, err
	}
	if err := o.render.Render(ctx, compiled, nr); err != nil {
		return nil, err
	}
	err = o.db.Write(ctx, func(q *store.Queries) error {
		if _, err := StoreRun(ctx, q, nr); err != nil {
			return err
		}
		msg := fmt.Sprintf("re-run by %s as run %s", ch.by(), nr.Run.ID)
		return AddRunLog(ctx, q, id, ch.by(), msg, o.now())
	})
	if err != nil {
		return nil, err
	}
	return nr.Run, nil
}

// prepareRerun makes the new run of a re-run, before rendering.
func (o *Operator) prepareRerun(ctx context.Context, ch Change, orig *berth.Run, triggerData json.RawMessage) (*NewRun, error) {
	now := o.now()
	at, by := berth.FormatTime(now), ch.by()
	newID := berth.NewID("r_", 16)
	td, err := setTopLevel(triggerData, "run", mustMarshal(map[string]string{"id": newID}))
	if err != nil {
		return nil, fmt.Errorf("run %s: trigger data: %w", orig.ID, err)
	}
	run := &berth.Run{
		ID: newID, Status: berth.RunInProgress, Action: orig.Action, Blueprint: orig.Blueprint, Entity: orig.Entity,
		Properties: orig.Properties, RawProperties: orig.RawProperties, Source: orig.Source,
		RequiredApproval: json.RawMessage("false"), Link: []string{}, Response: json.RawMessage("null"),
		CreatedAt: at, CreatedBy: by, UpdatedAt: at, UpdatedBy: by,
		Depth: orig.Depth, Automation: orig.Automation,
	}
	if run.Properties == nil {
		run.Properties = map[string]any{}
	}
	if run.RawProperties == nil {
		run.RawProperties = map[string]any{}
	}
	trigger := ch.trigger(now)
	return &NewRun{Run: run, TriggerData: td, Trigger: trigger,
		Logs: []string{fmt.Sprintf("re-run of run %s by %s", orig.ID, by)}}, nil
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
