package engine_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/engine"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// countingBackend accepts every delivery at once.
type countingBackend struct{ n atomic.Int64 }

func (b *countingBackend) Deliver(context.Context, delivery.Request) delivery.Result {
	b.n.Add(1)
	return delivery.Result{Outcome: delivery.Delivered, Target: "memory", StatusCode: 200}
}

// BenchmarkPipeline measures the engine alone: entity changes written
// through the catalog service, matched by one automation, delivered to a
// backend that answers at once. No HTTP on either side, so the profile
// shows the store and the engine.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	org, err := service.LoadOrg(ctx, db, service.OrgConfig{})
	if err != nil {
		b.Fatal(err)
	}
	cat := service.NewCatalog(db)
	ch := service.Change{Actor: berth.Actor{OrgID: org.ID, UserID: "bench"}, Origin: berth.OriginAPI}
	if _, err := cat.CreateBlueprint(ctx, ch, []byte(`{"identifier":"svc","title":"Svc","schema":{"properties":{"n":{"type":"number"}}}}`)); err != nil {
		b.Fatal(err)
	}
	if _, err := service.NewActions(db).Create(ctx, ch, []byte(`{"identifier":"notify","trigger":{"type":"automation",
		"event":{"type":"ANY_ENTITY_CHANGE","blueprintIdentifier":"svc"}},
		"invocationMethod":{"type":"WEBHOOK","url":"http://example.invalid/{{ .event.context.entityIdentifier }}",
		"headers":{"RUN_ID":"{{ .run.id }}"},"body":{"entity":"{{ .event.diff.after }}","run":"{{ .run.id }}"}}}`)); err != nil {
		b.Fatal(err)
	}
	backend := &countingBackend{}
	eng := engine.New(db, org, delivery.Registry{"WEBHOOK": backend}, engine.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	engCtx, stop := context.WithCancel(ctx)
	var done sync.WaitGroup
	done.Go(func() { eng.Run(engCtx) })
	defer func() { stop(); done.Wait() }()

	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				raw := fmt.Appendf(nil, `{"identifier":"e%d","properties":{"n":%d}}`, i, i)
				if _, _, err := cat.CreateEntity(ctx, ch, "svc", raw, service.WriteOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for backend.n.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
}
