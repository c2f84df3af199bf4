package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// Job kinds of the engine's queue.
const (
	JobMatch   = "match"   // match an event against automations; ref = event id
	JobDeliver = "deliver" // deliver a run's invocation; ref = run id
	JobTimer   = "timer"   // fire a timer property; ref = TimerRef, payload = expiry
)

// record appends ev to the change log and, for entity and run events,
// enqueues the job that matches it against automations, in the caller's
// transaction. Events of one entity (or run) are matched in order.
func record(ctx context.Context, q *store.Queries, ev *berth.Event) error {
	if err := q.AppendEvent(ctx, ev); err != nil {
		return err
	}
	if j, ok := matchJob(ev); ok {
		return q.EnqueueJob(ctx, j, time.Now())
	}
	return nil
}

// matchJob returns the job that matches ev against the automations: the
// events of one entity or one run are matched in order.
func matchJob(ev *berth.Event) (store.Job, bool) {
	var key string
	switch ev.ResourceType {
	case berth.ResourceEntity:
		key = "match/entity/" + ev.Blueprint + "/" + ev.Entity
	case berth.ResourceRun:
		key = "match/run/" + ev.RunID
	default:
		return store.Job{}, false
	}
	return store.Job{Kind: JobMatch, Ref: ev.ID, OrderingKey: key}, true
}

// TimerRef names one timer property of one entity as a job ref.
func TimerRef(blueprint, entity, property string) string {
	b, _ := json.Marshal([]string{blueprint, entity, property})
	return string(b)
}

// ParseTimerRef splits a TimerRef.
func ParseTimerRef(ref string) (blueprint, entity, property string, ok bool) {
	var parts []string
	if json.Unmarshal([]byte(ref), &parts) != nil || len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// armTimers keeps the timer jobs of an entity in step with its timer
// properties: a changed value re-arms, a removed one (or a deleted entity,
// after == nil) disarms. An unchanged value keeps its timer, fired or not.
func armTimers(ctx context.Context, q *store.Queries, bp *berth.Blueprint, before, after *berth.Entity) error {
	props := catalog.TimerProperties(bp)
	if len(props) == 0 {
		return nil
	}
	var was, now map[string]time.Time
	e := after
	if before != nil {
		was = catalog.TimerExpiries(bp, before)
		e = before
	}
	if after != nil {
		now = catalog.TimerExpiries(bp, after)
		e = after
	}
	for _, p := range props {
		old, hadOld := was[p]
		next, hasNext := now[p]
		if hadOld == hasNext && old.Equal(next) {
			continue
		}
		ref := TimerRef(bp.Identifier, e.Identifier, p)
		key := "timer/" + ref
		if _, err := q.DeleteJobs(ctx, JobTimer, key); err != nil {
			return err
		}
		if hasNext {
			job := store.Job{Kind: JobTimer, Ref: ref, OrderingKey: key, Payload: next.UTC().Format(time.RFC3339Nano)}
			if err := q.EnqueueJob(ctx, job, next); err != nil {
				return err
			}
		}
	}
	return nil
}

// RecordEvent records an event the engine makes (a timer expiry) in the
// caller's transaction, with the job that matches it.
func RecordEvent(ctx context.Context, q *store.Queries, ev *berth.Event) error {
	return record(ctx, q, ev)
}
