package github_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/github"
)

// fakeGitHub is the part of GitHub's REST API the backend uses, checking
// what it is sent.
type fakeGitHub struct {
	*httptest.Server
	t          *testing.T
	token      string         // the bearer token calls must carry
	appKey     *rsa.PublicKey // when set, installation calls need the App's JWT
	appID      string
	runDetails bool // answer dispatches with the run's id
	refuseRD   bool // answer return_run_details with 422, like an old GHES

	mu          sync.Mutex
	dispatches  []map[string]any
	runs        []map[string]any // the workflow runs dispatches created
	statuses    map[int64][]string
	conclusion  string
	tokenGrants int
	lists       int
}

func newFake(t *testing.T) *fakeGitHub {
	f := &fakeGitHub{t: t, token: "ghp_test", statuses: map[int64][]string{}, conclusion: "success"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}", f.authed(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"default_branch": "trunk"})
	}))
	mux.HandleFunc("POST /repos/{owner}/{repo}/actions/workflows/{wf}/dispatches", f.authed(f.dispatch))
	mux.HandleFunc("GET /repos/{owner}/{repo}/actions/workflows/{wf}/runs", f.authed(f.list))
	mux.HandleFunc("GET /repos/{owner}/{repo}/actions/runs/{id}", f.authed(f.run))
	mux.HandleFunc("GET /repos/{owner}/{repo}/installation", f.jwtAuthed(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"id": 7})
	}))
	mux.HandleFunc("POST /app/installations/7/access_tokens", f.jwtAuthed(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.tokenGrants++
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"token": f.token, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGitHub) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+f.token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"message":"Bad credentials (got %q)"}`, got)
			return
		}
		if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") == "" {
			f.t.Errorf("%s %s: Accept %q, API version %q", r.Method, r.URL.Path, r.Header.Get("Accept"), r.Header.Get("X-GitHub-Api-Version"))
		}
		h(w, r)
	}
}

// jwtAuthed checks the App JWT: RS256 over header.claims with the App's key,
// iss = the App ID, not expired.
func (f *fakeGitHub) jwtAuthed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		jwt, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		parts := strings.Split(jwt, ".")
		if f.appKey == nil || len(parts) != 3 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		var header struct{ Alg string }
		var claims struct {
			Iss      json.Number
			Iat, Exp int64
		}
		hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(hb, &header)
		json.Unmarshal(cb, &claims)
		now := time.Now().Unix()
		if rsa.VerifyPKCS1v15(f.appKey, crypto.SHA256, sum[:], sig) != nil || header.Alg != "RS256" ||
			claims.Iss.String() != f.appID || claims.Exp <= now || claims.Exp-claims.Iat > 600 || claims.Iat > now {
			f.t.Errorf("bad App JWT: header %s claims %s", hb, cb)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	}
}

func (f *fakeGitHub) dispatch(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("dispatch body: %v", err)
	}
	if _, ok := body["return_run_details"]; ok && f.refuseRD {
		w.WriteHeader(http.StatusUnprocessableEntity)
		io := `{"message":"Invalid request.\n\n\"return_run_details\" is not a permitted key."}`
		w.Write([]byte(io))
		return
	}
	f.mu.Lock()
	f.dispatches = append(f.dispatches, body)
	id := int64(100 + len(f.runs))
	title := "Deploy"
	if inputs, ok := body["inputs"].(map[string]any); ok && inputs["title"] != nil {
		title = inputs["title"].(string)
	}
	run := map[string]any{"id": id, "html_url": fmt.Sprintf("%s/%s/%s/actions/runs/%d", f.URL, r.PathValue("owner"), r.PathValue("repo"), id),
		"name": "deploy", "display_title": title, "status": "queued", "conclusion": nil, "created_at": time.Now().UTC().Format(time.RFC3339)}
	f.runs = append(f.runs, run)
	f.statuses[id] = []string{"queued", "in_progress", "completed"}
	f.mu.Unlock()
	if f.runDetails {
		json.NewEncoder(w).Encode(map[string]any{"workflow_run_id": id, "run_url": "api-url", "html_url": run["html_url"]})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("event") != "workflow_dispatch" || !strings.HasPrefix(q.Get("created"), ">=") || q.Get("branch") == "" {
		f.t.Errorf("list runs query: %s", r.URL.RawQuery)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	runs := []map[string]any{}
	for i := len(f.runs) - 1; i >= 0; i-- { // newest first, as GitHub lists them
		runs = append(runs, f.runs[i])
	}
	json.NewEncoder(w).Encode(map[string]any{"total_count": len(runs), "workflow_runs": runs})
}

// run answers the next status of the run: queued, in_progress, completed.
func (f *fakeGitHub) run(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	seq, ok := f.statuses[id]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"Not Found"}`))
		return
	}
	status := seq[0]
	if len(seq) > 1 {
		f.statuses[id] = seq[1:]
	}
	run := map[string]any{"id": id, "html_url": fmt.Sprintf("%s/acme/app/actions/runs/%d", f.URL, id), "status": status, "conclusion": nil}
	if status == "completed" {
		run["conclusion"] = f.conclusion
	}
	json.NewEncoder(w).Encode(run)
}

func (f *fakeGitHub) backend(t *testing.T) *github.Backend {
	t.Helper()
	b, err := github.New(github.Config{APIURL: f.URL + "/", Token: f.token, PollInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(runID, payload string) delivery.Request {
	return delivery.Request{Run: &berth.Run{ID: runID}, Payload: json.RawMessage(payload), Attempt: 1, OrgID: "org_1", ClientSecret: []byte("s")}
}

const invocation = `{"type":"GITHUB","org":"acme","repo":"app","workflow":"deploy.yml",
	"workflowInputs":{"service":"svc-a","count":3,"flag":true,"port_context":{"runId":"r_1","msg":"a<b"}}}`

// followUntilDone calls Follow as the engine would, until the run finishes.
func followUntilDone(t *testing.T, b *github.Backend, req delivery.Request, res delivery.Result) (delivery.Result, []delivery.Result) {
	t.Helper()
	var steps []delivery.Result
	for i := 0; res.Finish == nil; i++ {
		if res.Outcome != delivery.Delivered || res.Follow == nil || i > 10 {
			t.Fatalf("step %d: %+v, want another follow-up", i, res)
		}
		if res.Follow.After != time.Second {
			t.Errorf("follow-up after %v, want the poll interval", res.Follow.After)
		}
		res = b.Follow(context.Background(), req, res.Follow.State)
		steps = append(steps, res)
	}
	return res, steps
}

func TestDispatchFindsTheRunAndReportsItsConclusion(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	b := f.backend(t)
	req := request("r_1", invocation)
	res := b.Deliver(context.Background(), req)
	if res.Outcome != delivery.Delivered || res.Progress != nil || res.Follow == nil || res.StatusCode != 204 {
		t.Fatalf("dispatch: %+v", res)
	}
	want := `{"inputs":{"count":"3","flag":"true","port_context":"{\"runId\":\"r_1\",\"msg\":\"a<b\"}","service":"svc-a"},"ref":"trunk","return_run_details":true}`
	if got, _ := json.Marshal(f.dispatches[0]); string(got) != strings.ReplaceAll(want, "<", `\u003c`) {
		t.Fatalf("dispatch body:\n%s\nwant\n%s", got, want)
	}
	final, steps := followUntilDone(t, b, req, res)
	found := steps[0]
	if found.Progress == nil || found.Progress.ExternalRunID != "100" || found.Progress.Link[0] != f.URL+"/acme/app/actions/runs/100" {
		t.Fatalf("first follow-up: %+v, want the run found with its link", found)
	}
	if final.Finish.Status != berth.RunSuccess || final.Finish.Link[0] != f.URL+"/acme/app/actions/runs/100" {
		t.Fatalf("finish: %+v", final.Finish)
	}
	if f.lists != 1 {
		t.Errorf("listed runs %d times, want once", f.lists)
	}
}

func TestRunDetailsRefInputAndConclusions(t *testing.T) {
	t.Parallel()
	for conclusion, want := range map[string]string{"success": berth.RunSuccess, "skipped": berth.RunSuccess, "neutral": berth.RunSuccess,
		"failure": berth.RunFailure, "cancelled": berth.RunFailure, "timed_out": berth.RunFailure, "action_required": berth.RunFailure} {
		f := newFake(t)
		f.runDetails, f.conclusion = true, conclusion
		b := f.backend(t)
		req := request("r_1", `{"type":"GITHUB","org":"acme","repo":"app","workflow":42,"workflowInputs":{"ref":"release/1","a":"b"},"reportWorkflowStatus":"true"}`)
		res := b.Deliver(context.Background(), req)
		if res.Progress == nil || res.Progress.ExternalRunID != "100" || res.StatusCode != 200 {
			t.Fatalf("%s: dispatch with run details: %+v", conclusion, res)
		}
		if d := f.dispatches[0]; d["ref"] != "release/1" || d["inputs"].(map[string]any)["ref"] != nil || d["inputs"].(map[string]any)["a"] != "b" {
			t.Fatalf("dispatch: %v", d)
		}
		final, _ := followUntilDone(t, b, req, res)
		if final.Finish.Status != want || !strings.Contains(final.Finish.Summary, conclusion) {
			t.Errorf("%s: finish %+v, want %s", conclusion, final.Finish, want)
		}
		if f.lists != 0 {
			t.Errorf("%s: listed runs although the dispatch named it", conclusion)
		}
	}
}

func TestNoStatusReporting(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	res := f.backend(t).Deliver(context.Background(), request("r_1", `{"org":"acme","repo":"app","workflow":"d.yml","reportWorkflowStatus":false}`))
	if res.Outcome != delivery.Delivered || res.Follow != nil || res.Finish != nil {
		t.Fatalf("%+v", res)
	}
}

func TestOldGitHubWithoutRunDetails(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.refuseRD = true
	res := f.backend(t).Deliver(context.Background(), request("r_1", invocation))
	if res.Outcome != delivery.Delivered || len(f.dispatches) != 1 {
		t.Fatalf("%+v after %d dispatches", res, len(f.dispatches))
	}
	if _, ok := f.dispatches[0]["return_run_details"]; ok {
		t.Fatal("resent with return_run_details")
	}
}

func TestConcurrentDispatchesFollowDifferentRuns(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	b := f.backend(t)
	// r_2's workflow names its runs after the berth run: exact match, even
	// though it is not the oldest candidate.
	r1, r2 := request("r_1", invocation), request("r_2", `{"org":"acme","repo":"app","workflow":"deploy.yml","workflowInputs":{"title":"deploy r_2"}}`)
	d1, d2 := b.Deliver(context.Background(), r1), b.Deliver(context.Background(), r2)
	s2 := b.Follow(context.Background(), r2, d2.Follow.State)
	s1 := b.Follow(context.Background(), r1, d1.Follow.State)
	if s1.Progress == nil || s2.Progress == nil || s1.Progress.ExternalRunID != "100" || s2.Progress.ExternalRunID != "101" {
		t.Fatalf("r_1 → %+v, r_2 → %+v", s1.Progress, s2.Progress)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	ok := f.backend(t)
	bad, _ := github.New(github.Config{APIURL: f.URL, Token: "wrong"})
	if res := bad.Deliver(context.Background(), request("r_1", invocation)); res.Outcome != delivery.Failed || res.StatusCode != 401 || !strings.Contains(res.Error, "Bad credentials") {
		t.Errorf("bad token: %+v", res)
	}
	for _, p := range []string{`{"org":"acme","repo":"../x","workflow":"w"}`, `{"org":"","repo":"r","workflow":"w"}`, `{"org":"a","repo":"r"}`} {
		if res := ok.Deliver(context.Background(), request("r_1", p)); res.Outcome != delivery.Failed {
			t.Errorf("%s: %+v", p, res)
		}
	}
	if len(f.dispatches) != 0 {
		t.Fatal("a bad invocation was dispatched")
	}

	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(90*time.Second).Unix(), 10))
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"API rate limit exceeded"}`))
	}))
	defer limited.Close()
	b, _ := github.New(github.Config{APIURL: limited.URL, Token: "t"})
	res := b.Deliver(context.Background(), request("r_1", invocation))
	if res.Outcome != delivery.Retry || res.RetryAfter < 80*time.Second || res.RetryAfter > 91*time.Second {
		t.Errorf("rate limited: %+v", res)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) }))
	defer down.Close()
	b, _ = github.New(github.Config{APIURL: down.URL, Token: "t"})
	if res := b.Deliver(context.Background(), request("r_1", invocation)); res.Outcome != delivery.Retry {
		t.Errorf("502: %+v", res)
	}
	// A follow-up whose run vanished fails; one that cannot reach GitHub retries.
	st, _ := json.Marshal(map[string]any{"owner": "acme", "repo": "app", "workflow": "d.yml", "ref": "main", "runId": 999, "dispatchedAt": 1, "deadline": 2})
	if res := ok.Follow(context.Background(), request("r_1", invocation), st); res.Outcome != delivery.Failed {
		t.Errorf("vanished run: %+v", res)
	}
	if res := b.Follow(context.Background(), request("r_1", invocation), st); res.Outcome != delivery.Retry {
		t.Errorf("GitHub down while following: %+v", res)
	}
}

func TestGivesUpFindingTheRun(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	b := f.backend(t)
	st, _ := json.Marshal(map[string]any{"owner": "acme", "repo": "app", "workflow": "d.yml", "ref": "main", "dispatchedAt": time.Now().Unix(), "deadline": time.Now().Add(time.Hour).Unix()})
	res := b.Follow(context.Background(), request("r_1", invocation), st)
	if res.Outcome != delivery.Delivered || res.Follow == nil || res.Finish != nil {
		t.Fatalf("no run yet: %+v, want another look", res)
	}
	st, _ = json.Marshal(map[string]any{"owner": "acme", "repo": "app", "workflow": "d.yml", "ref": "main", "dispatchedAt": 1, "deadline": 2})
	res = b.Follow(context.Background(), request("r_1", invocation), st)
	if res.Outcome != delivery.Delivered || res.Follow != nil || res.Finish != nil || len(res.Logs) == 0 {
		t.Fatalf("past the deadline: %+v, want to stop following with a log line", res)
	}
}

func TestGitHubApp(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	f.token, f.appKey, f.appID, f.runDetails = "ghs_installation", &key.PublicKey, "12345", true
	for name, der := range map[string][]byte{"RSA PRIVATE KEY": x509.MarshalPKCS1PrivateKey(key), "PRIVATE KEY": must(x509.MarshalPKCS8PrivateKey(key))} {
		pemKey := pem.EncodeToMemory(&pem.Block{Type: name, Bytes: der})
		b, err := github.New(github.Config{APIURL: f.URL, AppID: "12345", AppPrivateKey: pemKey})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if res := b.Deliver(context.Background(), request("r_1", invocation)); res.Outcome != delivery.Delivered {
				t.Fatalf("%s: %+v", name, res)
			}
		}
	}
	if f.tokenGrants != 2 {
		t.Errorf("%d installation tokens for 2 backends × 2 deliveries, want one per backend (cached)", f.tokenGrants)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestConfigIsValidated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  github.Config
		want string
	}{
		{github.Config{}, "BERTH_GITHUB_TOKEN"},
		{github.Config{AppID: "1"}, "BERTH_GITHUB_APP_PRIVATE_KEY"},
		{github.Config{AppID: "1", AppPrivateKey: []byte("nope")}, "BERTH_GITHUB_APP_PRIVATE_KEY"},
		{github.Config{Token: "t", APIURL: "api.github.com"}, "BERTH_GITHUB_API_URL"},
	} {
		if _, err := github.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}
