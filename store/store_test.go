package store_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/internal/pgtest"
	"github.com/berthdev/berth/store"
)

// engines opens a fresh store on each engine: SQLite always, PostgreSQL
// when BERTH_TEST_POSTGRES_URL is set (and always in CI).
func engines(t *testing.T, suite func(t *testing.T, open func() *store.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "berth.db")
		suite(t, func() *store.DB { return open(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := pgtest.NewDatabase(t)
		suite(t, func() *store.DB { return open(t, url) })
	})
}

func open(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestBlueprintsAndEntities(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		bp := &berth.Blueprint{Identifier: "service", Title: "Service",
			Schema: berth.BlueprintSchema{Properties: map[string]berth.Property{"lang": {"type": "string"}}}}
		mustWrite(t, db, func(q *store.Queries) error { return q.InsertBlueprint(ctx, bp) })
		err := db.Write(ctx, func(q *store.Queries) error { return q.InsertBlueprint(ctx, bp) })
		if berth.ErrorCode(err) != berth.CodeConflict {
			t.Fatalf("second insert: got %v, want conflict", err)
		}
		title := "Svc A"
		e := &berth.Entity{Identifier: "svc-a", Title: &title, Blueprint: "service", Team: []string{},
			Properties: map[string]any{"lang": "Go"}, Relations: map[string]any{}}
		mustWrite(t, db, func(q *store.Queries) error { _, err := q.InsertEntity(ctx, e); return err })

		got, err := db.Read().Entity(ctx, "service", "svc-a")
		if err != nil || got.Properties["lang"] != "Go" || *got.Title != "Svc A" {
			t.Fatalf("entity read back: %+v, %v", got, err)
		}
		if _, err := db.Read().Entity(ctx, "service", "nope"); !berth.IsNotFound(err) {
			t.Fatalf("missing entity: got %v, want not_found", err)
		}
		if n, _ := db.Read().CountEntities(ctx, "service"); n != 1 {
			t.Fatalf("count = %d, want 1", n)
		}
		missing, err := db.Read().MissingEntities(ctx, "service", []string{"svc-a", "svc-b"})
		if err != nil || len(missing) != 1 || missing[0] != "svc-b" {
			t.Fatalf("missing = %v, %v; want [svc-b]", missing, err)
		}
		mustWrite(t, db, func(q *store.Queries) error { return q.DeleteEntity(ctx, "service", "svc-a") })
		err = db.Write(ctx, func(q *store.Queries) error { return q.DeleteEntity(ctx, "service", "svc-a") })
		if !berth.IsNotFound(err) {
			t.Fatalf("second delete: got %v, want not_found", err)
		}
	})
}

func TestRollbackLeavesNothing(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		bp := &berth.Blueprint{Identifier: "svc", Title: "Svc"}
		err := db.Write(ctx, func(q *store.Queries) error {
			if err := q.InsertBlueprint(ctx, bp); err != nil {
				return err
			}
			if err := q.AppendEvent(ctx, &berth.Event{ID: "event_1", Action: "CREATE", ResourceType: "blueprint", Status: "SUCCESS"}); err != nil {
				return err
			}
			return berth.Errorf(berth.CodeUnprocessable, "changed my mind")
		})
		if berth.ErrorCode(err) != berth.CodeUnprocessable {
			t.Fatalf("write: %v", err)
		}
		if _, err := db.Read().Blueprint(ctx, "svc"); !berth.IsNotFound(err) {
			t.Fatalf("blueprint survived rollback: %v", err)
		}
		evs, err := db.Read().Events(ctx, store.EventFilter{})
		if err != nil || len(evs) != 0 {
			t.Fatalf("events after rollback = %d, %v", len(evs), err)
		}
	})
}

func TestEventsFilterAndOrder(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		for i, entity := range []string{"a", "b", "a"} {
			ev := &berth.Event{ID: berth.NewID("event_", 16), Action: "UPDATE", ResourceType: "entity", Status: "SUCCESS",
				Blueprint: "svc", Entity: entity, LinkedRunID: map[bool]string{true: "r_1"}[i == 2],
				Trigger: berth.Trigger{Origin: "API", At: "2026-01-01T00:00:0" + string(rune('0'+i)) + ".000Z"},
				After:   json.RawMessage(`{"identifier":"` + entity + `"}`)}
			mustWrite(t, db, func(q *store.Queries) error { return q.AppendEvent(ctx, ev) })
			if ev.Seq == 0 {
				t.Fatal("AppendEvent did not assign a sequence number")
			}
		}
		all, _ := db.Read().Events(ctx, store.EventFilter{})
		if len(all) != 3 || all[0].Seq < all[1].Seq {
			t.Fatalf("want 3 events newest first, got %d", len(all))
		}
		if string(all[0].After) != `{"identifier":"a"}` || all[0].Before != nil {
			t.Fatalf("diff not stored: before=%s after=%s", all[0].Before, all[0].After)
		}
		byEntity, _ := db.Read().Events(ctx, store.EventFilter{Entity: "a", OldestFirst: true})
		if len(byEntity) != 2 || byEntity[0].Seq > byEntity[1].Seq {
			t.Fatalf("entity filter: got %d events", len(byEntity))
		}
		byRun, _ := db.Read().Events(ctx, store.EventFilter{RunID: "r_1"})
		if len(byRun) != 1 {
			t.Fatalf("run filter: got %d events, want 1", len(byRun))
		}
		since, _ := db.Read().Events(ctx, store.EventFilter{From: "2026-01-01T00:00:01.000Z", To: "2026-01-01T00:00:01.000Z"})
		if len(since) != 1 || since[0].Entity != "b" {
			t.Fatalf("time filter: got %d events", len(since))
		}
	})
}

func TestDataSurvivesReopen(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		if _, err := settingOnce(db, "org_id", "org_first"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db = openDB() // migrations run again and must be a no-op
		got, err := settingOnce(db, "org_id", "org_second")
		if err != nil || got != "org_first" {
			t.Fatalf("after reopen: %q, %v; want org_first", got, err)
		}
		_ = ctx
	})
}

func TestConcurrentSettingOnceAgrees(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		db := openDB()
		var wg sync.WaitGroup
		got := make([]string, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := settingOnce(db, "key", berth.NewID("v_", 8))
				if err != nil {
					t.Error(err)
				}
				got[i] = v
			}()
		}
		wg.Wait()
		for _, v := range got {
			if v != got[0] {
				t.Fatalf("instances disagree on a generated setting: %v", got)
			}
		}
	})
}

func settingOnce(db *store.DB, key, value string) (string, error) {
	var out string
	err := db.Write(context.Background(), func(q *store.Queries) error {
		var err error
		out, err = q.SetSettingOnce(context.Background(), key, value)
		return err
	})
	return out, err
}

func mustWrite(t *testing.T, db *store.DB, fn func(q *store.Queries) error) {
	t.Helper()
	if err := db.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}
