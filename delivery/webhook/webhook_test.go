package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/delivery/webhook"
	"github.com/berthdev/berth/netguard"
	"github.com/berthdev/berth/signing"
)

var secret = []byte("my-client-secret")

type hit struct {
	method string
	header http.Header
	body   []byte
}

// target is a receiver answering with status and body, recording requests.
func target(t *testing.T, status int, body string, delay time.Duration) (*httptest.Server, func() []hit) {
	var mu sync.Mutex
	var hits []hit
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hits = append(hits, hit{r.Method, r.Header.Clone(), b})
		mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []hit { mu.Lock(); defer mu.Unlock(); return append([]hit(nil), hits...) }
}

func deliver(t *testing.T, b *webhook.Backend, payload string) delivery.Result {
	t.Helper()
	return b.Deliver(context.Background(), delivery.Request{Run: &berth.Run{ID: "r_abc"}, Payload: json.RawMessage(payload),
		Attempt: 1, OrgID: "org_1", ClientSecret: secret})
}

func allowed() *webhook.Backend {
	return webhook.New(netguard.NewClient(netguard.Guard{AllowPrivate: true}, 2*time.Second, 0))
}

func TestSendsSignedRenderedRequest(t *testing.T) {
	t.Parallel()
	srv, hits := target(t, 202, "", 0)
	body := `{"msg":"a<b & ü","n":1}`
	res := deliver(t, allowed(), `{"type":"WEBHOOK","url":"`+srv.URL+`/hook?x=1","method":"PUT","headers":{"RUN_ID":"r_abc"},"body":`+body+`}`)
	if res.Outcome != delivery.Delivered || res.StatusCode != 202 || res.Finish != nil {
		t.Fatalf("result: %+v", res)
	}
	h := hits()[0]
	if h.method != "PUT" || string(h.body) != body || h.header.Get("RUN_ID") != "r_abc" || h.header.Get("Content-Type") != "application/json" {
		t.Fatalf("request: %s %q %v", h.method, h.body, h.header)
	}
	if err := signing.VerifyHeaders(secret, h.header, h.body, time.Minute, time.Now()); err != nil {
		t.Fatalf("signatures do not verify over the bytes sent: %v", err)
	}
	if h.header.Get("webhook-id") != "r_abc" {
		t.Errorf("webhook-id = %q, want the run id", h.header.Get("webhook-id"))
	}
}

func TestClassifiesAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		sync   bool
		want   delivery.Outcome
		finish string
	}{
		{200, false, delivery.Delivered, ""},
		{500, false, delivery.Retry, ""},
		{503, false, delivery.Retry, ""},
		{429, false, delivery.Retry, ""},
		{408, false, delivery.Retry, ""},
		{400, false, delivery.Failed, ""},
		{404, false, delivery.Failed, ""},
		{200, true, delivery.Delivered, berth.RunSuccess},
		{500, true, delivery.Delivered, berth.RunFailure},
	} {
		srv, _ := target(t, tc.status, `{"id":"ext-1"}`, 0)
		sync := "false"
		if tc.sync {
			sync = "true"
		}
		res := deliver(t, allowed(), `{"type":"WEBHOOK","url":"`+srv.URL+`","synchronized":`+sync+`,"body":{}}`)
		if res.Outcome != tc.want {
			t.Errorf("%d sync=%v: outcome %v, want %v", tc.status, tc.sync, res.Outcome, tc.want)
		}
		if tc.finish == "" && res.Finish != nil || tc.finish != "" && (res.Finish == nil || res.Finish.Status != tc.finish) {
			t.Errorf("%d sync=%v: finish %+v, want %q", tc.status, tc.sync, res.Finish, tc.finish)
		}
		if tc.finish != "" && string(res.Finish.Response) != `{"id":"ext-1"}` {
			t.Errorf("sync response stored as %s", res.Finish.Response)
		}
		if tc.status == 429 && res.RetryAfter != 7*time.Second {
			t.Errorf("Retry-After not honoured: %v", res.RetryAfter)
		}
	}
}

func TestRefusesPrivateTargetsByDefault(t *testing.T) {
	t.Parallel()
	srv, hits := target(t, 200, "", 0)
	b := webhook.New(netguard.NewClient(netguard.Guard{}, time.Second, 0))
	for _, url := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), "http://169.254.169.254/latest/meta-data"} {
		res := deliver(t, b, `{"type":"WEBHOOK","url":"`+url+`"}`)
		if res.Outcome != delivery.Failed || !strings.Contains(res.Error, "refused") || len(res.Logs) == 0 {
			t.Errorf("%s: %+v, want a permanent refusal with a log line", url, res)
		}
	}
	if len(hits()) != 0 {
		t.Fatal("a refused target was contacted")
	}
}

func TestTimesOut(t *testing.T) {
	t.Parallel()
	srv, _ := target(t, 200, "", 10*time.Second)
	b := webhook.New(netguard.NewClient(netguard.Guard{AllowPrivate: true}, 200*time.Millisecond, 0))
	res := deliver(t, b, `{"type":"WEBHOOK","url":"`+srv.URL+`"}`)
	if res.Outcome != delivery.Retry || res.Error == "" {
		t.Fatalf("hanging receiver: %+v, want a retryable timeout", res)
	}
	res = deliver(t, b, `{"type":"WEBHOOK","url":"`+srv.URL+`","synchronized":true}`)
	if res.Outcome != delivery.Failed {
		t.Fatalf("hanging receiver, synchronized: %+v, want failed", res)
	}
}

func TestBadRenderedInvocation(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{`{"type":"WEBHOOK","url":""}`, `{"type":"WEBHOOK","url":"ftp://x"}`, `{"type":"WEBHOOK","url":"http://%zz"}`} {
		if res := deliver(t, allowed(), payload); res.Outcome != delivery.Failed || res.Error == "" {
			t.Errorf("%s: %+v, want a permanent failure saying why", payload, res)
		}
	}
}

// TestRedirectsAreGuarded: a target the guard allows that redirects to an
// address it refuses (another loopback address, cloud metadata) is not
// followed there, and at most 3 redirects are followed.
func TestRedirectsAreGuarded(t *testing.T) {
	t.Parallel()
	inner, innerHits := target(t, 200, "", 0) // 127.0.0.1, not allowed
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 not available: %v", err)
	}
	hops := 0
	var mu sync.Mutex
	outer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hops++
		mu.Unlock()
		switch r.URL.Path {
		case "/to-loopback":
			http.Redirect(w, r, inner.URL+"/secret", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusTemporaryRedirect)
		case "/ok":
			w.WriteHeader(200)
		default: // /loop/N redirects to /loop/N+1 on itself
			var n int
			fmt.Sscanf(r.URL.Path, "/loop/%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/loop/%d", n+1), http.StatusFound)
		}
	}))
	outer.Listener.Close()
	outer.Listener = ln
	outer.Start()
	t.Cleanup(outer.Close)

	guard := netguard.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}
	b := webhook.New(netguard.NewClient(guard, 2*time.Second, 0))
	for _, payload := range []string{
		`{"type":"WEBHOOK","url":"` + outer.URL + `/to-loopback","method":"GET"}`, // a 302 is followed for a GET without body
		`{"type":"WEBHOOK","url":"` + outer.URL + `/to-metadata","body":{}}`,
	} {
		res := deliver(t, b, payload)
		if res.Outcome != delivery.Failed || !strings.Contains(res.Error, "refused to connect") || len(res.Logs) == 0 {
			t.Errorf("redirect %s: %+v, want a permanent refusal", payload, res)
		}
	}
	if n := len(innerHits()); n != 0 {
		t.Fatalf("the private target behind a redirect got %d requests", n)
	}
	if res := deliver(t, b, `{"type":"WEBHOOK","url":"`+outer.URL+`/ok"}`); res.Outcome != delivery.Delivered {
		t.Fatalf("allowed target: %+v", res)
	}
	mu.Lock()
	hops = 0
	mu.Unlock()
	res := deliver(t, b, `{"type":"WEBHOOK","url":"`+outer.URL+`/loop/0","method":"GET"}`)
	mu.Lock()
	defer mu.Unlock()
	if res.Outcome != delivery.Failed || !strings.Contains(res.Error, "redirects") || hops != 4 {
		t.Fatalf("redirect loop: %+v after %d requests, want a failure after the original request and 3 redirects", res, hops)
	}
}

// TestRedirectThatWouldDropTheBodyIsTheAnswer: a 301, 302 or 303 would turn
// the signed POST into a GET without body (whose signature no longer
// verifies), so it is not followed: the attempt fails saying where the
// endpoint redirected, and a synchronized run ends with it. A 307 or 308
// resends the same signed request and is followed.
func TestRedirectThatWouldDropTheBodyIsTheAnswer(t *testing.T) {
	t.Parallel()
	landing, landed := target(t, 200, `{"ok":true}`, 0)
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther} {
		for _, sync := range []bool{false, true} {
			redirect := httptest.NewServer(http.RedirectHandler(landing.URL+"/moved", status))
			t.Cleanup(redirect.Close)
			res := deliver(t, allowed(), fmt.Sprintf(`{"type":"WEBHOOK","url":%q,"synchronized":%v,"body":{"a":1}}`, redirect.URL, sync))
			if res.Outcome != delivery.Failed || res.StatusCode != status ||
				!strings.Contains(res.Error, "redirected") || !strings.Contains(res.Error, landing.URL+"/moved") {
				t.Errorf("%d sync=%v: %+v, want a failure saying where it redirected", status, sync, res)
			}
			if sync && (res.Finish == nil || res.Finish.Status != berth.RunFailure || res.Finish.Summary != res.Error) {
				t.Errorf("%d synchronized: finish %+v, want FAILURE with the redirect as summary", status, res.Finish)
			}
		}
	}
	if n := len(landed()); n != 0 {
		t.Fatalf("the redirect target got %d requests, want none", n)
	}

	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirect := httptest.NewServer(http.RedirectHandler(landing.URL+"/moved", status))
		t.Cleanup(redirect.Close)
		res := deliver(t, allowed(), `{"type":"WEBHOOK","url":"`+redirect.URL+`","synchronized":true,"body":{"a":1}}`)
		if res.Outcome != delivery.Delivered || res.Finish == nil || res.Finish.Status != berth.RunSuccess {
			t.Errorf("%d: %+v, want the redirect followed to a SUCCESS", status, res)
		}
	}
	hits := landed()
	if len(hits) != 2 {
		t.Fatalf("the redirect target got %d requests, want 2", len(hits))
	}
	for _, h := range hits {
		if h.method != "POST" || string(h.body) != `{"a":1}` {
			t.Errorf("followed redirect sent %s %q", h.method, h.body)
		}
		if err := signing.VerifyHeaders(secret, h.header, h.body, time.Minute, time.Now()); err != nil {
			t.Errorf("followed redirect: %v", err)
		}
	}
}

// TestRendersOnlyAllowedMethods: the method may be a template, so what it
// renders is checked before anything is sent (spec 6.1).
func TestRendersOnlyAllowedMethods(t *testing.T) {
	t.Parallel()
	srv, hits := target(t, 200, "", 0)
	for _, method := range []string{"TRACE", "CONNECT", "OPTIONS", "HEAD", "POST GET", "PURGE"} {
		for _, agent := range []bool{false, true} {
			payload := fmt.Sprintf(`{"type":"WEBHOOK","url":%q,"agent":%v,"method":%q,"body":{}}`, srv.URL, agent, method)
			res := deliver(t, allowed(), payload)
			if res.Outcome != delivery.Failed || !strings.Contains(res.Error, strconv.Quote(method)) || !strings.Contains(res.Error, "POST, PUT, PATCH, GET or DELETE") {
				t.Errorf("method %q agent=%v: %+v, want a permanent failure naming the method", method, agent, res)
			}
		}
	}
	if n := len(hits()); n != 0 {
		t.Fatalf("the target got %d requests, want none", n)
	}
	for _, method := range []string{"", "post", " Patch ", "GET", "DELETE"} {
		res := deliver(t, allowed(), fmt.Sprintf(`{"type":"WEBHOOK","url":%q,"method":%q}`, srv.URL, method))
		if res.Outcome != delivery.Delivered {
			t.Errorf("method %q: %+v", method, res)
		}
	}
	want := []string{"POST", "POST", "PATCH", "GET", "DELETE"}
	for i, h := range hits() {
		if h.method != want[i] {
			t.Errorf("request %d sent as %s, want %s", i, h.method, want[i])
		}
	}
}
