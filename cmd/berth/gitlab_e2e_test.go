package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestGitLabPipelineWithSecretToken triggers a GitLab pipeline whose trigger
// token is an organization secret (named after the group and project, as
// Port's agent names them), then follows the pipeline until it succeeds.
func TestGitLabPipelineWithSecretToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var trigger map[string]any
	reads := 0
	gl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch path := r.URL.EscapedPath(); {
		case r.Method == "POST" && path == "/api/v4/projects/acme%2Fapp/trigger/pipeline":
			json.NewDecoder(r.Body).Decode(&trigger)
			if trigger["token"] != "glptt-from-secret" {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"id": 7, "web_url": "https://gitlab.example/acme/app/-/pipelines/7", "status": "created"})
		case r.Method == "GET" && path == "/api/v4/projects/acme%2Fapp/pipelines/7" && r.Header.Get("PRIVATE-TOKEN") == "glpat-api":
			reads++
			status := "running"
			if reads > 1 {
				status = "success"
			}
			json.NewEncoder(w).Encode(map[string]any{"id": 7, "web_url": "https://gitlab.example/acme/app/-/pipelines/7", "status": status})
		default:
			t.Errorf("unexpected GitLab call %s %s", r.Method, path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(gl.Close)

	s := startEngine(t, "BERTH_GITLAB_URL", gl.URL, "BERTH_GITLAB_TOKEN", "glpat-api", "BERTH_GITLAB_POLL_INTERVAL", "1s")
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "acme_app", "secretValue": "glptt-from-secret"}).want(t, 201)
	s.do("POST", "/v1/actions", automationWith("pipeline", "ENTITY_CREATED", map[string]any{"type": "GITLAB",
		"groupName": "acme", "projectName": "app", "defaultRef": "main",
		"pipelineVariables": map[string]any{"service": "{{ .event.context.entityIdentifier }}", "replicas": 3}})).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "checkout"}).want(t, 201)

	run := waitStatus(t, s, "pipeline", "SUCCESS")
	if get(run, "link.0") != "https://gitlab.example/acme/app/-/pipelines/7" || run["externalRunId"] != "7" {
		t.Fatalf("finished run: %v", run)
	}
	mu.Lock()
	defer mu.Unlock()
	if trigger["ref"] != "main" || get(trigger, "variables.service") != "checkout" || get(trigger, "variables.replicas") != "3" {
		t.Fatalf("trigger body: %v", trigger)
	}
	if reads < 2 {
		t.Fatalf("the pipeline was read %d times; the run should follow it until it ends", reads)
	}
}
