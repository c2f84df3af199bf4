package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a real `berth serve` running in-process on a free loopback
// port, stopped (through its context) when the test ends.
type testServer struct {
	t      testing.TB
	URL    string
	DB     string
	env    map[string]string
	token  string
	cancel context.CancelFunc
	done   chan error
	stdout *bytes.Buffer
	logs   lockedBuffer
}

// lockedBuffer collects the server's log lines for assertions.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const (
	testClientID     = "test-client"
	testClientSecret = "test-secret-0123456789abcdef0123456789abcdef"
)

// startServer starts berth on a fresh SQLite file with fixed credentials.
func startServer(t testing.TB, env ...string) *testServer {
	t.Helper()
	return startServerOn(t, filepath.Join(t.TempDir(), "berth.db"), env...)
}

// startServerOn is startServer with the store at db: a SQLite file or a
// postgres:// URL.
func startServerOn(t testing.TB, db string, env ...string) *testServer {
	t.Helper()
	s := &testServer{t: t, DB: db, env: map[string]string{
		"BERTH_CLIENT_ID": testClientID, "BERTH_CLIENT_SECRET": testClientSecret, "BERTH_ORG_ID": "org_test",
	}}
	for i := 0; i+1 < len(env); i += 2 {
		s.env[env[i]] = env[i+1]
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) start() {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done, s.stdout = cancel, make(chan error, 1), &bytes.Buffer{}
	logs, logw := io.Pipe()
	getenv := func(k string) string { return s.env[k] }
	go func() {
		err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", s.DB, "--log-level", "info"}, getenv, nil, s.stdout, logw)
		logw.Close()
		s.done <- err
	}()
	// Learn the port from the server's "berth serving" log line.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "berth serving" {
				addr <- line.Addr
			}
			s.logs.Write(append(sc.Bytes(), '\n'))
		}
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case err := <-s.done:
		s.t.Fatalf("berth serve exited early: %v", err)
	case <-time.After(30 * time.Second):
		s.t.Fatal("berth serve did not start within 30s")
	}
}

func (s *testServer) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	if err := <-s.done; err != nil {
		s.t.Errorf("berth serve: %v", err)
	}
	s.cancel = nil
}

// restart stops the server and starts it again on the same database.
func (s *testServer) restart() {
	s.stop()
	s.token = ""
	s.start()
}

// response is a decoded API answer.
type response struct {
	Status int
	Body   map[string]any
	Raw    string
	Header http.Header
}

// do sends a request with a bearer token (fetched once) and a JSON body
// (a string is sent as-is).
func (s *testServer) do(method, path string, body any) response {
	s.t.Helper()
	if s.token == "" {
		s.token = s.accessToken()
	}
	return s.send(method, path, body, map[string]string{"Authorization": "Bearer " + s.token})
}

func (s *testServer) send(method, path string, body any, headers map[string]string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Raw: string(raw), Header: resp.Header}
	json.Unmarshal(raw, &r.Body)
	return r
}

func (s *testServer) accessToken() string {
	s.t.Helper()
	r := s.send("POST", "/v1/auth/access_token", map[string]string{"clientId": testClientID, "clientSecret": testClientSecret}, nil)
	if r.Status != 200 {
		s.t.Fatalf("access token: %d %s", r.Status, r.Raw)
	}
	return r.Body["accessToken"].(string)
}

// want fails the test unless r has the given status.
func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Raw)
	}
	return r
}

// wantError fails the test unless r is an error envelope with the status
// and, when field is not empty, a fields entry naming it.
func (r response) wantError(t testing.TB, status int, field string) {
	t.Helper()
	r.want(t, status)
	if r.Body["ok"] != false || r.Body["error"] == nil || r.Body["message"] == nil {
		t.Fatalf("not an error envelope: %s", r.Raw)
	}
	if field == "" {
		return
	}
	fields, _ := r.Body["fields"].([]any)
	for _, f := range fields {
		if f.(map[string]any)["field"] == field {
			return
		}
	}
	t.Fatalf("error does not name field %q: %s", field, r.Raw)
}

// get walks a decoded JSON value by keys and indexes ("entity.properties.x").
func get(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			if _, err := fmtSscan(k, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func fmtSscan(s string, i *int) (int, error) { return fmt.Sscan(s, i) }
