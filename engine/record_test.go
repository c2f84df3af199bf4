package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/internal/pgtest"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// A batch of delivery records in which one job's lease was lost commits the
// others: their attempts are recorded and their jobs completed, while the
// lost one is neither (on SQLite one by one, on PostgreSQL in the batch's
// one statement).
func TestRecorderWhenALeaseIsLost(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testRecorderLostLease(t, filepath.Join(t.TempDir(), "berth.db")) })
	t.Run("postgres", func(t *testing.T) { testRecorderLostLease(t, pgtest.NewDatabase(t)) })
}

func testRecorderLostLease(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &Engine{db: db, worker: "engine", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.cfg = Config{}.withDefaults()

	at := berth.FormatTime(time.Now())
	var rows []store.RunRow
	for _, id := range []string{"r_lost", "r_b", "r_c"} {
		rows = append(rows, store.RunRow{Run: &berth.Run{ID: id, Status: berth.RunInProgress, Action: berth.Ref{Identifier: "a"},
			Source: berth.OriginAutomation, CreatedAt: at, UpdatedAt: at}, Doc: []byte(`{}`)})
	}
	claim := func(worker, ref string) store.Job {
		t.Helper()
		err := db.Write(ctx, func(q *store.Queries) error {
			return q.EnqueueJob(ctx, store.Job{Kind: service.JobDeliver, Ref: ref}, time.Now())
		})
		jobs, cerr := db.ClaimJobs(ctx, worker, []string{service.JobDeliver}, 1, time.Hour)
		if err != nil || cerr != nil || len(jobs) != 1 || jobs[0].Ref != ref {
			t.Fatalf("claiming %s: %v %v %+v", ref, err, cerr, jobs)
		}
		return jobs[0]
	}
	if err := db.Write(ctx, func(q *store.Queries) error { _, err := q.InsertRuns(ctx, rows); return err }); err != nil {
		t.Fatal(err)
	}
	lost := claim("another instance", "r_lost")
	b, c := claim(e.worker, "r_b"), claim(e.worker, "r_c")

	var batch []*attemptRecord
	for _, j := range []store.Job{lost, b, c} {
		batch = append(batch, &attemptRecord{job: j, runID: j.Ref, result: make(chan error, 1),
			attempt: &berth.Attempt{At: at, Target: "t", StatusCode: 200, Outcome: "delivered"}})
	}
	(&recorder{e: e}).commit(batch)

	if err := <-batch[0].result; !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("the record of the job whose lease was lost: %v, want ErrLeaseLost", err)
	}
	for _, rec := range batch[1:] {
		if err := <-rec.result; err != nil {
			t.Errorf("record of %s: %v", rec.runID, err)
		}
	}
	for ref, want := range map[string]int{"r_lost": 0, "r_b": 1, "r_c": 1} {
		if got, err := db.Read().Attempts(ctx, ref); err != nil || len(got) != want {
			t.Errorf("%s has %d attempts (%v), want %d", ref, len(got), err, want)
		}
	}
	if n, err := db.Read().CountAllJobs(ctx); err != nil || n != 1 {
		t.Errorf("%d jobs left (%v), want only the one whose lease was lost", n, err)
	}
}
