package upsert_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/upsert"
	"github.com/berthdev/berth/service"
)

// catalog records the write it is asked for and answers with err.
type catalog struct {
	ch        service.Change
	blueprint string
	raw       string
	opt       service.WriteOptions
	err       error
}

func (c *catalog) CreateEntity(_ context.Context, ch service.Change, blueprint string, raw []byte, opt service.WriteOptions) (*berth.Entity, bool, error) {
	c.ch, c.blueprint, c.raw, c.opt = ch, blueprint, string(raw), opt
	if c.err != nil {
		return nil, false, c.err
	}
	var e berth.Entity
	json.Unmarshal(raw, &e)
	e.Blueprint = blueprint
	return &e, true, nil
}

func deliver(b *upsert.Backend, run *berth.Run, payload string) delivery.Result {
	return b.Deliver(context.Background(), delivery.Request{Run: run, Payload: json.RawMessage(payload), Attempt: 1, OrgID: "org_1"})
}

func TestUpsertsOnBehalfOfTheRun(t *testing.T) {
	t.Parallel()
	c := &catalog{}
	run := &berth.Run{ID: "r_1", Source: berth.OriginAutomation, Depth: 2, Automation: "sync_audit"}
	mapping := `{"identifier":"svc-a","title":"Svc A","properties":{"owner":"me"}}`
	res := deliver(upsert.New(c, nil), run, `{"type":"UPSERT_ENTITY","blueprintIdentifier":"service","mapping":`+mapping+`}`)
	if res.Outcome != delivery.Delivered || res.Finish == nil || res.Finish.Status != berth.RunSuccess {
		t.Fatalf("result: %+v", res)
	}
	if p := res.Progress; p == nil || p.Entity == nil || p.Entity.Identifier != "svc-a" || p.Entity.Blueprint != "service" || *p.Entity.Title != "Svc A" {
		t.Fatalf("progress: %+v", res.Progress)
	}
	if !strings.Contains(res.Logs[0], "Created entity svc-a of blueprint service") {
		t.Errorf("logs: %v", res.Logs)
	}
	want := service.Change{Actor: berth.Actor{OrgID: "org_1", ByPort: true}, Origin: berth.OriginAutomation, RunID: "r_1", Depth: 2, CausedBy: "sync_audit"}
	if c.ch.RunID != want.RunID || c.ch.Depth != want.Depth || c.ch.CausedBy != want.CausedBy || c.ch.Origin != want.Origin || c.ch.Actor != want.Actor {
		t.Errorf("change %+v, want %+v", c.ch, want)
	}
	if c.blueprint != "service" || c.raw != mapping || !c.opt.Upsert || !c.opt.Merge {
		t.Errorf("write: %s %s %+v", c.blueprint, c.raw, c.opt)
	}
}

func TestSelfServiceRunWritesAsItsUser(t *testing.T) {
	t.Parallel()
	c := &catalog{}
	deliver(upsert.New(c, nil), &berth.Run{ID: "r_1", Source: berth.OriginUI, CreatedBy: "u_1"},
		`{"type":"UPSERT_ENTITY","blueprintIdentifier":"service","mapping":{"identifier":"x"}}`)
	if c.ch.Actor.UserID != "u_1" || c.ch.Actor.ByPort {
		t.Fatalf("actor %+v", c.ch.Actor)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	invalid := berth.Invalid("the entity does not match its blueprint", berth.FieldError{Field: "/properties/tier", Message: "must be a number"})
	catalogInvalid := berth.Invalid(`invalid entity: /properties/language: must be one of "Go", "Python" (and 1 more problem)`,
		berth.FieldError{Field: "/properties/language", Message: `must be one of "Go", "Python"`},
		berth.FieldError{Field: "/properties/tier", Message: "must be a number"})
	for _, tc := range []struct {
		name, payload string
		err           error
		want          delivery.Outcome
		summary       string
	}{
		{"no blueprint", `{"mapping":{"identifier":"x"}}`, nil, delivery.Failed, "blueprintIdentifier is empty"},
		{"no identifier", `{"blueprintIdentifier":"service","mapping":{"title":"x"}}`, nil, delivery.Failed, "no identifier"},
		{"not an object", `{"blueprintIdentifier":"service","mapping":[1]}`, nil, delivery.Failed, "not a JSON object"},
		{"invalid", `{"blueprintIdentifier":"service","mapping":{"identifier":"x"}}`, invalid, delivery.Failed, "does not match its blueprint; properties/tier: must be a number"},
		// The catalog's message already names its first field error.
		{"message names the first field", `{"blueprintIdentifier":"service","mapping":{"identifier":"x"}}`, catalogInvalid, delivery.Failed, `language: must be one of "Go", "Python"`},
		{"second field listed once", `{"blueprintIdentifier":"service","mapping":{"identifier":"x"}}`, catalogInvalid, delivery.Failed, "properties/tier: must be a number"},
		{"store down", `{"blueprintIdentifier":"service","mapping":{"identifier":"x"}}`, errors.New("database is locked at 10.0.0.3"), delivery.Retry, ""},
	} {
		res := deliver(upsert.New(&catalog{err: tc.err}, nil), &berth.Run{ID: "r_1"}, tc.payload)
		if res.Outcome != tc.want {
			t.Errorf("%s: %+v", tc.name, res)
			continue
		}
		if tc.summary != "" && (res.Finish == nil || res.Finish.Status != berth.RunFailure || !strings.Contains(res.Finish.Summary, tc.summary)) {
			t.Errorf("%s: finish %+v, want a FAILURE saying %q", tc.name, res.Finish, tc.summary)
		}
		if tc.summary != "" && strings.Count(res.Finish.Summary, tc.summary) != 1 {
			t.Errorf("%s: summary %q says %q more than once", tc.name, res.Finish.Summary, tc.summary)
		}
		if strings.Contains(res.Error, "10.0.0.3") {
			t.Errorf("%s: internal details shown: %q", tc.name, res.Error)
		}
	}
}
