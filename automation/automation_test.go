package automation

import (
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
)

func TestLoopGuardAndPredates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ev   berth.Event
		want string
	}{
		{"a person's change", berth.Event{Depth: 0}, ""},
		{"another automation's run", berth.Event{Depth: 3, CausedBy: "other"}, ""},
		{"its own run", berth.Event{Depth: 1, CausedBy: "mine"}, SkipOwnRun},
		{"at the depth limit", berth.Event{Depth: 10, CausedBy: "other"}, SkipTooDeep},
	} {
		if got := LoopGuard(&tc.ev, "mine", 10); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	a := &berth.Action{Meta: berth.Meta{CreatedAt: "2026-12-01T10:00:00.500Z"}}
	for at, want := range map[string]bool{
		"2026-12-01T10:00:00.499Z": true, "2026-12-01T10:00:00.500Z": false, "2026-12-01T10:00:01.000Z": false,
	} {
		if got := Predates(&berth.Event{Trigger: berth.Trigger{At: at}}, a); got != want {
			t.Errorf("event at %s: Predates = %v, want %v", at, got, want)
		}
	}
	timer := &berth.Event{Action: berth.ActionTimerExpired, Trigger: berth.Trigger{At: "2026-01-01T00:00:00.000Z"}}
	if Predates(timer, a) {
		t.Error("a timer that expired before the automation existed but fires now must fire")
	}
}

func TestIndexCandidates(t *testing.T) {
	t.Parallel()
	auto := func(id, event, target, property string, published bool) *action.Compiled {
		a := &berth.Action{Identifier: id, TriggerType: berth.TriggerAutomation, EventType: event, Published: published, Property: property}
		if event == berth.EventRunCreated || event == berth.EventRunUpdated || event == berth.EventAnyRunChange {
			a.ActionRef = target
		} else {
			a.Blueprint = target
		}
		return &action.Compiled{Action: a}
	}
	ix := NewIndex([]*action.Compiled{
		auto("created", berth.EventEntityCreated, "svc", "", true),
		auto("any", berth.EventAnyEntityChange, "svc", "", true),
		auto("off", berth.EventEntityCreated, "svc", "", false),
		auto("other", berth.EventEntityCreated, "db", "", true),
		auto("ttl", berth.EventTimerPropertyExpired, "svc", "ttl", true),
		auto("runs", berth.EventRunUpdated, "deploy", "", true),
	})
	ids := func(ev berth.Event) string {
		s := ""
		for _, a := range ix.Candidates(&ev) {
			s += a.Identifier + " "
		}
		return s
	}
	for name, tc := range map[string]struct {
		ev   berth.Event
		want string
	}{
		"entity created": {berth.Event{ResourceType: berth.ResourceEntity, Action: berth.ActionCreate, Blueprint: "svc"}, "created any "},
		"entity deleted": {berth.Event{ResourceType: berth.ResourceEntity, Action: berth.ActionDelete, Blueprint: "svc"}, "any "},
		"timer ttl":      {berth.Event{ResourceType: berth.ResourceEntity, Action: berth.ActionTimerExpired, Blueprint: "svc", Property: "ttl"}, "ttl "},
		"timer other":    {berth.Event{ResourceType: berth.ResourceEntity, Action: berth.ActionTimerExpired, Blueprint: "svc", Property: "due"}, ""},
		"run updated":    {berth.Event{ResourceType: berth.ResourceRun, Action: berth.ActionUpdate, ActionIdentifier: "deploy"}, "runs "},
		"run created":    {berth.Event{ResourceType: berth.ResourceRun, Action: berth.ActionCreate, ActionIdentifier: "deploy"}, ""},
	} {
		if got := ids(tc.ev); got != tc.want {
			t.Errorf("%s: candidates %q, want %q", name, got, tc.want)
		}
	}
	if !ix.ListensToRuns("deploy") || ix.ListensToRuns("svc") {
		t.Error("ListensToRuns is wrong")
	}
}
