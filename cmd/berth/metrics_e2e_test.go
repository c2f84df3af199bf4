package main

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics (without a token) into series → value, keyed as the
// text format writes them: `name{label="value",...}`.
func (s *testServer) scrape() map[string]float64 {
	s.t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		body, _ := io.ReadAll(resp.Body)
		s.t.Fatalf("GET /metrics: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			s.t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

func TestMetricsMoveWithRuns(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	hooks := newReceiver(t)
	refusing := newReceiver(t, 400)
	s.do("POST", "/v1/actions", webhookAutomation("notify", hooks.URL, true)).want(t, 201)
	deploy := selfService("deploy")
	delete(deploy, "requiredApproval")
	deploy["invocationMethod"].(map[string]any)["url"] = refusing.URL
	s.do("POST", "/v1/actions", deploy).want(t, 201)
	before := s.scrape()
	for _, name := range []string{"berth_queue_jobs{kind=\"deliver\"}", "berth_queue_jobs{kind=\"match\"}", "berth_timers_pending",
		"go_goroutines", "process_open_fds"} {
		if _, ok := before[name]; !ok {
			t.Errorf("no series %s before any run", name)
		}
	}

	// The first delivery is held at the receiver: it is in the queue.
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	hooks.setHook(func(received) {
		select {
		case held <- struct{}{}:
			<-release
		default:
		}
	})
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "a",
		"properties": map[string]any{"ttl": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}}).want(t, 201)
	<-held
	if during := s.scrape(); during[`berth_queue_jobs{kind="deliver"}`] < 1 || during["berth_timers_pending"] != 1 {
		t.Errorf("while a delivery is in flight: deliver jobs %v, timers %v",
			during[`berth_queue_jobs{kind="deliver"}`], during["berth_timers_pending"])
	}
	close(release)
	for _, id := range []string{"b", "c"} {
		s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": id}).want(t, 201)
	}
	s.do("POST", "/v1/actions/deploy/runs", map[string]any{"entity": "a", "properties": map[string]any{"version": "1"}}).want(t, 202)
	eventually(t, func() bool {
		return len(s.do("GET", "/v1/actions/runs?active=true", nil).Body["runs"].([]any)) == 0 &&
			len(s.do("GET", "/v1/actions/runs", nil).Body["runs"].([]any)) == 4
	}, "4 runs to end")

	eventually(t, func() bool { return s.scrape()[`berth_queue_jobs{kind="deliver"}`] == 0 }, "the deliver queue to empty")
	after := s.scrape()
	for series, want := range map[string]float64{ // moved by
		`berth_events_total{action="CREATE",resource="entity"}`:                3,
		`berth_events_total{action="CREATE",resource="run"}`:                   4,
		`berth_runs_created_total{action="notify",origin="AUTOMATION"}`:        3,
		`berth_runs_created_total{action="deploy",origin="API"}`:               1,
		`berth_runs_finished_total{status="SUCCESS"}`:                          3,
		`berth_runs_finished_total{status="FAILURE"}`:                          1,
		`berth_delivery_attempts_total{backend="WEBHOOK",outcome="delivered"}`: 3,
		`berth_delivery_attempts_total{backend="WEBHOOK",outcome="failed"}`:    1,
		`berth_delivery_duration_seconds_count{backend="WEBHOOK"}`:             4,
		`berth_delivery_duration_seconds_bucket{backend="WEBHOOK",le="+Inf"}`:  4,
	} {
		if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	for series, want := range map[string]float64{`berth_queue_jobs{kind="deliver"}`: 0, "berth_timers_pending": 1} {
		if after[series] != want {
			t.Errorf("%s is %v, want %v", series, after[series], want)
		}
	}
	if after[`berth_delivery_duration_seconds_sum{backend="WEBHOOK"}`] <= 0 {
		t.Error("delivery durations were not observed")
	}
}
