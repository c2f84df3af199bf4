package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/signing"
)

func webhookAutomation(id, url string, sync bool) map[string]any {
	a := onService(id, "ENTITY_CREATED", url)
	a["invocationMethod"].(map[string]any)["synchronized"] = sync
	return a
}

func runOf(t *testing.T, s *testServer, automation string) map[string]any {
	t.Helper()
	runs := s.do("GET", "/v1/actions/runs?action="+automation, nil).Body["runs"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs of %s, want 1", len(runs), automation)
	}
	return s.do("GET", "/v1/actions/runs/"+get(runs[0], "id").(string), nil).want(t, 200).Body["run"].(map[string]any)
}

func waitStatus(t *testing.T, s *testServer, automation, status string) map[string]any {
	t.Helper()
	var run map[string]any
	eventually(t, func() bool {
		runs := s.do("GET", "/v1/actions/runs?action="+automation, nil).Body["runs"].([]any)
		if len(runs) == 1 && get(runs[0], "status") == status {
			run = runOf(t, s, automation)
			return true
		}
		return false
	}, "the run of %s to be %s", automation, status)
	return run
}

func TestDeliveryRetriesWithOneWebhookID(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "BERTH_DELIVERY_INITIAL_BACKOFF", "50ms")
	flaky := newReceiver(t, 500, 503, 200)
	bad := newReceiver(t, 400)
	s.do("POST", "/v1/actions", webhookAutomation("flaky", flaky.URL, false)).want(t, 201)
	s.do("POST", "/v1/actions", webhookAutomation("bad", bad.URL, false)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)

	got := flaky.waitFor(t, 3)
	flaky.quiet(t, 3)
	id := got[0].Header.Get("webhook-id")
	for _, r := range got {
		if r.Header.Get("webhook-id") != id || r.Header.Get("X-Port-Signature") == "" {
			t.Fatalf("attempts carry different webhook-ids or no signature: %q vs %q", r.Header.Get("webhook-id"), id)
		}
	}
	run := runOf(t, s, "flaky")
	if run["id"] != id || run["status"] != "IN_PROGRESS" {
		t.Fatalf("run %v is %v, webhook-id %s", run["id"], run["status"], id)
	}
	atts := run["attempts"].([]any)
	if len(atts) != 3 || get(atts[0], "statusCode") != 500.0 || get(atts[0], "outcome") != "retry" || get(atts[2], "outcome") != "delivered" {
		t.Fatalf("attempts: %v", atts)
	}

	bad.waitFor(t, 1)
	failed := waitStatus(t, s, "bad", "FAILURE")
	if atts := failed["attempts"].([]any); len(atts) != 1 || !strings.Contains(failed["summary"].(string), "400") || failed["endedAt"] == nil {
		t.Fatalf("permanent failure: %v", failed)
	}
	bad.quiet(t, 1)
}

func TestDeliveryGivesUp(t *testing.T) {
	t.Parallel()
	s := startEngine(t, "BERTH_DELIVERY_INITIAL_BACKOFF", "10ms", "BERTH_DELIVERY_ATTEMPTS", "3")
	down := newReceiver(t, 500, 500, 500, 500, 500)
	s.do("POST", "/v1/actions", webhookAutomation("down", down.URL, false)).want(t, 201)
	before := s.scrape()
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)
	run := waitStatus(t, s, "down", "FAILURE")
	if len(run["attempts"].([]any)) != 3 || !strings.Contains(run["summary"].(string), "after 3 attempts") {
		t.Fatalf("exhausted run: %v", run)
	}
	// The last attempt is not followed by a retry: it failed.
	for i, want := range []string{"retry", "retry", "failed"} {
		if a := run["attempts"].([]any)[i]; get(a, "outcome") != want || get(a, "statusCode") != 500.0 {
			t.Errorf("attempt %d: %v, want outcome %s", i+1, a, want)
		}
	}
	after := s.scrape()
	for outcome, want := range map[string]float64{"retry": 2, "failed": 1, "delivered": 0} {
		series := `berth_delivery_attempts_total{backend="WEBHOOK",outcome="` + outcome + `"}`
		if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	logs := s.do("GET", "/v1/actions/runs/"+run["id"].(string)+"/logs", nil).want(t, 200).Body["runLogs"].([]any)
	if len(logs) != 2 || !strings.Contains(get(logs[0], "message").(string), "retrying") {
		t.Fatalf("logs: %v", logs)
	}
}

func TestSynchronizedWebhook(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	okRc := newReceiver(t)
	okRc.setReply(`{"id":"ext-42","url":"https://ci.example/42"}`)
	failRc := newReceiver(t, 502)
	s.do("POST", "/v1/actions", webhookAutomation("sync_ok", okRc.URL, true)).want(t, 201)
	s.do("POST", "/v1/actions", webhookAutomation("sync_fail", failRc.URL, true)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)
	ok := waitStatus(t, s, "sync_ok", "SUCCESS")
	if get(ok, "response.id") != "ext-42" || ok["endedAt"] == nil {
		t.Fatalf("sync success: %v", ok)
	}
	failed := waitStatus(t, s, "sync_fail", "FAILURE")
	if !strings.Contains(failed["summary"].(string), "502") || len(failRc.requests()) != 1 {
		t.Fatalf("sync failure: %v", failed)
	}
}

func TestPrivateTargetsRefusedByDefault(t *testing.T) {
	t.Parallel()
	s := startServer(t) // BERTH_ALLOW_PRIVATE_TARGETS unset
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", automation("ssrf", "ENTITY_CREATED", map[string]any{"blueprintIdentifier": "domain"}, rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/domain/entities", map[string]any{"identifier": "d"}).want(t, 201)
	run := waitStatus(t, s, "ssrf", "FAILURE")
	logs := s.do("GET", "/v1/actions/runs/"+run["id"].(string)+"/logs", nil).Body["runLogs"].([]any)
	if len(logs) == 0 || !strings.Contains(get(logs[0], "message").(string), "BERTH_ALLOW_PRIVATE_TARGETS") {
		t.Fatalf("no log line saying why: %v", logs)
	}
	if len(rc.requests()) != 0 {
		t.Fatal("the loopback receiver was called")
	}
}

// TestWebhookBodyIsNotHTMLEscaped checks that "<", ">" and "&" reach the
// receiver as themselves, from the template, the trigger data and a secret
// alike: Port's documented verifier signs JSON.stringify(JSON.parse(body)),
// which writes them literally, so an escaped body would fail its check
// (spec 8.2).
func TestWebhookBodyIsNotHTMLEscaped(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "tok", "secretValue": "s3cr3t<&>"}).want(t, 201)
	a := webhookAutomation("escape", rc.URL, false)
	a["invocationMethod"].(map[string]any)["body"] = map[string]any{
		"literal": "a<b & c>d ü", "title": "{{ .event.diff.after.title }}", "secret": "{{ .secrets.tok }}"}
	s.do("POST", "/v1/actions", a).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e", "title": "<b>R&D</b>"}).want(t, 201)

	got := rc.waitFor(t, 1)[0]
	want := `{"literal":"a<b & c>d ü","secret":"s3cr3t<&>","title":"<b>R&D</b>"}` // keys as the definition was sent
	if string(got.Body) != want {
		t.Fatalf("body sent:\n%s\nwant:\n%s", got.Body, want)
	}
	if err := signing.VerifyHeaders([]byte(testClientSecret), got.Header, got.Body, time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestWebhookRedirects: a 302 would have Go resend the signed POST as a GET
// without body, whose signatures no longer verify, so berth does not follow
// it: the redirect is the endpoint's answer and a synchronized run fails
// saying where it pointed. A 307 resends the same signed request and is
// followed.
func TestWebhookRedirects(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	landing := newReceiver(t)
	redirects := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		http.Redirect(w, r, landing.URL+"/landed"+r.URL.Path, status)
	}))
	t.Cleanup(redirects.Close)
	s.do("POST", "/v1/actions", webhookAutomation("moved", redirects.URL+"/302", true)).want(t, 201)
	s.do("POST", "/v1/actions", webhookAutomation("kept", redirects.URL+"/307", true)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)

	moved := waitStatus(t, s, "moved", "FAILURE")
	summary, _ := moved["summary"].(string)
	if !strings.Contains(summary, "redirected") || !strings.Contains(summary, landing.URL+"/landed/302") {
		t.Fatalf("summary %q does not say where the webhook redirected", summary)
	}
	if atts := moved["attempts"].([]any); len(atts) != 1 || get(atts[0], "outcome") != "failed" || get(atts[0], "statusCode") != 302.0 {
		t.Fatalf("attempts: %v", atts)
	}
	waitStatus(t, s, "kept", "SUCCESS")
	got := landing.requests()
	if len(got) != 1 || got[0].Path != "/landed/307" || got[0].Method != "POST" || len(got[0].Body) == 0 {
		t.Fatalf("the redirect target got %v, want the 307's POST only", got)
	}
	if err := signing.VerifyHeaders([]byte(testClientSecret), got[0].Header, got[0].Body, time.Minute, time.Now()); err != nil {
		t.Fatalf("followed 307: %v", err)
	}
}

// TestWebhookTemplatedMethod: a templated method is checked once rendered;
// one outside spec 6.1's fails the run without a request.
func TestWebhookTemplatedMethod(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	traced, put := newReceiver(t), newReceiver(t)
	for id, rc := range map[string]*receiver{"TRACE": traced, "PUT": put} {
		a := webhookAutomation(strings.ToLower(id), rc.URL, true)
		a["invocationMethod"].(map[string]any)["method"] = `{{ "` + id + `" }}`
		s.do("POST", "/v1/actions", a).want(t, 201)
	}
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "e"}).want(t, 201)

	failed := waitStatus(t, s, "trace", "FAILURE")
	if summary, _ := failed["summary"].(string); !strings.Contains(summary, `"TRACE"`) {
		t.Fatalf("summary %q does not name the method", summary)
	}
	traced.quiet(t, 0)
	waitStatus(t, s, "put", "SUCCESS")
	if got := put.requests(); len(got) != 1 || got[0].Method != "PUT" {
		t.Fatalf("templated PUT sent %v", got)
	}
}
