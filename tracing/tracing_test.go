package tracing

import (
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/engine"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if _, on, err := ConfigFromEnv(env()); on || err != nil {
		t.Fatalf("no endpoint: on=%v err=%v", on, err)
	}
	cfg, on, err := ConfigFromEnv(env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/",
		"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20x, X-Tenant = acme", "OTEL_BSP_SCHEDULE_DELAY", "500"))
	if !on || err != nil || cfg.Endpoint != "http://collector:4318/v1/traces" || cfg.Headers["Authorization"] != "Bearer x" ||
		cfg.Headers["X-Tenant"] != "acme" || cfg.Interval != 500*time.Millisecond {
		t.Fatalf("base endpoint: %+v %v %v", cfg, on, err)
	}
	cfg, _, _ = ConfigFromEnv(env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b/traces"))
	if cfg.Endpoint != "https://b/traces" {
		t.Fatalf("traces endpoint wins: %s", cfg.Endpoint)
	}
	for _, bad := range [][]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a", "OTEL_BSP_SCHEDULE_DELAY", "soon"},
	} {
		if _, _, err := ConfigFromEnv(env(bad...)); err == nil || !strings.Contains(err.Error(), bad[len(bad)-2]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestSelfServiceAttemptsHaveTheirOwnTrace(t *testing.T) {
	run := &berth.Run{ID: "r_1", Action: berth.Ref{Identifier: "deploy"}, IdempotencyKey: "r_1"}
	s := attemptSpan(engine.Attempt{Run: run, Backend: "WEBHOOK", Outcome: "retry", Number: 1, Start: time.Now(),
		StatusCode: 503, Error: "status code 503"})
	if s.TraceID != traceID("r_1") || s.ParentSpanID != "" || s.Status.Code != statusError || len(s.SpanID) != 16 {
		t.Fatalf("span: %+v", s)
	}
	run.Automation, run.IdempotencyKey = "notify", "event_9/notify"
	s = attemptSpan(engine.Attempt{Run: run, Backend: "WEBHOOK", Outcome: "delivered", Number: 2, Start: time.Now()})
	if s.TraceID != traceID("event_9") || s.ParentSpanID != spanID("event_9", "match") || s.Status.Code != statusOK {
		t.Fatalf("automation span: %+v", s)
	}
}
