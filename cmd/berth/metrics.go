package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/engine"
	"github.com/berthdev/berth/metrics"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
	"github.com/berthdev/berth/tracing"
)

// observability is berth's metrics (always) and traces (when
// OTEL_EXPORTER_OTLP_ENDPOINT is set); docs/METRICS.md.
type observability struct {
	metrics *metrics.Metrics
	tracer  *tracing.Tracer // nil when tracing is off
}

// newObservability returns the Prometheus series fed by db's committed
// events and by its queue (read at scrape time), and starts the trace
// exporter when one is configured.
func newObservability(db *store.DB, getenv func(string) string, log *slog.Logger) (*observability, error) {
	o := &observability{metrics: metrics.New()}
	db.OnCommit(o.metrics.Committed)
	o.metrics.WatchQueue(func() metrics.JobCounter { return db.Read() },
		[]string{service.JobMatch, service.JobDeliver, engine.JobFollow, service.JobNotify}, service.JobTimer, log)
	cfg, on, err := tracing.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if on {
		o.tracer = tracing.New(cfg, log)
		log.Info("exporting traces", "endpoint", cfg.Endpoint)
	}
	return o, nil
}

// engineObserver is what the engine reports its matches and deliveries to.
func (o *observability) engineObserver() engine.Observer {
	obs := engine.Observers{meterObserver{o.metrics}}
	if o.tracer != nil {
		obs = append(obs, o.tracer)
	}
	return obs
}

// close sends the traces still waiting (for at most 5s).
func (o *observability) close() {
	if o.tracer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		o.tracer.Close(ctx)
	}
}

// meterObserver counts the engine's delivery attempts (runs and events are
// counted from the store's commits).
type meterObserver struct{ m *metrics.Metrics }

func (meterObserver) Matched(*berth.Event, int, time.Time, error) {}

func (o meterObserver) Delivered(a engine.Attempt) { o.m.Delivered(a.Backend, a.Outcome, a.Took) }
