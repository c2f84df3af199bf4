package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// listen wakes this instance's workers when another instance adds jobs
// (PostgreSQL LISTEN/NOTIFY), reconnecting until ctx ends. Polling in the
// workers covers the moments it is reconnecting.
func (db *DB) listen(ctx context.Context) {
	for ctx.Err() == nil {
		if err := db.listenOnce(ctx); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (db *DB) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN berth_jobs"); err != nil {
		return err
	}
	db.jobs.broadcast() // work may have arrived while we were not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		db.jobs.broadcast()
	}
}
