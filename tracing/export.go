package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/engine"
)

// Config says where traces go.
type Config struct {
	// Endpoint is the full URL spans are POSTed to, such as
	// http://otel-collector:4318/v1/traces.
	Endpoint string
	// Headers are sent with every export (authentication, tenancy).
	Headers map[string]string
	// ServiceName is the service.name resource attribute (default berth).
	ServiceName string
	// BatchSize and Interval bound how many spans wait and for how long
	// before they are sent (defaults 256 and 2s).
	BatchSize int
	Interval  time.Duration
}

// ConfigFromEnv reads the standard OpenTelemetry variables:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (a full URL) or
// OTEL_EXPORTER_OTLP_ENDPOINT (a base URL, /v1/traces is added),
// OTEL_EXPORTER_OTLP_HEADERS (k=v,k=v), OTEL_SERVICE_NAME,
// OTEL_BSP_SCHEDULE_DELAY (ms), OTEL_BSP_MAX_EXPORT_BATCH_SIZE and
// OTEL_EXPORTER_OTLP_PROTOCOL, which may only be http/json (berth sends
// nothing else). ok is false when no endpoint is set: tracing is off.
func ConfigFromEnv(getenv func(string) string) (cfg Config, ok bool, err error) {
	cfg.Endpoint = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if cfg.Endpoint == "" {
		if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base != "" {
			cfg.Endpoint = strings.TrimRight(base, "/") + "/v1/traces"
		}
	}
	if cfg.Endpoint == "" {
		return cfg, false, nil
	}
	if u, err := url.Parse(cfg.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, false, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT %q: want an http:// or https:// URL", cfg.Endpoint)
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := getenv(name); p != "" && p != "http/json" {
			return cfg, false, fmt.Errorf("%s %q: berth exports traces as http/json only (OTLP over HTTP, JSON encoding)", name, p)
		}
	}
	cfg.Headers = map[string]string{}
	for _, kv := range strings.Split(getenv("OTEL_EXPORTER_OTLP_HEADERS"), ",") {
		if k, v, found := strings.Cut(kv, "="); found && strings.TrimSpace(k) != "" {
			key, _ := url.QueryUnescape(strings.TrimSpace(k))
			val, _ := url.QueryUnescape(strings.TrimSpace(v))
			cfg.Headers[key] = val
		}
	}
	cfg.ServiceName = getenv("OTEL_SERVICE_NAME")
	if v := getenv("OTEL_BSP_SCHEDULE_DELAY"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return cfg, false, fmt.Errorf("OTEL_BSP_SCHEDULE_DELAY %q: want milliseconds", v)
		}
		cfg.Interval = time.Duration(ms) * time.Millisecond
	}
	if v := getenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return cfg, false, fmt.Errorf("OTEL_BSP_MAX_EXPORT_BATCH_SIZE %q: want a positive number", v)
		}
		cfg.BatchSize = n
	}
	return cfg, true, nil
}

// Tracer records the engine's work as spans and exports them in batches
// from a goroutine of its own: the engine never waits for the collector.
// When the collector falls behind, spans beyond a buffer are dropped.
type Tracer struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	spans  chan span
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu        sync.Mutex
	lastError time.Time // of the last export failure logged
}

var _ engine.Observer = (*Tracer)(nil)

// New starts a tracer exporting to cfg.Endpoint. Close flushes and stops it.
func New(cfg Config, log *slog.Logger) *Tracer {
	if cfg.ServiceName == "" {
		cfg.ServiceName = "berth"
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	t := &Tracer{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}, log: log,
		spans: make(chan span, 16*cfg.BatchSize), stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t
}

// Matched records an event's match that created runs (or failed); events
// that fire nothing make no trace.
func (t *Tracer) Matched(ev *berth.Event, runs int, start time.Time, err error) {
	if runs == 0 && err == nil {
		return
	}
	for _, s := range eventSpans(ev, start, time.Now(), runs, err) {
		t.add(s)
	}
}

// Delivered records a delivery attempt.
func (t *Tracer) Delivered(a engine.Attempt) {
	t.add(attemptSpan(a))
}

func (t *Tracer) add(s span) {
	select {
	case t.spans <- s:
	default: // the collector is behind: drop rather than slow the engine
	}
}

// Close sends the spans still waiting, within ctx's deadline, and stops.
func (t *Tracer) Close(ctx context.Context) {
	t.once.Do(func() { close(t.stop) })
	select {
	case <-t.done:
	case <-ctx.Done():
	}
}

func (t *Tracer) run() {
	defer close(t.done)
	tick := time.NewTicker(t.cfg.Interval)
	defer tick.Stop()
	var batch []span
	flush := func() {
		if len(batch) > 0 {
			t.export(batch)
			batch = nil
		}
	}
	for {
		select {
		case s := <-t.spans:
			if batch = append(batch, s); len(batch) >= t.cfg.BatchSize {
				flush()
			}
		case <-tick.C:
			flush()
		case <-t.stop:
			for {
				select {
				case s := <-t.spans:
					batch = append(batch, s)
				default:
					flush()
					return
				}
			}
		}
	}
}

// export POSTs one batch as an OTLP ExportTraceServiceRequest.
func (t *Tracer) export(spans []span) {
	body, err := json.Marshal(map[string]any{"resourceSpans": []any{map[string]any{
		"resource": map[string]any{"attributes": []attribute{str("service.name", t.cfg.ServiceName)}},
		"scopeSpans": []any{map[string]any{
			"scope": map[string]any{"name": "github.com/berthdev/berth/engine"},
			"spans": spans,
		}},
	}}})
	if err != nil {
		t.failed(err)
		return
	}
	req, err := http.NewRequest(http.MethodPost, t.cfg.Endpoint, bytes.NewReader(body))
	if err != nil {
		t.failed(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range t.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		t.failed(err)
		return
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		t.failed(fmt.Errorf("the collector answered %s", resp.Status))
	}
}

// failed logs an export failure, at most once a minute.
func (t *Tracer) failed(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if time.Since(t.lastError) < time.Minute {
		return
	}
	t.lastError = time.Now()
	t.log.Warn("exporting traces failed; spans were dropped", "endpoint", t.cfg.Endpoint, "err", err)
}

// itoa is strconv.Itoa, for span ids.
func itoa(n int) string { return strconv.Itoa(n) }
