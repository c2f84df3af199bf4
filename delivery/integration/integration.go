// Package integration delivers runs that outside workers pull (spec 6.3,
// 7.10): it does not call out, it leaves the run IN_PROGRESS with
// pendingExecution = true for a worker to take through
// POST /v1/actions/runs/claim-pending and acknowledge through
// PATCH /v1/actions/runs/ack. Backend does that for INTEGRATION_ACTION runs
// (the worker is the Ocean integration named by installationId); Agent does
// it for agent: true WEBHOOK runs when Port's execution agent polls instead
// of consuming Kafka (appendix B).
package integration

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/berthdev/berth/delivery"
)

// AgentInstallationID is the installation id Port's execution agent claims
// runs with in polling mode.
const AgentInstallationID = "_PORT_EXEC_AGENT"

// Backend leaves INTEGRATION_ACTION runs for their integration to claim.
type Backend struct{}

var _ delivery.Backend = Backend{}

// Deliver marks the run pending for its installation. A run without an
// installationId fails: no worker could ever claim it.
func (Backend) Deliver(_ context.Context, req delivery.Request) delivery.Result {
	var inv struct {
		InstallationID        string `json:"installationId"`
		IntegrationActionType string `json:"integrationActionType"`
	}
	if err := json.Unmarshal(req.Payload, &inv); err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: "the rendered invocation is not an INTEGRATION_ACTION invocation: " + err.Error()}
	}
	id := strings.TrimSpace(inv.InstallationID)
	if id == "" {
		return delivery.Result{Outcome: delivery.Failed, Error: "the rendered installationId is empty: no integration can claim the run"}
	}
	return pending(id, "Waiting for integration "+id+" to claim the run")
}

// Agent leaves agent: true WEBHOOK runs for Port's execution agent in
// polling mode (STREAMER_NAME=POLLING), which claims them with
// installationId AgentInstallationID and invocationMethod WEBHOOK, then
// performs the HTTP call itself and reports back.
type Agent struct{}

var _ delivery.Backend = Agent{}

// Deliver marks the run pending for the execution agent.
func (Agent) Deliver(_ context.Context, _ delivery.Request) delivery.Result {
	return pending(AgentInstallationID, "Waiting for the execution agent to claim the run")
}

func pending(installation, log string) delivery.Result {
	return delivery.Result{Outcome: delivery.Delivered, Target: "installation " + installation,
		Progress: &delivery.Progress{InstallationID: installation}, Logs: []string{log}}
}
