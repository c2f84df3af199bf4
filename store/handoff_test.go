package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/store"
)

// handedJobs collects what a store hands off.
type handedJobs struct {
	mu   sync.Mutex
	jobs []store.Job
}

func (h *handedJobs) take(jobs []store.Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.jobs = append(h.jobs, jobs...)
}

func (h *handedJobs) refs() string { return refs(h.all()) }

func (h *handedJobs) all() []store.Job {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.jobs)
}

func TestHandOff(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db, other := openDB(), (*store.DB)(nil)
		if other = db; db.Engine() == store.EnginePostgres {
			other = openDB() // another instance
		}
		var handed handedJobs
		db.HandOff("w1", time.Minute, []string{"deliver"}, handed.take)
		now := time.Now()

		// Handed off: due at once, of a kind handed off, first of its key.
		mustWrite(t, db, func(q *store.Queries) error {
			return q.EnqueueJobs(ctx, []store.Job{
				{Kind: "deliver", Ref: "a1", OrderingKey: "k/a"},
				{Kind: "deliver", Ref: "a2", OrderingKey: "k/a"}, // after a1
				{Kind: "deliver", Ref: "b1", OrderingKey: "k/b"},
				{Kind: "deliver", Ref: "n1"},                   // no key
				{Kind: "match", Ref: "m1", OrderingKey: "k/m"}, // not handed off
			}, now)
		})
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "b2", OrderingKey: "k/b"}, now) // b1 is still there
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "later", OrderingKey: "k/l"}, now.Add(time.Hour))
		if got := handed.refs(); got != "a1,b1,n1" {
			t.Fatalf("handed off %q, want a1,b1,n1", got)
		}
		jobs := handed.all()
		for _, j := range jobs {
			if j.ID == 0 || j.Attempts != 1 {
				t.Fatalf("handed job %+v: want its id and attempt 1", j)
			}
		}
		// A rolled back transaction hands nothing off.
		err := db.Write(ctx, func(q *store.Queries) error {
			if err := q.EnqueueJob(ctx, store.Job{Kind: "deliver", Ref: "gone"}, now); err != nil {
				return err
			}
			return errors.New("roll back")
		})
		if err == nil || handed.refs() != "a1,b1,n1" {
			t.Fatalf("after a rollback: %v, handed %q", err, handed.refs())
		}

		// Handed jobs are leased: another worker gets only the rest, and
		// the jobs after them once they are done.
		claimed, err := other.ClaimJobs(ctx, "w2", []string{"deliver", "match"}, 10, time.Minute)
		if err != nil || refs(claimed) != "m1" {
			t.Fatalf("other worker claimed %q (%v), want m1", refs(claimed), err)
		}
		mustWrite(t, db, func(q *store.Queries) error {
			return q.CompleteJobs(ctx, []int64{jobs[0].ID, jobs[1].ID}, "w1")
		})
		claimed, err = other.ClaimJobs(ctx, "w2", []string{"deliver"}, 10, time.Minute)
		if err != nil || refs(claimed) != "a2,b2" {
			t.Fatalf("after a1 and b1: claimed %q (%v), want a2,b2", refs(claimed), err)
		}

		// Released, an unstarted hand-off is anyone's.
		if err := db.ReleaseJobs(ctx, "w1", []int64{jobs[2].ID}); err != nil {
			t.Fatal(err)
		}
		claimed, err = other.ClaimJobs(ctx, "w2", []string{"deliver"}, 10, time.Minute)
		if err != nil || refs(claimed) != "n1" || claimed[0].Attempts != 1 {
			t.Fatalf("after release: claimed %+v (%v), want n1 at attempt 1", claimed, err)
		}

		// Stopped, the hand-off leaves jobs in the queue.
		db.HandOff("", 0, nil, nil)
		enqueue(t, db, store.Job{Kind: "deliver", Ref: "z1"}, now)
		claimed, err = other.ClaimJobs(ctx, "w2", []string{"deliver"}, 10, time.Minute)
		if err != nil || refs(claimed) != "z1" {
			t.Fatalf("after HandOff stopped: claimed %q (%v), want z1", refs(claimed), err)
		}
	})
}

// Entity creates hand their match jobs off too (on PostgreSQL, the
// one-statement create).
func TestHandOffEntityCreates(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		bp := serviceBlueprint(t, db)
		var handed handedJobs
		db.HandOff("w1", time.Minute, []string{"match"}, handed.take)
		a, b := newEntity(t, "a", bp.UpdatedAt), newEntity(t, "b", bp.UpdatedAt)
		for _, ne := range []store.NewEntity{a, b} {
			if ok, err := db.CreateEntityOnce(ctx, ne); !ok || err != nil {
				t.Fatalf("create %s: %v, %v", ne.Entity.Identifier, ok, err)
			}
		}
		got := handed.all()
		slices.SortFunc(got, func(x, y store.Job) int { return int(x.ID - y.ID) })
		if len(got) != 2 || got[0].Ref != a.Event.ID || got[1].Ref != b.Event.ID || got[0].OrderingKey != a.Job.OrderingKey {
			t.Fatalf("handed off %+v, want the match jobs of a and b", got)
		}
		if claimed, err := db.ClaimJobs(ctx, "w2", []string{"match"}, 10, time.Minute); err != nil || len(claimed) != 0 {
			t.Fatalf("claimed %+v (%v): handed-off jobs are leased", claimed, err)
		}
	})
}
