package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// TestCommitObserverSeesOnlyCommittedEvents checks that OnCommit's observer
// is told the events of committed writes, once, and never those of writes
// that rolled back, also when writes share a commit (SQLite's batches).
func TestCommitObserverSeesOnlyCommittedEvents(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		var mu sync.Mutex
		var seen []string
		db.OnCommit(func(events []*berth.Event) {
			mu.Lock()
			defer mu.Unlock()
			for _, ev := range events {
				seen = append(seen, ev.ID)
			}
		})
		event := func(id string) *berth.Event {
			return &berth.Event{ID: id, Action: "CREATE", ResourceType: "entity", Status: "SUCCESS"}
		}
		var wg sync.WaitGroup
		for _, id := range []string{"event_a", "event_b", "event_c"} {
			wg.Go(func() {
				err := db.Write(ctx, func(q *store.Queries) error {
					if err := q.AppendEvent(ctx, event(id)); err != nil {
						return err
					}
					if id == "event_b" {
						return errors.New("roll back")
					}
					return q.AppendEvent(ctx, event(id+"2"))
				})
				if (err != nil) != (id == "event_b") {
					t.Errorf("write %s: %v", id, err)
				}
			})
		}
		wg.Wait()
		mustWrite(t, db, func(q *store.Queries) error { return nil }) // no events: not observed
		slices.Sort(seen)
		if want := []string{"event_a", "event_a2", "event_c", "event_c2"}; !slices.Equal(seen, want) {
			t.Fatalf("observed %v, want %v", seen, want)
		}
		db.OnCommit(nil)
		mustWrite(t, db, func(q *store.Queries) error { return q.AppendEvent(ctx, event("event_d")) })
		if len(seen) != 4 {
			t.Fatalf("observed after OnCommit(nil): %v", seen)
		}
	})
}
