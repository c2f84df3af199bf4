package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the berth binary for crash tests: a
// child started with BERTH_TEST_CHILD_ARGS runs berth with those arguments.
func TestMain(m *testing.M) {
	if args := os.Getenv("BERTH_TEST_CHILD_ARGS"); args != "" {
		os.Args = append([]string{"berth"}, strings.Fields(args)...)
		main()
		return
	}
	os.Exit(m.Run())
}

// child is a `berth serve` process.
type child struct {
	cmd  *exec.Cmd
	url  string
	logs *os.File
}

func startChild(t *testing.T, db, addr string, env ...string) *child {
	t.Helper()
	logs, err := os.Create(filepath.Join(t.TempDir(), "berth.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "BERTH_TEST_CHILD_ARGS=serve --addr "+addr+" --db "+db,
		"BERTH_CLIENT_ID="+testClientID, "BERTH_CLIENT_SECRET="+testClientSecret, "BERTH_ORG_ID=org_test",
		"BERTH_ALLOW_PRIVATE_TARGETS=true")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, url: "http://" + addr, logs: logs}
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	eventually(t, func() bool {
		resp, err := http.Get(c.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}, "the child berth to answer /healthz")
	return c
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCrashLosesNothing kills berth with SIGKILL while entity changes flow,
// restarts it, and checks that every committed change made exactly one run
// per matching automation, and that every run was delivered.
func TestCrashLosesNothing(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "berth.db")
	addr := freeAddr(t)
	c := startChild(t, db, addr)
	s := &testServer{t: t, URL: c.url}

	var mu sync.Mutex
	delivered := map[string]map[string]bool{} // event id + automation → run ids
	rc := newReceiver(t)
	rc.setHook(func(r received) {
		key := fmt.Sprint(r.JSON["event"], "/", r.JSON["automation"])
		mu.Lock()
		defer mu.Unlock()
		if delivered[key] == nil {
			delivered[key] = map[string]bool{}
		}
		delivered[key][fmt.Sprint(r.JSON["run"])] = true
	})
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "svc", "title": "Svc",
		"schema": map[string]any{"properties": map[string]any{"n": map[string]any{"type": "number"}}}}).want(t, 201)
	body := map[string]any{"event": "{{ .event.id }}", "automation": "{{ .action.identifier }}", "run": "{{ .run.id }}"}
	automations := []string{"on_create", "on_any"}
	for id, ev := range map[string]string{"on_create": "ENTITY_CREATED", "on_any": "ANY_ENTITY_CHANGE"} {
		s.do("POST", "/v1/actions", map[string]any{"identifier": id,
			"trigger":          map[string]any{"type": "automation", "event": map[string]any{"type": ev, "blueprintIdentifier": "svc"}},
			"invocationMethod": map[string]any{"type": "WEBHOOK", "url": rc.URL, "body": body}}).want(t, 201)
	}

	// Four writers create and update entities until the process dies.
	var acked atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("e-%d-%d", w, i)
				r := s.sendNoFail("POST", "/v1/blueprints/svc/entities", map[string]any{"identifier": id, "properties": map[string]any{"n": i}})
				if r == 201 {
					acked.Add(1)
				}
				if s.sendNoFail("PATCH", "/v1/blueprints/svc/entities/"+id, map[string]any{"properties": map[string]any{"n": i + 1}}) == 200 {
					acked.Add(1)
				}
			}
		})
	}
	eventually(t, func() bool { return acked.Load() >= 300 }, "300 acknowledged writes")
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
	stop()
	wg.Wait()

	startChild(t, db, addr)
	// Every committed entity change is in the change log (the same
	// transaction as the change); each must yield one run per automation.
	audits := s.do("GET", "/v1/audit-log?resources=entity&limit=10000", nil).want(t, 200).Body["audits"].([]any)
	if int64(len(audits)) < acked.Load() {
		t.Fatalf("the change log has %d entity changes, fewer than the %d acknowledged", len(audits), acked.Load())
	}
	want := map[string]bool{}
	for _, a := range audits {
		id := get(a, "identifier").(string)
		want[id+"/on_any"] = true
		if get(a, "action") == "CREATE" {
			want[id+"/on_create"] = true
		}
	}
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for k := range want {
			if len(delivered[k]) > 0 {
				n++
			}
		}
		return n == len(want)
	}, "a delivered run for each of %d (change, automation) pairs", len(want))
	mu.Lock()
	defer mu.Unlock()
	for k, runs := range delivered {
		if !want[k] {
			t.Errorf("a run was delivered for %s, which is no committed change", k)
		}
		if len(runs) != 1 {
			t.Errorf("%s made %d runs, want exactly 1", k, len(runs))
		}
	}
	runs := s.do("GET", "/v1/actions/runs?limit=1000", nil).Body["runs"].([]any)
	if len(want) <= 1000 && len(runs) != len(want) {
		t.Errorf("%d runs stored, want %d", len(runs), len(want))
	}
	t.Logf("%d acknowledged writes, %d committed changes, %d runs, automations %v", acked.Load(), len(audits), len(want), automations)
}

// sendNoFail sends a request and returns its status, or 0 when the server
// did not answer (it may have been killed).
func (s *testServer) sendNoFail(method, path string, body any) int {
	buf, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(string(buf)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
