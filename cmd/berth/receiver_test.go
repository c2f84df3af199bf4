package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint on loopback that records what it gets and
// answers with the statuses it is given, in order (then 200).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
	reply    string
	// onRequest, when set, runs (outside the lock) after a request is
	// recorded and before it is answered.
	onRequest func(received)
}

type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rc := &receiver{statuses: statuses, reply: `{"ok":true}`}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
		json.Unmarshal(body, &rec.JSON)
		rc.mu.Lock()
		rc.got = append(rc.got, rec)
		status := http.StatusOK
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		reply, hook := rc.reply, rc.onRequest
		rc.mu.Unlock()
		if hook != nil {
			hook(rec)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setReply(body string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reply = body
}

func (rc *receiver) setHook(f func(received)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.onRequest = f
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor polls until n requests arrived, failing after a generous timeout.
func (rc *receiver) waitFor(t *testing.T, n int) []received {
	t.Helper()
	eventually(t, func() bool { return len(rc.requests()) >= n }, "%d webhook requests", n)
	return rc.requests()
}

// eventually polls cond until it holds or 15 seconds pass.
func eventually(t *testing.T, cond func() bool, what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+what, args...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// quiet waits a little and checks that nothing more arrived: for asserting
// that something does NOT fire.
func (rc *receiver) quiet(t *testing.T, want int) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.requests()); n != want {
		t.Fatalf("receiver got %d requests, want %d", n, want)
	}
}
