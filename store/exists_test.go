package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// Existing answers, for every kind at once, which of the named objects
// exist: entities by their blueprint and identifier together (an
// identifier that exists only in another blueprint does not count).
func TestExisting(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		mustWrite(t, db, func(q *store.Queries) error {
			for _, bp := range []string{"service", "team"} {
				if err := q.InsertBlueprint(ctx, &berth.Blueprint{Identifier: bp}); err != nil {
					return err
				}
			}
			for _, k := range []store.EntityKey{{"service", "svc-a"}, {"service", "svc-b"}, {"team", "svc-a"}, {"team", `o'd "x"`}} {
				e := &berth.Entity{Identifier: k.Identifier, Blueprint: k.Blueprint, Team: []string{},
					Properties: map[string]any{}, Relations: map[string]any{}}
				if _, err := q.InsertEntity(ctx, e); err != nil {
					return err
				}
			}
			return q.InsertAction(ctx, &berth.Action{ID: "action_1", Identifier: "deploy",
				TriggerType: berth.TriggerSelfService, Doc: json.RawMessage(`{}`)})
		})

		got, err := db.Read().Existing(ctx, store.Refs{
			Actions:    []string{"deploy", "gone", "deploy"},
			Blueprints: []string{"service", "gone"},
			Entities:   []store.EntityKey{{"service", "svc-a"}, {"service", "svc-c"}, {"team", "svc-b"}, {"gone", "svc-a"}, {"team", `o'd "x"`}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := store.Existence{Actions: map[string]bool{"deploy": true}, Blueprints: map[string]bool{"service": true},
			Entities: map[store.EntityKey]bool{{"service", "svc-a"}: true, {"team", `o'd "x"`}: true}}
		if !maps.Equal(got.Actions, want.Actions) || !maps.Equal(got.Blueprints, want.Blueprints) || !maps.Equal(got.Entities, want.Entities) {
			t.Errorf("Existing = %+v, want %+v", got, want)
		}

		// Only some kinds, none, and more than a statement could take as
		// separate parameters.
		got, err = db.Read().Existing(ctx, store.Refs{Blueprints: []string{"team"}})
		if err != nil || len(got.Actions)+len(got.Entities) != 0 || !got.Blueprints["team"] {
			t.Errorf("blueprints only: %+v, %v", got, err)
		}
		if got, err = db.Read().Existing(ctx, store.Refs{}); err != nil || got.Actions == nil || len(got.Entities) != 0 {
			t.Errorf("nothing asked: %+v, %v", got, err)
		}
		many := make([]store.EntityKey, 40000)
		for i := range many {
			many[i] = store.EntityKey{Blueprint: "service", Identifier: fmt.Sprintf("svc-%d", i)}
		}
		many[len(many)-1].Identifier = "svc-b"
		if got, err = db.Read().Existing(ctx, store.Refs{Entities: many}); err != nil || len(got.Entities) != 1 || !got.Entities[store.EntityKey{"service", "svc-b"}] {
			t.Errorf("40000 entities: %+v, %v", got.Entities, err)
		}
	})
}
