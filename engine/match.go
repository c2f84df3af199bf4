package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/automation"
	"github.com/berthdev/berth/jqtemplate"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// startMatches starts a claimed batch of match and timer jobs: the match
// jobs are handled together (matchBatch), each timer on its own.
func (e *Engine) startMatches(ctx context.Context, jobs []store.Job, done func()) {
	var matches, timers []store.Job
	for _, j := range jobs {
		if j.Kind == service.JobTimer {
			timers = append(timers, j)
		} else {
			matches = append(matches, j)
		}
	}
	e.each(ctx, timers, done, e.fireTimer)
	if len(matches) > 0 {
		go func() {
			defer func() {
				for range matches {
					done()
				}
			}()
			e.matchBatch(ctx, matches)
		}()
	}
}

// matchBatch handles match jobs together (match). If that fails, each job
// is matched on its own, so one bad event or one lost lease holds back no
// other.
func (e *Engine) matchBatch(ctx context.Context, jobs []store.Job) {
	if len(jobs) > 1 {
		err := e.match(ctx, jobs)
		if err == nil {
			return
		}
		e.log.Warn("matching a batch failed; matching its events one by one", "jobs", len(jobs), "err", err)
	}
	for _, j := range jobs {
		if err := e.match(ctx, []store.Job{j}); err != nil {
			e.retryLater(ctx, j, err)
		}
	}
}

// match finds the automations the events of jobs fire and prepares their
// runs: one read of the events, one look at the actions and the secrets.
// It commits the runs, their events and their delivery jobs in one
// transaction with the jobs' completion. The observer hears of every
// matched event, and of the failure of a job matched alone (a failed batch
// is matched again job by job).
func (e *Engine) match(ctx context.Context, jobs []store.Job) error {
	ids := make([]string, len(jobs))
	jobIDs := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i], jobIDs[i] = j.Ref, j.ID
	}
	events, err := e.db.Read().EventsByID(ctx, ids)
	if err != nil {
		return err
	}
	set, err := e.actions.get(ctx)
	if err != nil {
		return err
	}
	rd := e.renderer.Batch() // the organization's secrets read once
	start := time.Now()
	failed := func(err error, runs int) error {
		if ev := events[jobs[0].Ref]; len(jobs) == 1 && ev != nil {
			e.cfg.Observer.Matched(ev, runs, start, err)
		}
		return err
	}
	runs := make([][]*service.NewRun, len(jobs))
	var all []*service.NewRun
	for i, j := range jobs {
		ev, ok := events[j.Ref]
		if !ok {
			return fmt.Errorf("event %s of match job %d is missing", j.Ref, j.ID)
		}
		if runs[i], err = e.runsFor(ctx, set, rd, ev); err != nil {
			return failed(err, 0)
		}
		all = append(all, runs[i]...)
	}
	err = e.db.Write(ctx, func(q *store.Queries) error {
		// Runs an event made already (a job run twice) are skipped.
		if _, err := service.StoreRuns(ctx, q, all); err != nil {
			return err
		}
		return q.CompleteJobs(ctx, jobIDs, e.worker)
	})
	if err != nil {
		return failed(err, len(all))
	}
	for i, j := range jobs {
		e.cfg.Observer.Matched(events[j.Ref], len(runs[i]), start, nil)
	}
	return nil
}

// runsFor evaluates the candidate automations of ev and prepares a run for
// each that fires. The event is decoded once and shared by all of them.
func (e *Engine) runsFor(ctx context.Context, set *actionSet, rd *service.Renderer, ev *berth.Event) ([]*service.NewRun, error) {
	candidates := set.index.Candidates(ev)
	if len(candidates) == 0 {
		return nil, nil
	}
	var runAction *berth.Action
	if a, ok := set.byID[ev.ActionIdentifier]; ok && ev.ResourceType == berth.ResourceRun {
		runAction = a.Action
	}
	eventObject, err := automation.EventObject(ev, runAction)
	if err != nil {
		return nil, err
	}
	eventData, err := jqtemplate.ParseData(eventObject)
	if err != nil {
		return nil, err
	}
	var runs []*service.NewRun
	for _, a := range candidates {
		if !e.fires(ctx, ev, a, eventData) {
			continue
		}
		nr, err := e.prepareRun(ctx, rd, ev, eventObject, eventData, a)
		if err != nil {
			return nil, err
		}
		nr.Unwatched = !set.index.ListensToRuns(a.Identifier)
		runs = append(runs, nr)
	}
	return runs, nil
}

// fires decides whether automation a fires for ev: not on its own runs'
// changes, not past the chain depth limit, and only when its condition holds.
func (e *Engine) fires(ctx context.Context, ev *berth.Event, a *action.Compiled, eventData *jqtemplate.Data) bool {
	reason := automation.LoopGuard(ev, a.Identifier, e.cfg.MaxDepth)
	if reason == "" && automation.Predates(ev, a.Action) {
		reason = automation.SkipTooEarly
	}
	if reason == automation.SkipTooDeep {
		e.log.Warn("automation not fired", "automation", a.Identifier, "event", ev.ID, "reason", reason,
			"depth", ev.Depth, "limit", e.cfg.MaxDepth)
		return false
	}
	if reason != "" {
		e.log.Debug("automation not fired", "automation", a.Identifier, "event", ev.ID, "reason", reason)
		return false
	}
	if a.Condition == nil {
		return true
	}
	ok, why := a.Condition.Evaluate(ctx, eventData)
	if !ok {
		e.log.Debug("automation not fired: condition not met", "automation", a.Identifier, "event", ev.ID, "reason", why)
	}
	return ok
}

// prepareRun renders a's invocation for ev into a new run.
func (e *Engine) prepareRun(ctx context.Context, rd *service.Renderer, ev *berth.Event, eventObject json.RawMessage, eventData *jqtemplate.Data, a *action.Compiled) (*service.NewRun, error) {
	now := time.Now()
	at := berth.FormatTime(now)
	id := berth.NewID("r_", 16)
	td, err := automation.TriggerData(ev, eventObject, a.Identifier, id, at)
	if err != nil {
		return nil, err
	}
	run := &berth.Run{
		ID: id, Status: berth.RunInProgress, Action: berth.Ref{Identifier: a.Identifier, Title: a.Title},
		Properties: map[string]any{}, RawProperties: map[string]any{}, Source: berth.OriginAutomation,
		RequiredApproval: json.RawMessage("false"), Link: []string{}, Response: json.RawMessage("null"),
		CreatedAt: at, CreatedBy: actorID(ev.Trigger.By), UpdatedAt: at, UpdatedBy: actorID(ev.Trigger.By),
		Depth: ev.Depth + 1, Automation: a.Identifier, IdempotencyKey: ev.ID + "/" + a.Identifier,
	}
	nr := &service.NewRun{Run: run, TriggerData: td, DeliverKey: "deliver/" + a.Identifier + "/" + subject(ev),
		Trigger: berth.Trigger{By: ev.Trigger.By, Origin: berth.OriginAutomation, At: at}}
	if ev.ResourceType == berth.ResourceEntity {
		run.Blueprint = &berth.Ref{Identifier: ev.Blueprint}
		run.Entity = &berth.Ref{Identifier: ev.Entity}
	}
	if nr.Data, err = automation.PreparedTriggerData(ev, eventData, a.Identifier, id, at); err != nil {
		return nil, err
	}
	if err := rd.Render(ctx, a, nr); err != nil {
		return nil, err
	}
	return nr, nil
}

// subject names what an event is about, for ordering deliveries.
func subject(ev *berth.Event) string {
	if ev.ResourceType == berth.ResourceRun {
		return "run/" + ev.RunID
	}
	return "entity/" + ev.Blueprint + "/" + ev.Entity
}

func actorID(by berth.Actor) string {
	if by.UserID != "" {
		return by.UserID
	}
	if by.ByPort {
		return "berth"
	}
	return by.OrgID
}
