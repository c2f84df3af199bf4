package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// maxExcerpt bounds the response text kept on an attempt record.
const maxExcerpt = 1024

// startDeliveries starts a claimed batch of delivery, follow-up and
// notification jobs, each in its own goroutine. The runs of the deliveries
// are read together first.
func (e *Engine) startDeliveries(ctx context.Context, jobs []store.Job, rec *recorder, done func()) {
	var deliveries, others []store.Job
	for _, j := range jobs {
		if j.Kind == service.JobDeliver {
			deliveries = append(deliveries, j)
		} else {
			others = append(others, j)
		}
	}
	e.each(ctx, others, done, func(ctx context.Context, j store.Job) error {
		if j.Kind == JobFollow {
			return e.follow(ctx, j)
		}
		return e.notify(ctx, j)
	})
	if len(deliveries) == 0 {
		return
	}
	ids := make([]string, len(deliveries))
	for i, j := range deliveries {
		ids[i] = j.Ref
	}
	sends, err := e.db.Read().RunsToSend(ctx, ids)
	if err != nil {
		sends = nil // each delivery reads its run itself
	}
	e.each(ctx, deliveries, done, func(ctx context.Context, j store.Job) error {
		if sends != nil {
			s, ok := sends[j.Ref]
			if !ok {
				return e.complete(ctx, j) // the run is gone
			}
			return e.deliver(ctx, j, s.Run, s.Sealed, rec)
		}
		run, sealed, err := e.db.Read().RunToSend(ctx, j.Ref)
		if berth.IsNotFound(err) {
			return e.complete(ctx, j)
		}
		if err != nil {
			return err
		}
		return e.deliver(ctx, j, run, sealed, rec)
	})
}

// deliver handles one delivery job: it hands the run's invocation to its
// backend and records the attempt and its consequence (done, retry later,
// run finished) together with the job's completion or release. Plain
// successful deliveries are recorded by rec, many in one transaction.
func (e *Engine) deliver(ctx context.Context, j store.Job, run *berth.Run, sealed string, rec *recorder) error {
	if run.Status != berth.RunInProgress {
		// Finished (or withdrawn) before it was delivered: nothing to send.
		return e.complete(ctx, j)
	}
	typ := delivery.InvocationType(run.Payload)
	backend, ok := e.backends[typ]
	start := time.Now()
	var res delivery.Result
	if ok {
		req, masker, err := e.request(run, sealed, j.Attempts)
		if err != nil {
			return err
		}
		res = masked(backend.Deliver(ctx, req), masker)
	} else {
		res = delivery.Result{Outcome: delivery.Failed, Target: typ, Error: fmt.Sprintf("no backend delivers invocation type %q", typ)}
	}
	took := time.Since(start)
	res = e.lastChance(j, res)
	e.cfg.Observer.Delivered(Attempt{Run: run, Backend: typ, Outcome: res.Outcome.String(), Number: j.Attempts,
		Start: start, Took: took, StatusCode: res.StatusCode, Error: res.Error})
	attempt := &berth.Attempt{At: berth.FormatTime(start), DurationMS: took.Milliseconds(), Target: res.Target,
		StatusCode: res.StatusCode, Error: res.Error, Response: excerpt(res.Response), Outcome: res.Outcome.String()}
	if plain(res) {
		return rec.record(ctx, j, run.ID, attempt)
	}
	return e.db.Write(ctx, func(q *store.Queries) error {
		return e.recordAttempt(ctx, q, j, run.ID, attempt, res)
	})
}

// lastChance turns the retryable failure of the last attempt the policy
// allows into a permanent one, before the attempt is reported and recorded,
// so that both say "failed" (no retry follows) and the run fails.
func (e *Engine) lastChance(j store.Job, res delivery.Result) delivery.Result {
	if res.Outcome != delivery.Retry || !e.cfg.Policy.Last(j.Attempts) {
		return res
	}
	res.Outcome = delivery.Failed
	res.Finish = &delivery.Finish{Status: berth.RunFailure,
		Summary: fmt.Sprintf("Delivery failed after %d attempts: %s", j.Attempts, describe(res))}
	return res
}

// plain reports whether a delivery's result only needs its attempt recorded
// and its job completed: delivered, nothing to log, the run unchanged.
func plain(res delivery.Result) bool {
	return res.Outcome == delivery.Delivered && len(res.Logs) == 0 &&
		res.Finish == nil && res.Progress == nil && res.Follow == nil
}

func (e *Engine) recordAttempt(ctx context.Context, q *store.Queries, j store.Job, runID string, a *berth.Attempt, res delivery.Result) error {
	if err := q.AppendAttempt(ctx, runID, a); err != nil {
		return err
	}
	now := time.Now()
	for _, l := range res.Logs {
		if err := service.AddRunLog(ctx, q, runID, "berth", l, now); err != nil {
			return err
		}
	}
	switch res.Outcome {
	case delivery.Retry:
		delay, more := e.cfg.Policy.Delay(j.Attempts, res.RetryAfter, nil)
		if !more { // a safeguard: deliver has made the last attempt's retry a failure (lastChance)
			res = e.lastChance(j, res)
			break
		}
		msg := fmt.Sprintf("delivery attempt %d failed (%s); retrying in %s", j.Attempts, describe(res), delay.Round(time.Millisecond))
		if err := service.AddRunLog(ctx, q, runID, "berth", msg, now); err != nil {
			return err
		}
		return q.RetryJob(ctx, j.ID, e.worker, now.Add(delay), describe(res))
	case delivery.Failed:
		if res.Finish == nil {
			res.Finish = &delivery.Finish{Status: berth.RunFailure, Summary: "Delivery failed: " + describe(res)}
		}
	}
	if res.Finish != nil || res.Progress != nil || res.Follow != nil {
		// Re-read the run here: its backend may have reported meanwhile.
		// A plain delivery (the common case) changes nothing on the run.
		run, err := q.Run(ctx, runID)
		if err != nil {
			return err
		}
		if err := e.applyOutcome(ctx, q, run, res, now); err != nil {
			return err
		}
	}
	return q.CompleteJob(ctx, j.ID, e.worker)
}

// finishRun moves a run to its end state and records the change.
func (e *Engine) finishRun(ctx context.Context, q *store.Queries, run *berth.Run, f *delivery.Finish, now time.Time) error {
	before := service.CloneRun(run)
	at := berth.FormatTime(now)
	run.Status, run.UpdatedAt, run.UpdatedBy, run.EndedAt = f.Status, at, "berth", &at
	if f.Summary != "" {
		run.Summary = &f.Summary
	}
	if f.Response != nil {
		run.Response = f.Response
	}
	if len(f.Link) > 0 {
		run.Link = f.Link
	}
	if err := q.UpdateRun(ctx, run); err != nil {
		return err
	}
	return e.recordRunChange(ctx, q, before, run, at)
}

// recordRunChange records a change the engine made to a run, queued for
// matching only when an automation listens to the run's action.
func (e *Engine) recordRunChange(ctx context.Context, q *store.Queries, before, run *berth.Run, at string) error {
	listened := true
	if set, err := e.actions.get(ctx); err == nil {
		listened = set.index.ListensToRuns(run.Action.Identifier)
	}
	trigger := berth.Trigger{By: berth.Actor{OrgID: e.org.ID, ByPort: true}, Origin: run.Source, At: at}
	return service.RecordRunChangeFor(ctx, q, trigger, before, run, listened)
}

func (e *Engine) complete(ctx context.Context, j store.Job) error {
	return e.db.Write(ctx, func(q *store.Queries) error { return q.CompleteJob(ctx, j.ID, e.worker) })
}

func describe(res delivery.Result) string {
	switch {
	case res.Error != "":
		return res.Error
	case res.StatusCode != 0:
		return fmt.Sprintf("status code %d", res.StatusCode)
	}
	return "no answer"
}

func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	return s[:maxExcerpt] + "…"
}
