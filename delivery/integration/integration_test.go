package integration_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/integration"
)

func request(payload string) delivery.Request {
	return delivery.Request{Run: &berth.Run{ID: "r_1"}, Payload: json.RawMessage(payload), Attempt: 1}
}

func TestLeavesRunsPendingForTheirInstallation(t *testing.T) {
	t.Parallel()
	res := integration.Backend{}.Deliver(context.Background(), request(`{"type":"INTEGRATION_ACTION","installationId":" gh-ocean ","integrationActionType":"dispatch_workflow"}`))
	if res.Outcome != delivery.Delivered || res.Finish != nil || res.Progress == nil || res.Progress.InstallationID != "gh-ocean" {
		t.Fatalf("%+v", res)
	}
	for _, p := range []string{`{"installationId":""}`, `{"installationId":1}`} {
		if res := (integration.Backend{}).Deliver(context.Background(), request(p)); res.Outcome != delivery.Failed || res.Error == "" {
			t.Errorf("%s: %+v", p, res)
		}
	}
	res = integration.Agent{}.Deliver(context.Background(), request(`{"type":"WEBHOOK","agent":true}`))
	if res.Outcome != delivery.Delivered || res.Progress == nil || res.Progress.InstallationID != integration.AgentInstallationID {
		t.Fatalf("agent: %+v", res)
	}
}
