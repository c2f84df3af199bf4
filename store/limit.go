package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// InsertRate measures the store's raw durable-insert rate for d: one small
// row per committed transaction, from as many writers as the engine can use
// (one on SQLite), in a scratch table that is dropped afterwards. It is the
// ceiling benchmarks compare berth's own write path with.
func (db *DB) InsertRate(ctx context.Context, d time.Duration) (float64, error) {
	if _, err := db.write.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_inserts (id TEXT PRIMARY KEY, at TEXT NOT NULL, doc TEXT NOT NULL)"); err != nil {
		return 0, wrap(err, "bench table")
	}
	defer db.write.ExecContext(context.WithoutCancel(ctx), "DROP TABLE bench_inserts")
	writers := 1
	if db.engine == EnginePostgres {
		writers = 16
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	var failed error
	var once sync.Once
	start := time.Now()
	doc := `{"identifier":"bench","properties":{"version":"v1","replicas":3}}`
	for w := range writers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				err := db.Write(ctx, func(q *Queries) error {
					_, err := q.exec(ctx, "INSERT INTO bench_inserts (id, at, doc) VALUES (?, ?, ?)",
						fmt.Sprintf("%d-%d-%d", w, i, start.UnixNano()), nowString(), doc)
					return err
				})
				if err != nil && ctx.Err() == nil {
					once.Do(func() { failed = err })
					return
				}
				if err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), failed
}
