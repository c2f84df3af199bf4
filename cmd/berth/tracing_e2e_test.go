package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// collector is an OTLP/HTTP endpoint that keeps the spans it gets.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	spans []map[string]any
	names []string // service.name of each export
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Tenant") != "acme" {
			t.Errorf("export: %s %s %v", r.Method, r.URL.Path, r.Header)
		}
		var req struct {
			ResourceSpans []struct {
				Resource struct {
					Attributes []struct {
						Key   string
						Value struct{ StringValue string }
					}
				}
				ScopeSpans []struct{ Spans []map[string]any }
			}
		}
		if err := json.Unmarshal(body, &req); err != nil {
			t.Errorf("export is not OTLP JSON: %v", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, rs := range req.ResourceSpans {
			c.names = append(c.names, rs.Resource.Attributes[0].Value.StringValue)
			for _, ss := range rs.ScopeSpans {
				c.spans = append(c.spans, ss.Spans...)
			}
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(c.Close)
	return c
}

// byName returns the spans received so far, by name.
func (c *collector) byName() map[string][]map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]map[string]any{}
	for _, s := range c.spans {
		out[s["name"].(string)] = append(out[s["name"].(string)], s)
	}
	return out
}

// TestTracesFollowAnEventToItsDelivery checks that with
// OTEL_EXPORTER_OTLP_ENDPOINT set, an entity change that fires an
// automation makes one trace: the event, its match, the delivery attempts.
func TestTracesFollowAnEventToItsDelivery(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	s := startEngine(t, "OTEL_EXPORTER_OTLP_ENDPOINT", col.URL, "OTEL_BSP_SCHEDULE_DELAY", "20",
		"OTEL_EXPORTER_OTLP_HEADERS", "X-Tenant=acme", "OTEL_SERVICE_NAME", "berth-test",
		"BERTH_DELIVERY_INITIAL_BACKOFF", "10ms")
	rc := newReceiver(t, 503)
	s.do("POST", "/v1/actions", onService("notify", "ENTITY_CREATED", rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "a"}).want(t, 201)
	rc.waitFor(t, 2)

	var spans map[string][]map[string]any
	eventually(t, func() bool {
		spans = col.byName()
		return len(spans["berth.event entity CREATE"]) == 1 && len(spans["berth.match"]) == 1 && len(spans["berth.deliver WEBHOOK"]) == 2
	}, "the event's spans; got %v", func() map[string][]map[string]any { return col.byName() }())
	event, match := spans["berth.event entity CREATE"][0], spans["berth.match"][0]
	trace := event["traceId"]
	if len(trace.(string)) != 32 || match["traceId"] != trace || match["parentSpanId"] != event["spanId"] {
		t.Fatalf("match is not under the event: %v / %v", event, match)
	}
	for i, d := range spans["berth.deliver WEBHOOK"] {
		if d["traceId"] != trace || d["parentSpanId"] != match["spanId"] {
			t.Fatalf("attempt %d is not under the match: %v", i, d)
		}
	}
	// Entity changes that fire nothing make no trace.
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "quiet", "title": "Quiet", "schema": map[string]any{"properties": map[string]any{}}}).want(t, 201)
	s.do("POST", "/v1/blueprints/quiet/entities", map[string]any{"identifier": "q"}).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "b"}).want(t, 201)
	eventually(t, func() bool { return len(col.byName()["berth.event entity CREATE"]) == 2 }, "the spans of b")
	s.stop() // flushes
	for _, sp := range col.byName()["berth.event entity CREATE"] {
		for _, a := range sp["attributes"].([]any) {
			if get(a, "key") == "berth.blueprint" && get(a, "value.stringValue") == "quiet" {
				t.Fatalf("an event that fired nothing was traced: %v", sp)
			}
		}
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.names[0] != "berth-test" {
		t.Fatalf("service.name %q", col.names[0])
	}
}
