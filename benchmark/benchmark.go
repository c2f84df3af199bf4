// Package benchmark measures berth end to end, the way `berth bench` runs
// it: entity writes through the HTTP API, automation runs, webhooks received
// on loopback; and, in the same run, the limits of the machine it runs on
// (the raw loopback HTTP rate and the store's durable-insert rate).
package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what a benchmark run measures.
type Config struct {
	URL          string   // berth under test
	MoreURLs     []string // further instances sharing its database: writes are spread over all
	ClientID     string   // its credentials
	ClientSecret string
	Template     string        // path of the invocation template (notify-template.json)
	Duration     time.Duration // of the throughput and latency phases (default 10s)
	Warmup       time.Duration // excluded from the throughput count (default 2s)
	Rate         int           // events/s of the latency phase (default 200)
	Writers      int           // concurrent writers of the throughput phase (default 32)
	// Bulk > 1 makes each throughput write a bulk create of that many
	// entities (POST .../entities/bulk, at most 20), as integrations ingest.
	Bulk int
	DB   string // "sqlite" or "postgres", for the report
	// StoreLimit measures the store's raw durable-insert rate for d.
	StoreLimit func(ctx context.Context, d time.Duration) (float64, error)
	Out        io.Writer // the readable summary
	// Profile, if set, is called when the throughput phase's measurement
	// starts, and what it returns when it ends (a CPU profile, say).
	Profile func() (stop func())
}

// Result is the report's last line.
type Result struct {
	ThroughputRunsPerS float64 `json:"throughput_runs_per_s"`
	LatencyRatePerS    float64 `json:"latency_rate_per_s"`
	LatencyP50MS       float64 `json:"latency_p50_ms"`
	LatencyP99MS       float64 `json:"latency_p99_ms"`
	LatencyMaxMS       float64 `json:"latency_max_ms"`
	// From the write's request sent (rather than its acknowledgement
	// received) to the webhook: delivery starts at the commit, so a
	// webhook often arrives before the writer has read its response, and
	// then counts 0 ms above.
	LatencySentP50MS float64 `json:"latency_sent_p50_ms"`
	LatencySentP99MS float64 `json:"latency_sent_p99_ms"`
	HTTPLimitPerS    float64 `json:"http_limit_per_s"`
	StoreLimitPerS   float64 `json:"store_limit_per_s"`
	DB               string  `json:"db"`
	Instances        int     `json:"instances"`
	Bulk             int     `json:"bulk"` // entities per write of the throughput phase
	// CPU use during the throughput phase, in percent of all the
	// machine's CPUs (Linux only; 0 elsewhere): the whole machine, and
	// this process (the load generator and receiver, and the server unless
	// --url).
	CPUMachinePct float64 `json:"cpu_machine_pct"`
	CPUProcessPct float64 `json:"cpu_process_pct"`
}

// Run runs the benchmark and returns its result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = withDefaults(cfg)
	rc, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer rc.close()
	c, err := newClient(cfg.URL, cfg.ClientID, cfg.ClientSecret)
	if err != nil {
		return nil, err
	}
	writers := []*client{c}
	for _, u := range cfg.MoreURLs {
		writers = append(writers, &client{url: u, token: c.token, http: c.http})
	}
	prefix := "bench" + fmt.Sprint(time.Now().UnixNano()%1e6)
	if err := setup(c, cfg.Template, rc.url, prefix); err != nil {
		return nil, err
	}
	res := &Result{DB: cfg.DB, Instances: len(writers), Bulk: max(cfg.Bulk, 1)}
	fmt.Fprintf(cfg.Out, "berth bench: %s store, %d instance(s), %s per phase, latency at %d events/s\n", cfg.DB, len(writers), cfg.Duration, cfg.Rate)
	var cpu cpuUse
	if res.ThroughputRunsPerS, cpu, err = throughput(ctx, writers, rc, cfg, prefix); err != nil {
		return nil, err
	}
	how := "one entity per request"
	if cfg.Bulk > 1 {
		how = fmt.Sprintf("bulk creates of %d", cfg.Bulk)
	}
	fmt.Fprintf(cfg.Out, "  throughput: %.0f runs delivered/s (sustained, %d writers, %s, after %s warm-up)\n", res.ThroughputRunsPerS, cfg.Writers, how, cfg.Warmup)
	if cpu.Known {
		res.CPUMachinePct, res.CPUProcessPct = cpu.Machine, cpu.Process
		fmt.Fprintf(cfg.Out, "  CPU meanwhile: machine %.0f%% busy, this process %.0f%% (of all %d CPUs)\n",
			cpu.Machine, cpu.Process, runtime.NumCPU())
	}
	if err := drain(ctx, c, rc, 60*time.Second); err != nil {
		return nil, err
	}
	lat, err := latency(ctx, writers, rc, cfg, prefix)
	if err != nil {
		return nil, err
	}
	res.LatencyRatePerS, res.LatencyP50MS, res.LatencyP99MS, res.LatencyMaxMS = lat.rate, lat.p50, lat.p99, lat.max
	res.LatencySentP50MS, res.LatencySentP99MS = lat.sentP50, lat.sentP99
	fmt.Fprintf(cfg.Out, "  latency at %.0f events/s (write acknowledged → webhook received): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		lat.rate, lat.p50, lat.p99, lat.max)
	fmt.Fprintf(cfg.Out, "    (from the write sent: p50 %.1f ms, p99 %.1f ms; a webhook that arrives before the acknowledgement counts 0 above)\n",
		lat.sentP50, lat.sentP99)
	if res.HTTPLimitPerS, err = httpLimit(ctx, rc, cfg); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Out, "  limit: raw loopback HTTP %.0f requests/s (same client, same receiver)\n", res.HTTPLimitPerS)
	if cfg.StoreLimit != nil {
		if res.StoreLimitPerS, err = cfg.StoreLimit(ctx, min(cfg.Duration, 5*time.Second)); err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Out, "  limit: store durable inserts %.0f/s (one row per transaction)\n", res.StoreLimitPerS)
	}
	return res, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = min(2*time.Second, cfg.Duration/4)
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 200
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 32
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	return cfg
}

// setup creates the blueprint and the automation whose invocation is the
// template, pointed at the receiver (the entity id in the path lets the
// receiver time each delivery).
func setup(c *client, templatePath, receiverURL, prefix string) error {
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		return fmt.Errorf("reading the template: %w", err)
	}
	var inv map[string]any
	if err := json.Unmarshal(raw, &inv); err != nil {
		return fmt.Errorf("template %s: %w", templatePath, err)
	}
	// Keep the template's key order: replace only the url's value.
	var urlBefore string
	if u, ok := inv["url"].(string); ok {
		urlBefore = u
	}
	target := receiverURL + "/notify/{{ .event.context.entityIdentifier }}"
	orderedRaw := bytes.Replace(raw, mustJSON(urlBefore), mustJSON(target), 1)
	bp := prefix + "_svc"
	if err := c.call("POST", "/v1/blueprints", map[string]any{"identifier": bp, "title": "Bench service",
		"schema": map[string]any{"properties": map[string]any{
			"version": map[string]any{"type": "string"}, "replicas": map[string]any{"type": "number"}}}}, nil, 201); err != nil {
		return err
	}
	def := fmt.Sprintf(`{"identifier":%q,"title":"Bench notify","trigger":{"type":"automation","event":{"type":"ANY_ENTITY_CHANGE","blueprintIdentifier":%q}},"invocationMethod":%s,"publish":true}`,
		prefix+"_notify", bp, orderedRaw)
	return c.call("POST", "/v1/actions", json.RawMessage(def), nil, 201)
}

func mustJSON(s string) []byte { b, _ := json.Marshal(s); return b }

// throughput writes entities as fast as the server takes them and returns
// the rate of webhooks received after the warm-up, and how busy the CPUs
// were meanwhile.
func throughput(ctx context.Context, clients []*client, rc *receiver, cfg Config, prefix string) (float64, cpuUse, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Value
	var created atomic.Int64
	for w := range cfg.Writers {
		c := clients[w%len(clients)]
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				if cfg.Bulk > 1 {
					entities := make([]any, cfg.Bulk)
					for k := range entities {
						entities[k] = map[string]any{"identifier": fmt.Sprintf("t-%d-%d-%d", w, i, k), "properties": map[string]any{"version": "v1", "replicas": i}}
					}
					err = c.call("POST", "/v1/blueprints/"+prefix+"_svc/entities/bulk", map[string]any{"entities": entities}, nil, 200)
				} else {
					e := map[string]any{"identifier": fmt.Sprintf("t-%d-%d", w, i), "properties": map[string]any{"version": "v1", "replicas": i}}
					err = c.call("POST", "/v1/blueprints/"+prefix+"_svc/entities", e, nil, 201)
				}
				if err != nil {
					if ctx.Err() == nil {
						failed.Store(err)
						return
					}
				} else {
					created.Add(int64(max(cfg.Bulk, 1)))
				}
			}
		})
	}
	select {
	case <-time.After(cfg.Warmup):
	case <-ctx.Done():
	}
	stopProfile := func() {}
	if cfg.Profile != nil {
		stopProfile = cfg.Profile()
	}
	start, from, createdFrom, meter := time.Now(), rc.received.Load(), created.Load(), readCPU()
	<-ctx.Done()
	elapsed, got, writes, cpu := time.Since(start), rc.received.Load()-from, created.Load()-createdFrom, meter.since()
	stopProfile()
	wg.Wait()
	fmt.Fprintf(cfg.Out, "  (entity writes acknowledged meanwhile: %.0f/s)\n", float64(writes)/elapsed.Seconds())
	if err, ok := failed.Load().(error); ok {
		return 0, cpu, fmt.Errorf("throughput phase: %w", err)
	}
	return float64(got) / elapsed.Seconds(), cpu, nil
}

// drain waits until the server has no runs left to deliver, so phases do
// not disturb each other.
func drain(ctx context.Context, c *client, rc *receiver, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	last, stable := rc.received.Load(), 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		n := rc.received.Load()
		if n == last {
			if stable++; stable >= 3 {
				return nil
			}
		} else {
			last, stable = n, 0
		}
	}
	return ctx.Err()
}

type latencyResult struct{ rate, p50, p99, max, sentP50, sentP99 float64 }

// latency writes entities at a fixed rate and measures, for each, the time
// from the write's acknowledgement to its webhook's arrival.
func latency(ctx context.Context, clients []*client, rc *receiver, cfg Config, prefix string) (latencyResult, error) {
	interval := time.Second / time.Duration(cfg.Rate)
	n := int(cfg.Duration / interval)
	sent, acked := make([]time.Time, n), make([]time.Time, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		ids[i] = fmt.Sprintf("l-%d", i)
		c := clients[i%len(clients)]
		wg.Go(func() {
			e := map[string]any{"identifier": ids[i], "properties": map[string]any{"version": "v1", "replicas": i}}
			sent[i] = time.Now()
			if err := c.call("POST", "/v1/blueprints/"+prefix+"_svc/entities", e, nil, 201); err != nil {
				failed.Store(err)
				return
			}
			acked[i] = time.Now()
		})
	}
	wg.Wait()
	rate := float64(n) / time.Since(start).Seconds()
	if err, ok := failed.Load().(error); ok {
		return latencyResult{}, fmt.Errorf("latency phase: %w", err)
	}
	if err := drain(ctx, clients[0], rc, 60*time.Second); err != nil {
		return latencyResult{}, err
	}
	var ms, fromSent []float64
	for i, id := range ids {
		at, ok := rc.arrival(id)
		if !ok {
			return latencyResult{}, fmt.Errorf("latency phase: the webhook of entity %s never arrived", id)
		}
		ms = append(ms, max(float64(at.Sub(acked[i]).Microseconds())/1000, 0))
		fromSent = append(fromSent, float64(at.Sub(sent[i]).Microseconds())/1000)
	}
	sort.Float64s(ms)
	sort.Float64s(fromSent)
	pick := func(xs []float64, q float64) float64 { return xs[min(int(q*float64(len(xs))), len(xs)-1)] }
	return latencyResult{rate: rate, p50: pick(ms, 0.50), p99: pick(ms, 0.99), max: ms[len(ms)-1],
		sentP50: pick(fromSent, 0.50), sentP99: pick(fromSent, 0.99)}, nil
}

// httpLimit measures the raw loopback request rate between a client like
// berth's and the same receiver: the ceiling for webhook deliveries here.
func httpLimit(ctx context.Context, rc *receiver, cfg Config) (float64, error) {
	c := &client{url: rc.url, http: newClientHTTP()}
	body := strings.Repeat("x", 600) // about the size of a rendered notify body
	d := min(cfg.Duration, 5*time.Second)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if c.call("POST", "/notify/limit", body, nil, 204) == nil {
					count.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds(), nil
}
