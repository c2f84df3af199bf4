package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

func TestPendingRunsClaimAndAck(t *testing.T) {
	engines(t, func(t *testing.T, openDB func() *store.DB) {
		ctx := context.Background()
		db := openDB()
		t0 := time.Now()
		add := func(id, action, typ, installation string, at time.Time) {
			now := berth.FormatTime(at)
			r := &berth.Run{ID: id, Status: berth.RunInProgress, Action: berth.Ref{Identifier: action}, Source: berth.OriginAutomation,
				Properties: map[string]any{}, Payload: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now}
			mustWrite(t, db, func(q *store.Queries) error {
				if _, err := q.InsertRun(ctx, r, nil); err != nil {
					return err
				}
				if err := q.AddPendingRun(ctx, id, installation, typ, action, at); err != nil {
					return err
				}
				return q.AddPendingRun(ctx, id, installation, typ, action, at) // twice: no change
			})
		}
		add("r_1", "deploy", "INTEGRATION_ACTION", "gh-ocean", t0)
		add("r_2", "skipme", "INTEGRATION_ACTION", "gh-ocean", t0.Add(time.Millisecond))
		add("r_3", "deploy", "INTEGRATION_ACTION", "gh-ocean", t0.Add(2*time.Millisecond))
		add("r_4", "hook", "WEBHOOK", "_PORT_EXEC_AGENT", t0)

		claim := func(f store.ClaimFilter, now time.Time, vis time.Duration) []string {
			var ids []string
			mustWrite(t, db, func(q *store.Queries) (err error) {
				ids, err = q.ClaimPendingRuns(ctx, f, now, now.Add(vis))
				return err
			})
			return ids
		}
		f := store.ClaimFilter{InstallationID: "gh-ocean", Exclude: []string{"skipme"}, Limit: 10}
		if got := claim(f, t0, time.Minute); !slices.Equal(got, []string{"r_1", "r_3"}) {
			t.Fatalf("first claim: %v", got)
		}
		if got := claim(f, t0.Add(time.Second), time.Minute); len(got) != 0 {
			t.Fatalf("claimed runs handed out again within their lease: %v", got)
		}
		if got := claim(store.ClaimFilter{InstallationID: "_PORT_EXEC_AGENT", InvocationType: "KAFKA", Limit: 5}, t0, time.Minute); len(got) != 0 {
			t.Fatalf("invocation type filter: %v", got)
		}
		if got := claim(store.ClaimFilter{InstallationID: "_PORT_EXEC_AGENT", InvocationType: "WEBHOOK", Limit: 5}, t0, time.Minute); !slices.Equal(got, []string{"r_4"}) {
			t.Fatalf("agent claim: %v", got)
		}
		mustWrite(t, db, func(q *store.Queries) error { return q.AckPendingRun(ctx, "r_1", t0) })
		err := db.Write(ctx, func(q *store.Queries) error { return q.AckPendingRun(ctx, "r_1", t0) })
		if berth.ErrorCode(err) != berth.CodeConflict {
			t.Fatalf("second ack: %v, want conflict", err)
		}
		err = db.Write(ctx, func(q *store.Queries) error { return q.AckPendingRun(ctx, "r_nope", t0) })
		if !berth.IsNotFound(err) {
			t.Fatalf("ack of an unknown run: %v, want not_found", err)
		}
		// After the lease: the unacknowledged run comes back, the acknowledged one does not.
		if got := claim(f, t0.Add(2*time.Minute), time.Minute); !slices.Equal(got, []string{"r_3"}) {
			t.Fatalf("claim after the lease expired: %v", got)
		}
		f.Exclude, f.Limit = nil, 1
		if got := claim(f, t0.Add(2*time.Minute), time.Minute); !slices.Equal(got, []string{"r_2"}) {
			t.Fatalf("limit 1 without exclusions: %v", got)
		}
	})
}
