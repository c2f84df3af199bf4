package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/metrics"
)

type counts map[string]int

func (c counts) CountJobs(_ context.Context, kind string) (int, error) {
	if kind == "broken" {
		return 0, errors.New("store down")
	}
	return c[kind], nil
}

func runDoc(status string) json.RawMessage {
	return json.RawMessage(`{"id":"r_1","status":"` + status + `"}`)
}

func TestSeries(t *testing.T) {
	m := metrics.New()
	m.WatchQueue(func() metrics.JobCounter { return counts{"deliver": 2, "timer": 5} }, []string{"match", "deliver", "broken"},
		"timer", slog.New(slog.NewTextHandler(io.Discard, nil)))
	run := func(action string, before, after json.RawMessage) *berth.Event {
		return &berth.Event{ResourceType: berth.ResourceRun, Action: action, ActionIdentifier: "deploy",
			Trigger: berth.Trigger{Origin: berth.OriginAPI}, Before: before, After: after}
	}
	m.Committed([]*berth.Event{
		{ResourceType: berth.ResourceEntity, Action: berth.ActionCreate},
		run(berth.ActionCreate, nil, runDoc(berth.RunInProgress)),
		run(berth.ActionUpdate, runDoc(berth.RunInProgress), runDoc(berth.RunSuccess)),
		run(berth.ActionUpdate, runDoc(berth.RunSuccess), runDoc(berth.RunSuccess)), // a late response: not a second finish
		run(berth.ActionCreate, nil, runDoc(berth.RunFailure)),                      // failed at creation (template)
	})
	m.Delivered("WEBHOOK", "retry", 20*time.Millisecond)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`berth_events_total{action="CREATE",resource="entity"} 1`,
		`berth_events_total{action="CREATE",resource="run"} 2`,
		`berth_events_total{action="UPDATE",resource="run"} 2`,
		`berth_runs_created_total{action="deploy",origin="API"} 2`,
		`berth_runs_finished_total{status="SUCCESS"} 1`,
		`berth_runs_finished_total{status="FAILURE"} 1`,
		`berth_delivery_attempts_total{backend="WEBHOOK",outcome="retry"} 1`,
		`berth_delivery_duration_seconds_bucket{backend="WEBHOOK",le="0.025"} 1`,
		`berth_delivery_duration_seconds_bucket{backend="WEBHOOK",le="0.01"} 0`,
		`berth_queue_jobs{kind="deliver"} 2`,
		`berth_queue_jobs{kind="match"} 0`,
		`berth_timers_pending 5`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("no %q in\n%s", line, body)
		}
	}
	if strings.Contains(body, `kind="broken"`) {
		t.Error("a kind whose count failed is reported")
	}
}
