package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// consoleClient is a browser-like client of the web console: it keeps
// cookies and does not follow redirects, so tests see them.
type consoleClient struct {
	t    *testing.T
	s    *testServer
	http *http.Client
}

func newConsoleClient(t *testing.T, s *testServer) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, s: s, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a console answer.
type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (c *consoleClient) get(path string) page {
	c.t.Helper()
	return c.send("GET", path, nil, nil)
}

func (c *consoleClient) post(path string, form url.Values, headers map[string]string) page {
	c.t.Helper()
	return c.send("POST", path, form, headers)
}

func (c *consoleClient) send(method, path string, form url.Values, headers map[string]string) page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.s.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Body: string(raw), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (c *consoleClient) signIn(id, secret string) page {
	c.t.Helper()
	return c.post("/signin", url.Values{"client_id": {id}, "client_secret": {secret}, "next": {"/runs"}}, nil)
}

func (p page) want(t *testing.T, status int, contains ...string) page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.Status, status, p.Body)
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page does not contain %q:\n%s", s, p.Body)
		}
	}
	return p
}

// failedRun makes an automation whose receiver answers 400 to its first
// request and 200 after, fires it, and returns the FAILURE run's id.
func failedRun(t *testing.T, s *testServer, id string) (runID string, rc *receiver) {
	t.Helper()
	rc = newReceiver(t, 400)
	rc.setReply(`{"error":"bad request from the receiver"}`)
	s.do("POST", "/v1/actions", webhookAutomation(id, rc.URL, false)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "checkout-" + id}).want(t, 201)
	run := waitStatus(t, s, id, "FAILURE")
	return run["id"].(string), rc
}

// memberCredentials invites a user with the Member role and returns API
// credentials of theirs.
func memberCredentials(t *testing.T, s *testServer, email string) (clientID, secret string) {
	t.Helper()
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": email, "roles": []string{"Member"}}}).want(t, 201)
	cred := s.do("POST", "/v1/users/"+email+"/credentials", nil).want(t, 201).Body["credentials"]
	return get(cred, "clientId").(string), get(cred, "clientSecret").(string)
}

func TestConsoleRoutesLeaveTheAPIAlone(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newConsoleClient(t, s)
	s.send("GET", "/v1/no-such-route", nil, nil).wantError(t, 404, "")
	s.send("GET", "/v1", nil, nil).wantError(t, 404, "")
	s.send("GET", "/healthz", nil, nil).want(t, 200)
	s.send("POST", "/healthz", nil, nil).wantError(t, 405, "")

	if p := c.get("/"); p.Status != 303 || p.Location != "/signin?next=%2F" {
		t.Fatalf("/ unsigned: %d %s", p.Status, p.Location)
	}
	if p := c.get("/runs?status=FAILURE"); p.Status != 303 || p.Location != "/signin?next=%2Fruns%3Fstatus%3DFAILURE" {
		t.Fatalf("/runs unsigned: %d %s", p.Status, p.Location)
	}
	c.get("/events").want(t, 401)
	c.post("/runs/r_x/retry", url.Values{}, nil).want(t, 401)
	p := c.get("/signin").want(t, 200, `<label for="client_id">`, `<label for="client_secret">`)
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP: %q", csp)
	}
	c.get("/static/console.css").want(t, 200, ":focus-visible")
	c.get("/no/such/page").want(t, 404, "There is no page here.")
	c.signIn(testClientID, testClientSecret).want(t, 303)
	c.get("/no/such/page").want(t, 404, "There is no page here.")
}

func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newConsoleClient(t, s)
	c.signIn(testClientID, "wrong").want(t, 401, "were not accepted", `value="test-client"`)
	// A sign-in posted from another site is refused (login CSRF).
	c.post("/signin", url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret}},
		map[string]string{"Sec-Fetch-Site": "cross-site"}).want(t, 403, "another site")

	p := c.post("/signin", url.Values{"client_id": {testClientID}, "client_secret": {testClientSecret},
		"next": {"//evil.example/x"}}, nil).want(t, 303)
	if p.Location != "/runs" {
		t.Fatalf("an off-site next was followed: %q", p.Location)
	}
	cookie := p.Header.Get("Set-Cookie")
	for _, attr := range []string{"berth_session=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="} {
		if !strings.Contains(cookie, attr) {
			t.Fatalf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Fatalf("cookie is Secure over plain HTTP: %q", cookie)
	}
	c.get("/runs").want(t, 200, "Signed in as <strong>test-client (organization credentials)</strong>", "No runs match")
	c.post("/signout", url.Values{}, nil).want(t, 303)
	c.get("/runs").want(t, 303)

	// A user's credentials sign in too, but only admins operate.
	mc := newConsoleClient(t, s)
	mc.signIn(memberCredentials(t, s, "mo@example.com")).want(t, 303)
	mc.get("/runs").want(t, 200, "Signed in as <strong>mo@example.com</strong>")
}

func TestConsoleRetryRedeliversTheSameRun(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	runID, rc := failedRun(t, s, "flaky_hook")
	c := newConsoleClient(t, s)
	c.signIn(testClientID, testClientSecret).want(t, 303)

	c.get("/runs?status=FAILURE").want(t, 200, `href="/runs/`+runID+`"`, "Failure")
	c.get("/runs?status=SUCCESS").want(t, 200, "No runs match")
	c.get("/runs/"+runID).want(t, 200, `id="attempt-1"`, ">400<", "bad request from the receiver", "Retry delivery")

	// Only admins operate: a member is refused and nothing changes.
	mc := newConsoleClient(t, s)
	mc.signIn(memberCredentials(t, s, "mo@example.com")).want(t, 303)
	mc.post("/runs/"+runID+"/retry", url.Values{}, nil).want(t, 403, "only admins")

	// From another site, refused.
	c.post("/runs/"+runID+"/retry", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}).want(t, 403)
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("receiver got %d requests before the retry", n)
	}

	p := c.post("/runs/"+runID+"/retry", url.Values{}, nil).want(t, 303)
	if p.Location != "/runs/"+runID+"?done=retried" {
		t.Fatalf("retry went to %q", p.Location)
	}
	got := rc.waitFor(t, 2)
	if got[1].Header.Get("webhook-id") != runID || got[0].Header.Get("webhook-id") != runID {
		t.Fatalf("webhook-ids %q, %q; want the run id %s", got[0].Header.Get("webhook-id"), got[1].Header.Get("webhook-id"), runID)
	}
	var run map[string]any
	eventually(t, func() bool {
		run = s.do("GET", "/v1/actions/runs/"+runID, nil).want(t, 200).Body["run"].(map[string]any)
		return len(run["attempts"].([]any)) == 2
	}, "the second attempt to be recorded")
	if run["status"] != "IN_PROGRESS" || run["endedAt"] != nil || get(run, "attempts.1.outcome") != "delivered" {
		t.Fatalf("retried run: %v", run)
	}
	logs := s.do("GET", "/v1/actions/runs/"+runID+"/logs", nil).want(t, 200).Raw
	if !strings.Contains(logs, "delivery retried by test-client") {
		t.Fatalf("no retry log line: %s", logs)
	}
	audit := s.do("GET", "/v1/audit-log?run_id="+runID, nil).want(t, 200).Raw
	if strings.Count(audit, `"UPDATE"`) < 2 { // FAILURE, then the retry
		t.Fatalf("the retry recorded no RUN_UPDATED event: %s", audit)
	}
	c.get("/runs/"+runID).want(t, 200, `id="attempt-2"`, "Retry is not available")
	// Not failed any more: a second retry is refused with the reason.
	c.post("/runs/"+runID+"/retry", url.Values{}, nil).want(t, 422, "only failed runs can be retried")
}

func TestConsoleRerunMakesANewRun(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	runID, rc := failedRun(t, s, "rerun_hook")
	c := newConsoleClient(t, s)
	c.signIn(testClientID, testClientSecret).want(t, 303)

	p := c.post("/runs/"+runID+"/rerun", url.Values{}, nil).want(t, 303)
	newID := strings.TrimSuffix(strings.TrimPrefix(p.Location, "/runs/"), "?done=rerun")
	if newID == runID || !strings.HasPrefix(newID, "r_") {
		t.Fatalf("re-run went to %q", p.Location)
	}
	got := rc.waitFor(t, 2)
	if got[1].Header.Get("webhook-id") != newID || get(got[1].JSON, "run.id") != newID {
		t.Fatalf("the re-run was delivered as %q with run.id %v, want %s", got[1].Header.Get("webhook-id"), get(got[1].JSON, "run.id"), newID)
	}
	if get(got[1].JSON, "event.id") != get(got[0].JSON, "event.id") {
		t.Fatal("the re-run was rendered from different trigger data")
	}
	c.get("/runs/"+newID).want(t, 200, "re-run of run <a href=\"/runs/"+runID+"\">")
	c.get("/runs/"+runID).want(t, 200, "re-run by test-client as run <a href=\"/runs/"+newID+"\">")
}

func TestConsolePublishAndTest(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	a := onService("go_only", "ENTITY_CREATED", rc.URL)
	a["trigger"].(map[string]any)["condition"] = map[string]any{"type": "JQ", "expressions": []string{`.diff.after.properties.status == "live"`}}
	a["publish"] = false
	s.do("POST", "/v1/actions", a).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "draft", "properties": map[string]any{"status": "draft"}}).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "live", "properties": map[string]any{"status": "live"}}).want(t, 201)
	rc.quiet(t, 0) // unpublished: nothing fires

	c := newConsoleClient(t, s)
	c.signIn(testClientID, testClientSecret).want(t, 303)
	c.get("/automations").want(t, 200, "go_only", `aria-label="Publish go_only"`)
	audit := s.do("GET", "/v1/audit-log?entity=live", nil).want(t, 200).Body["audits"].([]any)
	liveEvent := get(audit[0], "identifier").(string)
	audit = s.do("GET", "/v1/audit-log?entity=draft", nil).want(t, 200).Body["audits"].([]any)
	draftEvent := get(audit[0], "identifier").(string)

	c.get("/actions/go_only").want(t, 200, `<option value="`+liveEvent+`"`, `<option value="`+draftEvent+`"`)
	c.get("/actions/go_only?event="+liveEvent).want(t, 200, "it would fire", "Condition: met", "&#34;identifier&#34;: &#34;live&#34;")
	c.get("/actions/go_only?event="+draftEvent).want(t, 200, "it would not fire", "returned false")
	rc.quiet(t, 0) // testing sends nothing
	if runs := s.do("GET", "/v1/actions/runs?action=go_only", nil).Body["runs"].([]any); len(runs) != 0 {
		t.Fatalf("testing created runs: %v", runs)
	}

	c.post("/actions/go_only/publish", url.Values{"publish": {"true"}}, nil).want(t, 303)
	def := s.do("GET", "/v1/actions/go_only", nil).want(t, 200).Body["action"]
	if get(def, "publish") != true || get(def, "updatedBy") != testClientID {
		t.Fatalf("published definition: %v", def)
	}
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "live2", "properties": map[string]any{"status": "live"}}).want(t, 201)
	rc.waitFor(t, 1)
	c.post("/actions/go_only/publish", url.Values{"publish": {"false"}, "from": {"list"}}, nil).want(t, 303)
	if get(s.do("GET", "/v1/actions/go_only", nil).Body["action"], "publish") != false {
		t.Fatal("unpublish did not stick")
	}
}

func TestConsoleStreamsRunChanges(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	c := newConsoleClient(t, s)
	c.signIn(testClientID, testClientSecret).want(t, 303)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/events", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rc := newReceiver(t, 400)
	s.do("POST", "/v1/actions", webhookAutomation("streamed", rc.URL, false)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") && strings.Contains(line, `"action":"streamed"`) {
			return
		}
	}
	t.Fatalf("no change event for the run: %v", sc.Err())
}
