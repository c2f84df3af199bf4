// Package metrics exposes berth's Prometheus series (berth_*) on a registry
// of its own, never the process-wide default one. The server wires it in:
// the store reports every committed change-log event (events received, runs
// created and finished are read from them, so they count only what was
// committed, whichever path made it), the engine reports delivery attempts,
// and a collector counts queued jobs and pending timers at scrape time.
package metrics

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berthdev/berth"
)

// Metrics holds berth's series. Its methods are safe for concurrent use.
type Metrics struct {
	reg          *prometheus.Registry
	events       *prometheus.CounterVec
	runsCreated  *prometheus.CounterVec
	runsFinished *prometheus.CounterVec
	attempts     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
}

// New returns berth's series registered on a new registry, together with
// the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_events_total",
			Help: "Change-log events committed, by resource (entity, run, ...) and action (CREATE, UPDATE, DELETE, TIMER_EXPIRED).",
		}, []string{"resource", "action"}),
		runsCreated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_runs_created_total",
			Help: "Runs created, by action identifier and origin (UI, API, AUTOMATION).",
		}, []string{"action", "origin"}),
		runsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_runs_finished_total",
			Help: "Runs that reached an end status (SUCCESS, FAILURE, DECLINED).",
		}, []string{"status"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_delivery_attempts_total",
			Help: "Delivery attempts, by backend (invocation type) and outcome (delivered, retry, failed).",
		}, []string{"backend", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "berth_delivery_duration_seconds",
			Help:    "How long one delivery attempt took, by backend.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"backend"}),
	}
	m.reg.MustRegister(m.events, m.runsCreated, m.runsFinished, m.attempts, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text (or protobuf) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is where further collectors may be registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Committed counts the change-log events of one committed transaction.
// Runs are counted from their events: a RUN_CREATED event is a run created,
// and a run event whose run reaches an end status from one that was not is
// a run finished (a run may be created finished, when its template fails).
func (m *Metrics) Committed(events []*berth.Event) {
	for _, ev := range events {
		m.events.WithLabelValues(ev.ResourceType, ev.Action).Inc()
		if ev.ResourceType != berth.ResourceRun {
			continue
		}
		if ev.Action == berth.ActionCreate {
			m.runsCreated.WithLabelValues(ev.ActionIdentifier, ev.Trigger.Origin).Inc()
		}
		after, before := ev.RunStatus, ev.PrevRunStatus
		if after == "" { // not made here: read the documents
			after, before = runStatus(ev.After), runStatus(ev.Before)
		}
		if berth.IsTerminal(after) && !berth.IsTerminal(before) {
			m.runsFinished.WithLabelValues(after).Inc()
		}
	}
}

// Delivered records one delivery attempt.
func (m *Metrics) Delivered(backend, outcome string, took time.Duration) {
	m.attempts.WithLabelValues(backend, outcome).Inc()
	m.duration.WithLabelValues(backend).Observe(took.Seconds())
}

// runStatus reads the status of a stored run document ("" for none).
func runStatus(doc json.RawMessage) string {
	if len(doc) == 0 {
		return ""
	}
	var run struct {
		Status string `json:"status"`
	}
	json.Unmarshal(doc, &run)
	return run.Status
}

// JobCounter counts the jobs of a kind in the store (store.Queries does).
type JobCounter interface {
	CountJobs(ctx context.Context, kind string) (int, error)
}

// WatchQueue registers a collector that counts, at every scrape, the jobs
// of each of kinds (berth_queue_jobs{kind}) and the timer jobs armed
// (berth_timers_pending). queries returns a counter to read with.
func (m *Metrics) WatchQueue(queries func() JobCounter, kinds []string, timerKind string, log *slog.Logger) {
	m.reg.MustRegister(&queueCollector{queries: queries, kinds: kinds, timerKind: timerKind, log: log})
}

var (
	queueDesc = prometheus.NewDesc("berth_queue_jobs",
		"Jobs in the queue (due, leased or waiting for a retry), by kind (match, deliver, follow, notify).", []string{"kind"}, nil)
	timersDesc = prometheus.NewDesc("berth_timers_pending",
		"Timer properties armed and not yet expired (timer jobs in the queue).", nil, nil)
)

// queueCollector reads queue depths from the store when scraped.
type queueCollector struct {
	queries   func() JobCounter
	kinds     []string
	timerKind string
	log       *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDesc
	ch <- timersDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := c.queries()
	count := func(kind string) (float64, bool) {
		n, err := q.CountJobs(ctx, kind)
		if err != nil {
			c.log.Warn("metrics: counting jobs failed", "kind", kind, "err", err)
			return 0, false
		}
		return float64(n), true
	}
	for _, kind := range c.kinds {
		if n, ok := count(kind); ok {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, n, kind)
		}
	}
	if n, ok := count(c.timerKind); ok {
		ch <- prometheus.MustNewConstMetric(timersDesc, prometheus.GaugeValue, n)
	}
}
