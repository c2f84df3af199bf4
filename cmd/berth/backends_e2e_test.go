package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/berthdev/berth/signing"
)

// automationWith is an automation on an event of blueprint service that
// invokes inv.
func automationWith(id, event string, inv map[string]any) map[string]any {
	return map[string]any{"identifier": id, "title": "Auto " + id, "invocationMethod": inv,
		"trigger": map[string]any{"type": "automation", "event": map[string]any{"type": event, "blueprintIdentifier": "service"}}}
}

func runLogs(t *testing.T, s *testServer, runID string) string {
	t.Helper()
	logs := s.do("GET", "/v1/actions/runs/"+runID+"/logs", nil).want(t, 200).Body["runLogs"].([]any)
	var b strings.Builder
	for _, l := range logs {
		b.WriteString(get(l, "message").(string) + "\n")
	}
	return b.String()
}

// TestUpsertEntityChainsUnderLoopProtection: an UPSERT_ENTITY run writes
// the entity in-process and finishes at once; its write fires other
// automations (a chain), but never the automation that made it (a loop).
func TestUpsertEntityChainsUnderLoopProtection(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "audit", "title": "Audit",
		"schema": map[string]any{"properties": map[string]any{"source": map[string]any{"type": "string"}}}}).want(t, 201)
	s.do("POST", "/v1/actions", automationWith("mirror", "ENTITY_CREATED", map[string]any{"type": "UPSERT_ENTITY", "blueprintIdentifier": "audit",
		"mapping": map[string]any{"identifier": "audit-{{ .event.context.entityIdentifier }}", "title": "Audit of {{ .event.context.entityIdentifier }}",
			"properties": map[string]any{"source": "{{ .event.context.entityIdentifier }}"}}})).want(t, 201)
	s.do("POST", "/v1/actions", automation("notify", "ENTITY_CREATED", map[string]any{"blueprintIdentifier": "audit"}, rc.URL)).want(t, 201)
	// bump raises tier on every update of a service: without loop
	// protection its own upsert would update the service again, forever.
	s.do("POST", "/v1/actions", automationWith("bump", "ENTITY_UPDATED", map[string]any{"type": "UPSERT_ENTITY", "blueprintIdentifier": "service",
		"mapping": map[string]any{"identifier": "{{ .event.context.entityIdentifier }}", "properties": map[string]any{"tier": "{{ .event.diff.after.properties.tier + 1 }}"}}})).want(t, 201)
	s.do("POST", "/v1/actions", automationWith("broken", "ENTITY_CREATED", map[string]any{"type": "UPSERT_ENTITY", "blueprintIdentifier": "service",
		"mapping": map[string]any{"identifier": "{{ .event.context.entityIdentifier }}", "properties": map[string]any{"tier": "not a number"}}})).want(t, 201)

	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "svc", "title": "Svc", "properties": map[string]any{"tier": 1}}).want(t, 201)
	mirror := waitStatus(t, s, "mirror", "SUCCESS")
	if mirror["endedAt"] == nil || !strings.Contains(runLogs(t, s, mirror["id"].(string)), "Created entity audit-svc of blueprint audit") {
		t.Fatalf("mirror run: %v", mirror)
	}
	audit := s.do("GET", "/v1/blueprints/audit/entities/audit-svc", nil).want(t, 200).Body["entity"]
	if get(audit, "properties.source") != "svc" || get(audit, "title") != "Audit of svc" {
		t.Fatalf("upserted entity: %v", audit)
	}
	got := rc.waitFor(t, 1) // the chain: audit-svc's creation fired notify
	if get(got[0].JSON, "event.context.entityIdentifier") != "audit-svc" {
		t.Fatalf("chained automation got %v", got[0].JSON)
	}
	broken := waitStatus(t, s, "broken", "FAILURE")
	if summary, _ := broken["summary"].(string); strings.Count(summary, "properties/tier") != 1 { // said once
		t.Fatalf("failed upsert: summary %q", summary)
	}

	s.do("PATCH", "/v1/blueprints/service/entities/svc", map[string]any{"properties": map[string]any{"status": "live"}}).want(t, 200)
	waitStatus(t, s, "bump", "SUCCESS")
	rc.quiet(t, 1)
	runs := s.do("GET", "/v1/actions/runs?action=bump", nil).Body["runs"].([]any)
	svc := s.do("GET", "/v1/blueprints/service/entities/svc", nil).want(t, 200).Body["entity"]
	if len(runs) != 1 || get(svc, "properties.tier") != 2.0 {
		t.Fatalf("bump ran %d times, tier %v: want once, 2", len(runs), get(svc, "properties.tier"))
	}
}

// claim calls claim-pending as Port's workers do.
func claim(t *testing.T, s *testServer, body map[string]any) []any {
	t.Helper()
	r := s.send("POST", "/v1/actions/runs/claim-pending", body, map[string]string{"Authorization": "Bearer " + s.accessToken(), "x-port-reserved-usage": "true"})
	return r.want(t, 200).Body["runs"].([]any)
}

func TestIntegrationRunsAreClaimedAndAcknowledged(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/actions", automationWith("ocean", "ENTITY_CREATED", map[string]any{"type": "INTEGRATION_ACTION",
		"installationId": "gh-ocean", "integrationActionType": "dispatch_workflow",
		"integrationActionExecutionProperties": map[string]any{"org": "acme", "repo": "app", "workflow": "deploy.yml",
			"workflowInputs": map[string]any{"service": "{{ .event.context.entityIdentifier }}"}}})).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e1"}).want(t, 201)
	var run map[string]any
	eventually(t, func() bool {
		runs := s.do("GET", "/v1/actions/runs?action=ocean", nil).Body["runs"].([]any)
		if len(runs) == 1 && get(runs[0], "pendingExecution") == true {
			run = runs[0].(map[string]any)
		}
		return run != nil
	}, "the run to be pending")
	if run["status"] != "IN_PROGRESS" || run["installationId"] != "gh-ocean" || run["claimedUntil"] != nil {
		t.Fatalf("pending run: %v", run)
	}
	if got := claim(t, s, map[string]any{"installationId": "someone-else"}); len(got) != 0 {
		t.Fatalf("another installation claimed %v", got)
	}
	got := claim(t, s, map[string]any{"installationId": "gh-ocean", "limit": 10, "visibilityTimeoutMs": 400})
	if len(got) != 1 || get(got[0], "id") != run["id"] || get(got[0], "payload.integrationActionExecutionProperties.workflowInputs.service") != "e1" ||
		get(got[0], "claimedUntil") == nil || get(got[0], "pendingExecution") != true {
		t.Fatalf("claim: %v", got)
	}
	if again := claim(t, s, map[string]any{"installationId": "gh-ocean"}); len(again) != 0 {
		t.Fatalf("a leased run was handed out again: %v", again)
	}
	eventually(t, func() bool {
		return len(claim(t, s, map[string]any{"installationId": "gh-ocean", "visibilityTimeoutMs": 60000})) == 1
	},
		"the unacknowledged run to be claimable again after its visibility timeout")
	id := run["id"].(string)
	s.do("PATCH", "/v1/actions/runs/ack", map[string]any{"runId": id}).want(t, 200)
	s.do("PATCH", "/v1/actions/runs/ack", map[string]any{"runId": id}).wantError(t, 409, "")
	s.do("PATCH", "/v1/actions/runs/ack", map[string]any{"runId": "r_nope"}).wantError(t, 404, "")
	if run := runOf(t, s, "ocean"); run["pendingExecution"] != false || run["status"] != "IN_PROGRESS" {
		t.Fatalf("acknowledged run: %v", run)
	}

	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e2"}).want(t, 201)
	var second []any
	eventually(t, func() bool {
		second = claim(t, s, map[string]any{"installationId": "gh-ocean", "exclude": []string{}})
		return len(second) == 1
	}, "the second run to be claimable")
	r := s.do("PATCH", "/v1/actions/runs/ack", map[string]any{"runIds": []string{get(second[0], "id").(string), id}}).want(t, 200)
	if r.Body["ackedCount"] != 1.0 {
		t.Fatalf("ack of runIds: %s", r.Raw)
	}
	if got := claim(t, s, map[string]any{"installationId": "gh-ocean", "visibilityTimeoutMs": 1}); len(got) != 0 {
		t.Fatalf("acknowledged runs claimed again: %v", got)
	}
	s.do("POST", "/v1/actions/runs/claim-pending", map[string]any{"limit": 5}).wantError(t, 422, "/installationId")
	s.do("POST", "/v1/actions/runs/claim-pending", map[string]any{"installationId": "x", "limit": 0}).wantError(t, 422, "/limit")
	s.do("PATCH", "/v1/actions/runs/ack", map[string]any{}).wantError(t, 422, "/runId")
}

// TestAgentPollingMode: with BERTH_AGENT_STREAMER=POLLING, agent: true
// webhook runs wait for Port's execution agent to claim them.
func TestAgentPollingMode(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "BERTH_AGENT_STREAMER", "POLLING")
	a := onService("via_agent", "ENTITY_CREATED", "https://internal.example/hook")
	a["invocationMethod"].(map[string]any)["agent"] = true
	s.do("POST", "/v1/actions", a).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e1"}).want(t, 201)
	var got []any
	eventually(t, func() bool {
		got = claim(t, s, map[string]any{"installationId": "_PORT_EXEC_AGENT", "limit": 100, "invocationMethod": "WEBHOOK"})
		return len(got) == 1
	}, "the agent run to be claimable")
	if get(got[0], "payload.url") != "https://internal.example/hook" || get(got[0], "payload.agent") != true || get(got[0], "installationId") != "_PORT_EXEC_AGENT" {
		t.Fatalf("claimed: %v", got[0])
	}
	r := s.do("PATCH", "/v1/actions/runs/ack", map[string]any{"runIds": []string{get(got[0], "id").(string)}}).want(t, 200)
	if r.Body["ackedCount"] != 1.0 {
		t.Fatalf("ack: %s", r.Raw)
	}
}

// TestKafkaRunsAndAgentMessages: KAFKA runs and agent: true webhook runs go
// to the org's runs topic, keyed by run id, signed.
func TestKafkaRunsAndAgentMessages(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "org_test.runs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := strings.Join(c.ListenAddrs(), ",")
	s := startEngine(t, "BERTH_KAFKA_BROKERS", brokers)
	s.do("POST", "/v1/actions", automationWith("to_kafka", "ENTITY_CREATED", map[string]any{"type": "KAFKA",
		"payload": map[string]any{"runId": "{{ .run.id }}", "entity": "{{ .event.context.entityIdentifier }}"}})).want(t, 201)
	a := onService("via_agent", "ENTITY_CREATED", "https://internal.example/hook")
	a["invocationMethod"].(map[string]any)["agent"] = true
	a["invocationMethod"].(map[string]any)["body"] = map[string]any{"entity": "{{ .event.context.entityIdentifier }}"}
	s.do("POST", "/v1/actions", a).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e1"}).want(t, 201)

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumerGroup("org_test.e2e"), kgo.ConsumeTopics("org_test.runs"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	byKey := map[string]*kgo.Record{}
	for len(byKey) < 2 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { byKey[string(r.Key)] = r })
	}
	kafkaRun := waitStatus(t, s, "to_kafka", "IN_PROGRESS")
	var agentRun map[string]any
	eventually(t, func() bool { // the attempt is recorded just after the record is produced
		agentRun = runOf(t, s, "via_agent")
		return len(agentRun["attempts"].([]any)) > 0
	}, "the agent run's attempt to be recorded")
	plain, agent := byKey[kafkaRun["id"].(string)], byKey[agentRun["id"].(string)]
	if plain == nil || agent == nil {
		t.Fatalf("records by key: %v; runs %v, %v", byKey, kafkaRun["id"], agentRun["id"])
	}
	// The test's maps marshal with sorted keys: that is the order the action was written in.
	if want := fmt.Sprintf(`{"entity":"e1","runId":"%s"}`, kafkaRun["id"]); string(plain.Value) != want {
		t.Fatalf("KAFKA message %s, want %s", plain.Value, want)
	}
	var ts, sig string
	for _, h := range plain.Headers {
		switch h.Key {
		case "X-Port-Timestamp":
			ts = string(h.Value)
		case "X-Port-Signature":
			sig = string(h.Value)
		}
	}
	if err := signing.VerifyPortV1([]byte(testClientSecret), sig, ts, plain.Value, time.Minute, time.Now()); err != nil {
		t.Fatalf("KAFKA message signature: %v", err)
	}
	var msg map[string]any
	json.Unmarshal(agent.Value, &msg)
	if get(msg, "entity") != "e1" || get(msg, "context.runId") != agentRun["id"] || get(msg, "payload.action.invocationMethod.agent") != true ||
		get(msg, "headers.X-Port-Signature") == nil {
		t.Fatalf("agent message: %s", agent.Value)
	}
	if atts := agentRun["attempts"].([]any); len(atts) != 1 || get(atts[0], "target") != "kafka topic org_test.runs" || get(atts[0], "outcome") != "delivered" {
		t.Fatalf("agent run attempts: %v", atts)
	}
}

// fakeGitHub is GitHub's REST API as far as the status loop needs it: a
// dispatch creates a workflow run, which completes on its third look.
type fakeGitHubAPI struct {
	*httptest.Server
	mu       sync.Mutex
	dispatch map[string]any
	looks    int
	problems []string
}

func newFakeGitHub(t *testing.T) *fakeGitHubAPI {
	f := &fakeGitHubAPI{}
	runURL := func() string { return f.URL + "/acme/app/actions/runs/555" }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /repos/acme/app/actions/workflows/deploy.yml/dispatches", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		json.Unmarshal(body, &f.dispatch)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent) // an older GitHub: no run details
	})
	mux.HandleFunc("GET /repos/acme/app/actions/workflows/deploy.yml/runs", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"workflow_runs": []any{map[string]any{"id": 555, "html_url": runURL(), "status": "queued",
			"display_title": "Deploy", "created_at": time.Now().UTC().Format(time.RFC3339)}}})
	})
	mux.HandleFunc("GET /repos/acme/app/actions/runs/555", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.looks++
		status := map[bool]string{true: "completed", false: "in_progress"}[f.looks >= 2]
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"id": 555, "html_url": runURL(), "status": status, "conclusion": "success"})
	})
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ghp_e2e" {
			f.mu.Lock()
			f.problems = append(f.problems, r.URL.Path+": Authorization "+r.Header.Get("Authorization"))
			f.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// TestGitHubWorkflowStatusLoop: a GITHUB run dispatches the workflow, gets
// the workflow run's link, and finishes from its conclusion.
func TestGitHubWorkflowStatusLoop(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := startEngine(t, "BERTH_GITHUB_API_URL", gh.URL, "BERTH_GITHUB_TOKEN", "ghp_e2e", "BERTH_GITHUB_POLL_INTERVAL", "1s")
	s.do("POST", "/v1/actions", automationWith("deploy", "ENTITY_CREATED", map[string]any{"type": "GITHUB", "org": "acme", "repo": "app",
		"workflow": "deploy.yml", "workflowInputs": map[string]any{"ref": "main", "service": "{{ .event.context.entityIdentifier }}", "run_id": "{{ .run.id }}"}})).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "svc"}).want(t, 201)
	run := waitStatus(t, s, "deploy", "SUCCESS")
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if len(gh.problems) > 0 {
		t.Fatalf("GitHub saw: %v", gh.problems)
	}
	if gh.dispatch["ref"] != "main" || get(gh.dispatch, "inputs.service") != "svc" || get(gh.dispatch, "inputs.run_id") != run["id"] {
		t.Fatalf("dispatch: %v", gh.dispatch)
	}
	link, _ := run["link"].([]any)
	if len(link) != 1 || link[0] != gh.URL+"/acme/app/actions/runs/555" || run["externalRunId"] != "555" {
		t.Fatalf("run link %v, externalRunId %v", run["link"], run["externalRunId"])
	}
	if gh.looks != 2 {
		t.Errorf("looked at the workflow run %d times, want 2", gh.looks)
	}
}

// TestUnconfiguredBackendsSayWhy: without settings, KAFKA and GITHUB runs
// fail with a summary naming what to set.
func TestUnconfiguredBackendsSayWhy(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/actions", automationWith("k", "ENTITY_CREATED", map[string]any{"type": "KAFKA"})).want(t, 201)
	s.do("POST", "/v1/actions", automationWith("g", "ENTITY_CREATED", map[string]any{"type": "GITHUB", "org": "o", "repo": "r", "workflow": "w"})).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)
	for id, want := range map[string]string{"k": "BERTH_KAFKA_BROKERS", "g": "BERTH_GITHUB_TOKEN"} {
		run := waitStatus(t, s, id, "FAILURE")
		if summary, _ := run["summary"].(string); !strings.Contains(summary, want) {
			t.Errorf("%s: summary %q does not name %s", id, summary, want)
		}
	}
}

// A pull-based executor gets the run's payload as a backend would, secrets
// in clear, while the stored run stays masked; only the organization's
// credentials may claim.
func TestClaimedRunsCarryTheirSecrets(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "gh_token", "secretValue": "ghp-very-secret-value"}).want(t, 201)
	s.do("POST", "/v1/actions", automationWith("ocean_secret", "ENTITY_CREATED", map[string]any{"type": "INTEGRATION_ACTION",
		"installationId": "gh-ocean", "integrationActionType": "dispatch_workflow",
		"integrationActionExecutionProperties": map[string]any{"org": "acme", "repo": "app", "workflow": "deploy.yml",
			"workflowInputs": map[string]any{"token": "{{ .secrets.gh_token }}"}}})).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e1"}).want(t, 201)
	eventually(t, func() bool {
		runs := s.do("GET", "/v1/actions/runs?action=ocean_secret", nil).Body["runs"].([]any)
		return len(runs) == 1 && get(runs[0], "pendingExecution") == true
	}, "the run to be pending")

	user := addUser(t, s, "dev@example.com", "Dev", "Member")
	user.do("POST", "/v1/actions/runs/claim-pending", map[string]any{"installationId": "gh-ocean"}).wantError(t, 403, "")

	got := claim(t, s, map[string]any{"installationId": "gh-ocean"})
	if len(got) != 1 || get(got[0], "payload.integrationActionExecutionProperties.workflowInputs.token") != "ghp-very-secret-value" {
		t.Fatalf("claimed run: %v", got)
	}
	stored := runOf(t, s, "ocean_secret")
	if tok := get(stored, "payload.integrationActionExecutionProperties.workflowInputs.token"); tok != "****" {
		t.Fatalf("stored run shows the secret as %v", tok)
	}
}
