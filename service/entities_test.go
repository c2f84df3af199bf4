package service_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/internal/pgtest"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// Two instances (two catalogs, each with its own blueprint cache) share one
// store. After one instance makes a property required, a create on the
// other, whose cache still holds the old blueprint, is validated against
// the new one: the quick one-statement create must not let it through.
func TestCreateValidatesAgainstABlueprintChangedElsewhere(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "berth.db")
		db := openStore(t, path)
		staleCache(t, db, db)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := pgtest.NewDatabase(t)
		staleCache(t, openStore(t, url), openStore(t, url))
	})
}

func openStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func staleCache(t *testing.T, dbA, dbB *store.DB) {
	ctx := context.Background()
	a, b := service.NewCatalog(dbA), service.NewCatalog(dbB)
	ch := service.Change{Actor: berth.Actor{OrgID: "org", UserID: "tester"}, Origin: berth.OriginAPI}
	if _, err := a.CreateBlueprint(ctx, ch, []byte(`{"identifier":"svc","title":"Svc","schema":{"properties":{
		"owner":{"type":"string"}}}}`)); err != nil {
		t.Fatal(err)
	}
	// Instance A writes once, so it holds the blueprint in its cache.
	if _, created, err := a.CreateEntity(ctx, ch, "svc", []byte(`{"identifier":"first"}`), service.WriteOptions{}); err != nil || !created {
		t.Fatalf("first create: %v %v", created, err)
	}
	time.Sleep(5 * time.Millisecond) // a new updatedAt
	if _, err := b.PatchBlueprint(ctx, ch, "svc", []byte(`{"schema":{"properties":{"owner":{"type":"string"}},"required":["owner"]}}`)); err != nil {
		t.Fatal(err)
	}

	_, _, err := a.CreateEntity(ctx, ch, "svc", []byte(`{"identifier":"second"}`), service.WriteOptions{})
	if berth.ErrorCode(err) != berth.CodeUnprocessable {
		t.Fatalf("create without the newly required property: %v, want unprocessable", err)
	}
	if _, err := a.Entity(ctx, "svc", "second", service.ReadOptions{}); !berth.IsNotFound(err) {
		t.Fatalf("the invalid entity was stored (%v)", err)
	}
	e, created, err := a.CreateEntity(ctx, ch, "svc", []byte(`{"identifier":"third","properties":{"owner":"ops"}}`), service.WriteOptions{})
	if err != nil || !created || e.Properties["owner"] != "ops" {
		t.Fatalf("a valid create after the change: %+v %v %v", e, created, err)
	}
	// The change log has exactly one CREATE per stored entity.
	evs, err := dbA.Read().Events(ctx, store.EventFilter{Blueprint: "svc", Resources: []string{berth.ResourceEntity}})
	if err != nil || len(evs) != 2 {
		t.Fatalf("entity events: %d (%v), want 2", len(evs), err)
	}
}
