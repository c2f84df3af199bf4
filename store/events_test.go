package store_test

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// EventFilter.ActionType keeps the records about actions of one kind: the
// runs of such actions (told apart by the automation that made the run) and
// the definitions themselves (by their trigger.type, also once deleted);
// entity and blueprint records are about no action, even when an
// automation's run made the change.
func TestEventsByActionType(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		autoDoc := `{"identifier":"auto","trigger":{"type":"automation","event":{"type":"ENTITY_CREATED"}}}`
		deployDoc := `{"identifier":"deploy","trigger":{"type":"self-service","operation":"DAY-2"}}`
		records := []*berth.Event{
			{ID: "bp", ResourceType: berth.ResourceBlueprint, Blueprint: "svc", After: json.RawMessage(`{"identifier":"svc"}`)},
			{ID: "auto-created", ResourceType: berth.ResourceAction, ActionIdentifier: "auto", After: json.RawMessage(autoDoc)},
			{ID: "deploy-created", ResourceType: berth.ResourceAction, ActionIdentifier: "deploy", After: json.RawMessage(deployDoc)},
			{ID: "entity", ResourceType: berth.ResourceEntity, Blueprint: "svc", Entity: "a"},
			// The automation's run, created and updated.
			{ID: "auto-run", ResourceType: berth.ResourceRun, RunID: "r_auto", ActionIdentifier: "auto", CausedBy: "auto", Depth: 1},
			{ID: "auto-run-updated", Action: berth.ActionUpdate, ResourceType: berth.ResourceRun, RunID: "r_auto",
				ActionIdentifier: "auto", CausedBy: "auto", Depth: 1},
			// A change the automation's run made: about an entity.
			{ID: "entity-by-run", ResourceType: berth.ResourceEntity, Blueprint: "svc", Entity: "a",
				LinkedRunID: "r_auto", CausedBy: "auto", Depth: 1},
			// A self-service run started by a person, and one executed on
			// behalf of the automation's run.
			{ID: "deploy-run", ResourceType: berth.ResourceRun, RunID: "r_ss", ActionIdentifier: "deploy"},
			{ID: "deploy-run-by-auto", ResourceType: berth.ResourceRun, RunID: "r_ss2", ActionIdentifier: "deploy",
				CausedBy: "auto", Depth: 1},
			// A deleted automation: its record has only the "before".
			{ID: "auto-deleted", Action: berth.ActionDelete, ResourceType: berth.ResourceAction, ActionIdentifier: "auto",
				Before: json.RawMessage(autoDoc)},
		}
		for _, ev := range records {
			ev.Action = cmp.Or(ev.Action, berth.ActionCreate)
			ev.Status, ev.Trigger = "SUCCESS", berth.Trigger{Origin: berth.OriginAPI, At: "2026-01-01T00:00:00.000Z"}
		}
		mustWrite(t, db, func(q *store.Queries) error { return q.AppendEvents(ctx, records) })

		for _, c := range []struct {
			name string
			f    store.EventFilter
			want []string // newest first
		}{
			{"automation", store.EventFilter{ActionType: berth.TriggerAutomation},
				[]string{"auto-deleted", "auto-run-updated", "auto-run", "auto-created"}},
			{"self-service", store.EventFilter{ActionType: berth.TriggerSelfService},
				[]string{"deploy-run-by-auto", "deploy-run", "deploy-created"}},
			{"automation runs", store.EventFilter{ActionType: berth.TriggerAutomation, Resources: []string{berth.ResourceRun}},
				[]string{"auto-run-updated", "auto-run"}},
			{"with the run index", store.EventFilter{ActionType: berth.TriggerAutomation, RunID: "r_auto"},
				[]string{"auto-run-updated", "auto-run"}},
			{"with the entity index", store.EventFilter{ActionType: berth.TriggerAutomation, Blueprint: "svc", Entity: "a"}, nil},
			{"definitions", store.EventFilter{ActionType: berth.TriggerSelfService, Resources: []string{berth.ResourceAction}},
				[]string{"deploy-created"}},
			{"no filter", store.EventFilter{}, []string{"auto-deleted", "deploy-run-by-auto", "deploy-run", "entity-by-run",
				"auto-run-updated", "auto-run", "entity", "deploy-created", "auto-created", "bp"}},
		} {
			evs, err := db.Read().Events(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []string
			for _, ev := range evs {
				got = append(got, ev.ID)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
		if _, err := db.Read().Events(ctx, store.EventFilter{ActionType: "Automation"}); berth.ErrorCode(err) != berth.CodeUnprocessable {
			t.Errorf("another action type: %v, want unprocessable", err)
		}
	})
}
