package gitlab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/gitlab"
)

const project = "/api/v4/projects/my-group%2Fsub%2Fmy-project"

// fakeGitLab answers the trigger and pipeline APIs, checking what it gets.
type fakeGitLab struct {
	*httptest.Server
	t        *testing.T
	mu       sync.Mutex
	triggers []map[string]any
	statuses []string // what successive pipeline reads answer
	trigger  int      // status of the trigger answer (201)
}

func newFake(t *testing.T, statuses ...string) *fakeGitLab {
	f := &fakeGitLab{t: t, statuses: statuses, trigger: http.StatusCreated}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch path := r.URL.EscapedPath(); {
		case r.Method == "POST" && path == project+"/trigger/pipeline":
			var body map[string]any
			json.NewDecoder(r.Body).Decode(&body)
			f.triggers = append(f.triggers, body)
			if body["token"] != "glptt-secret" {
				w.WriteHeader(http.StatusNotFound) // GitLab's answer to a bad trigger token
				w.Write([]byte(`{"message":"404 Not Found"}`))
				return
			}
			if f.trigger != http.StatusCreated {
				w.WriteHeader(f.trigger)
				w.Write([]byte(`{"message":{"base":["Reference not found"]}}`))
				return
			}
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"id": 77, "web_url": f.URL + "/my-group/sub/my-project/-/pipelines/77", "status": "created"})
		case r.Method == "GET" && path == project+"/pipelines/77":
			if r.Header.Get("PRIVATE-TOKEN") != "glpat-api" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"message":"401 Unauthorized"}`))
				return
			}
			status := f.statuses[0]
			if len(f.statuses) > 1 {
				f.statuses = f.statuses[1:]
			}
			json.NewEncoder(w).Encode(map[string]any{"id": 77, "web_url": f.URL + "/my-group/sub/my-project/-/pipelines/77", "status": status})
		default:
			t.Errorf("unexpected %s %s", r.Method, path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// secrets is an organization secret store holding the given secrets.
func secrets(kv ...string) gitlab.SecretLookup {
	return func(_ context.Context, name string) (string, error) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == name {
				return kv[i+1], nil
			}
		}
		return "", berth.Errorf(berth.CodeNotFound, "no secret %s", name)
	}
}

func request(run *berth.Run, payload string) delivery.Request {
	return delivery.Request{Run: run, Payload: json.RawMessage(payload), Attempt: 1, OrgID: "org_1"}
}

const invocation = `{"type":"GITLAB","groupName":"my-group/sub","projectName":"my-project","defaultRef":"develop",
	"pipelineVariables":{"service":"svc-a","count":3,"port_run_id":"r_1"}}`

func TestTriggersAndFollowsThePipeline(t *testing.T) {
	t.Parallel()
	f := newFake(t, "pending", "running", "success")
	b, err := gitlab.New(gitlab.Config{URL: f.URL + "/", Token: "glpat-api", PollInterval: time.Second,
		Secrets: secrets("my-group_sub_my-project", "glptt-secret")})
	if err != nil {
		t.Fatal(err)
	}
	req := request(&berth.Run{ID: "r_1"}, invocation)
	res := b.Deliver(context.Background(), req)
	if res.Outcome != delivery.Delivered || res.StatusCode != 201 || res.Follow == nil {
		t.Fatalf("trigger: %+v", res)
	}
	link := f.URL + "/my-group/sub/my-project/-/pipelines/77"
	if p := res.Progress; p == nil || p.ExternalRunID != "77" || len(p.Link) != 1 || p.Link[0] != link {
		t.Fatalf("progress: %+v", res.Progress)
	}
	want := map[string]any{"ref": "develop", "token": "glptt-secret", "variables": map[string]any{"service": "svc-a", "count": "3", "port_run_id": "r_1"}}
	if got, w := fmt.Sprint(f.triggers[0]), fmt.Sprint(want); got != w {
		t.Fatalf("trigger body %s, want %s", got, w)
	}
	looks := 0
	for res.Finish == nil {
		if res.Follow == nil || res.Follow.After != time.Second || looks > 5 {
			t.Fatalf("look %d: %+v", looks, res)
		}
		res = b.Follow(context.Background(), req, res.Follow.State)
		looks++
	}
	if looks != 3 || res.Finish.Status != berth.RunSuccess || res.Finish.Link[0] != link {
		t.Fatalf("after %d looks: %+v", looks, res.Finish)
	}
}

func TestPipelineEnds(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]string{"success": berth.RunSuccess, "skipped": berth.RunSuccess, "failed": berth.RunFailure, "canceled": berth.RunFailure} {
		f := newFake(t, status)
		b, _ := gitlab.New(gitlab.Config{URL: f.URL, Token: "glpat-api", TriggerToken: "glptt-secret"})
		req := request(&berth.Run{ID: "r_1"}, invocation)
		res := b.Follow(context.Background(), req, b.Deliver(context.Background(), req).Follow.State)
		if res.Finish == nil || res.Finish.Status != want || !strings.Contains(res.Finish.Summary, status) {
			t.Errorf("%s: %+v, want %s", status, res, want)
		}
	}
}

func TestRefAndTokenChoice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		payload string
		run     *berth.Run
		cfg     gitlab.Config
		ref     string
	}{
		{"variable ref", `{"groupName":"my-group/sub","projectName":"my-project","defaultRef":"d","pipelineVariables":{"ref":"v"}}`,
			&berth.Run{Properties: map[string]any{"ref": "input"}}, gitlab.Config{Secrets: secrets(gitlab.DefaultTokenSecret, "glptt-secret")}, "v"},
		{"input ref", `{"groupName":"my-group/sub","projectName":"my-project","defaultRef":"d"}`,
			&berth.Run{Properties: map[string]any{"ref": "input"}}, gitlab.Config{TriggerToken: "glptt-secret"}, "input"},
		{"main", `{"groupName":"/my-group/sub/","projectName":"my-project"}`, &berth.Run{}, gitlab.Config{Secrets: secrets(), TriggerToken: "glptt-secret"}, "main"},
	} {
		f := newFake(t, "running")
		tc.cfg.URL = f.URL
		b, _ := gitlab.New(tc.cfg)
		res := b.Deliver(context.Background(), request(tc.run, tc.payload))
		if res.Outcome != delivery.Delivered || res.Follow != nil {
			t.Errorf("%s: %+v (without an API token the pipeline is not followed)", tc.name, res)
			continue
		}
		if f.triggers[0]["ref"] != tc.ref {
			t.Errorf("%s: ref %v, want %s", tc.name, f.triggers[0]["ref"], tc.ref)
		}
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	f := newFake(t, "running")
	noToken, _ := gitlab.New(gitlab.Config{URL: f.URL, Secrets: secrets()})
	res := noToken.Deliver(context.Background(), request(&berth.Run{}, invocation))
	if res.Outcome != delivery.Failed || !strings.Contains(res.Error, `"my-group_sub_my-project"`) || !strings.Contains(res.Error, "BERTH_GITLAB_TRIGGER_TOKEN") {
		t.Errorf("no trigger token: %+v", res)
	}
	wrong, _ := gitlab.New(gitlab.Config{URL: f.URL, TriggerToken: "nope"})
	if res := wrong.Deliver(context.Background(), request(&berth.Run{}, invocation)); res.Outcome != delivery.Failed || res.StatusCode != 404 {
		t.Errorf("bad trigger token: %+v", res)
	}
	for _, p := range []string{`{"groupName":"","projectName":"p"}`, `{"groupName":"g/..","projectName":"p"}`, `{"groupName":"g","projectName":"p?x"}`} {
		if res := wrong.Deliver(context.Background(), request(&berth.Run{}, p)); res.Outcome != delivery.Failed || res.StatusCode != 0 {
			t.Errorf("%s: %+v", p, res)
		}
	}
	f.trigger = http.StatusBadRequest
	ok, _ := gitlab.New(gitlab.Config{URL: f.URL, TriggerToken: "glptt-secret"})
	if res := ok.Deliver(context.Background(), request(&berth.Run{}, invocation)); res.Outcome != delivery.Failed || !strings.Contains(res.Error, "Reference not found") {
		t.Errorf("unknown ref: %+v", res)
	}
	f.trigger = http.StatusServiceUnavailable
	if res := ok.Deliver(context.Background(), request(&berth.Run{}, invocation)); res.Outcome != delivery.Retry {
		t.Errorf("503: %+v", res)
	}
	lookupDown, _ := gitlab.New(gitlab.Config{URL: f.URL, Secrets: func(context.Context, string) (string, error) { return "", fmt.Errorf("db down") }})
	if res := lookupDown.Deliver(context.Background(), request(&berth.Run{}, invocation)); res.Outcome != delivery.Retry || strings.Contains(res.Error, "db down") {
		t.Errorf("secret store down: %+v", res)
	}
	badAPI, _ := gitlab.New(gitlab.Config{URL: f.URL, Token: "wrong"})
	if res := badAPI.Follow(context.Background(), request(&berth.Run{}, invocation), json.RawMessage(`{"project":"my-group/sub/my-project","pipeline":77}`)); res.Outcome != delivery.Retry || res.StatusCode != 401 {
		t.Errorf("API token refused while following: %+v", res)
	}
	if _, err := gitlab.New(gitlab.Config{URL: "gitlab.example.com"}); err == nil || !strings.Contains(err.Error(), "BERTH_GITLAB_URL") {
		t.Errorf("bad URL: %v", err)
	}
}
