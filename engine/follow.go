package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// JobFollow is the job kind of a backend's follow-up look at a run it
// started (ref = run id, payload = the backend's state).
const JobFollow = "follow"

// follow handles a follow-up job: it asks the run's backend how the work it
// started is going and applies the answer.
func (e *Engine) follow(ctx context.Context, j store.Job) error {
	run, sealed, err := e.db.Read().RunToSend(ctx, j.Ref)
	if berth.IsNotFound(err) {
		return e.complete(ctx, j)
	}
	if err != nil {
		return err
	}
	if berth.IsTerminal(run.Status) {
		return e.complete(ctx, j) // finished by other means (the API, a person)
	}
	typ := delivery.InvocationType(run.Payload)
	follower, ok := e.backends[typ].(delivery.Follower)
	var res delivery.Result
	if ok {
		req, masker, err := e.request(run, sealed, j.Attempts)
		if err != nil {
			return err
		}
		res = masked(follower.Follow(ctx, req, json.RawMessage(j.Payload)), masker)
	} else {
		res = delivery.Result{Outcome: delivery.Failed, Error: fmt.Sprintf("backend %q cannot follow up runs", typ)}
	}
	return e.db.Write(ctx, func(q *store.Queries) error {
		return e.applyFollow(ctx, q, j, run.ID, res)
	})
}

func (e *Engine) applyFollow(ctx context.Context, q *store.Queries, j store.Job, runID string, res delivery.Result) error {
	run, err := q.Run(ctx, runID)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, l := range res.Logs {
		if err := service.AddRunLog(ctx, q, runID, "berth", l, now); err != nil {
			return err
		}
	}
	if berth.IsTerminal(run.Status) {
		return q.CompleteJob(ctx, j.ID, e.worker)
	}
	switch res.Outcome {
	case delivery.Retry:
		delay, more := e.cfg.Policy.Delay(j.Attempts, res.RetryAfter, nil)
		if more {
			return q.RetryJob(ctx, j.ID, e.worker, now.Add(delay), describe(res))
		}
		res.Finish = &delivery.Finish{Status: berth.RunFailure, Summary: "Lost track of the run: " + describe(res)}
	case delivery.Failed:
		if res.Finish == nil {
			res.Finish = &delivery.Finish{Status: berth.RunFailure, Summary: "Following the run failed: " + describe(res)}
		}
	}
	if err := e.applyOutcome(ctx, q, run, res, now); err != nil {
		return err
	}
	return q.CompleteJob(ctx, j.ID, e.worker)
}

// applyOutcome applies what a backend reported beyond the attempt itself:
// progress, a finish, or another follow-up.
func (e *Engine) applyOutcome(ctx context.Context, q *store.Queries, run *berth.Run, res delivery.Result, now time.Time) error {
	if berth.IsTerminal(run.Status) {
		return nil
	}
	if res.Finish != nil {
		if res.Progress != nil {
			applyProgress(run, res.Progress)
		}
		return e.finishRun(ctx, q, run, res.Finish, now)
	}
	if res.Progress != nil {
		before := service.CloneRun(run)
		applyProgress(run, res.Progress)
		at := berth.FormatTime(now)
		run.UpdatedAt, run.UpdatedBy = at, "berth"
		if err := q.UpdateRun(ctx, run); err != nil {
			return err
		}
		if err := e.recordRunChange(ctx, q, before, run, at); err != nil {
			return err
		}
		if id := res.Progress.InstallationID; id != "" {
			if err := q.AddPendingRun(ctx, run.ID, id, delivery.InvocationType(run.Payload), run.Action.Identifier, now); err != nil {
				return err
			}
		}
	}
	if res.Outcome == delivery.Delivered && res.Follow != nil {
		after := max(res.Follow.After, time.Second)
		job := store.Job{Kind: JobFollow, Ref: run.ID, Payload: string(res.Follow.State)}
		return q.EnqueueJob(ctx, job, now.Add(after))
	}
	return nil
}

func applyProgress(run *berth.Run, p *delivery.Progress) {
	if len(p.Link) > 0 {
		run.Link = p.Link
	}
	if p.ExternalRunID != "" {
		run.ExternalRunID = &p.ExternalRunID
	}
	if p.StatusLabel != "" {
		run.StatusLabel = &p.StatusLabel
	}
	if p.Entity != nil && run.Entity == nil {
		run.Blueprint = &berth.Ref{Identifier: p.Entity.Blueprint}
		run.Entity = &berth.Ref{Identifier: p.Entity.Identifier, Title: p.Entity.Title}
	}
	if p.InstallationID != "" {
		run.InstallationID, run.PendingExecution = &p.InstallationID, true
	}
}
