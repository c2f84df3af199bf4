package store

import (
	"context"
	"strings"
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
	db.subs.wake(kinds{all: true}) // work may have arrived while we were not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		from, payload, _ := strings.Cut(n.Payload, ":")
		if from != db.instance { // this instance's workers were woken at commit
			db.subs.wake(parseKinds(payload))
		}
	}
}

// notifyEvery is the least time between two notifications of an instance.
// The instance's own workers are woken at once; the others learn of new
// jobs at most this late, in one notification for all the commits of the
// interval, and then claim them in bigger batches.
const notifyEvery = 20 * time.Millisecond

// notifier sends NOTIFY berth_jobs for commits that added jobs, outside
// their transactions (a commit costs no extra round trip) and at most once
// per notifyEvery. An instance that misses one (a crash between commit and
// notify) still polls.
func (db *DB) notifier(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.notify:
		}
		if _, err := db.write.ExecContext(ctx, "SELECT pg_notify('berth_jobs', $1)",
			db.instance+":"+db.takePending().String()); err != nil && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond) // the listeners poll meanwhile
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(notifyEvery):
		}
	}
}
