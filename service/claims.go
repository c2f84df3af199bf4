package service

import (
	"cmp"
	"context"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// Defaults and bounds of a claim (spec 7.10).
const (
	DefaultClaimLimit      = 100
	MaxClaimLimit          = 1000
	DefaultClaimVisibility = 30 * time.Second
	MaxClaimVisibility     = 24 * time.Hour
)

// ClaimRequest is a worker's request for runs to execute: an Ocean
// integration's (InstallationID = its installation id) or Port's execution
// agent's in polling mode (InstallationID "_PORT_EXEC_AGENT",
// InvocationType "WEBHOOK").
type ClaimRequest struct {
	InstallationID string
	// InvocationType, when set, takes only runs of that invocation type.
	InvocationType string
	// Exclude skips runs of these action identifiers.
	Exclude []string
	// Limit is how many runs at most (default DefaultClaimLimit).
	Limit int
	// Visibility is how long the claimed runs stay hidden from other claims
	// unless acknowledged (default DefaultClaimVisibility).
	Visibility time.Duration
}

// ClaimPending leases up to req.Limit runs waiting for req.InstallationID,
// oldest first, and returns them with their payload (the rendered
// invocation, secrets in clear: only organization credentials may claim).
// A run nobody acknowledges within req.Visibility is handed out
// again. Claims and acknowledgements are bookkeeping, not run changes: they
// fire no automation. Errors: invalid.
func (s *Runs) ClaimPending(ctx context.Context, req ClaimRequest) ([]*berth.Run, error) {
	if req.InstallationID == "" {
		return nil, berth.Invalid("installationId is required", berth.FieldError{Field: "/installationId", Message: "is required"})
	}
	limit := min(cmp.Or(req.Limit, DefaultClaimLimit), MaxClaimLimit)
	now := time.Now()
	until := now.Add(min(cmp.Or(req.Visibility, DefaultClaimVisibility), MaxClaimVisibility))
	runs := []*berth.Run{}
	err := s.db.Write(ctx, func(q *store.Queries) error {
		runs = runs[:0]
		ids, err := q.ClaimPendingRuns(ctx, store.ClaimFilter{InstallationID: req.InstallationID,
			InvocationType: req.InvocationType, Exclude: req.Exclude, Limit: limit}, now, until)
		if err != nil {
			return err
		}
		claimed := berth.FormatTime(until)
		for _, id := range ids {
			run, err := q.Run(ctx, id)
			if err != nil {
				return err
			}
			run.PendingExecution, run.ClaimedUntil = true, &claimed
			if err := q.UpdateRun(ctx, run); err != nil {
				return err
			}
			// The worker executes the run: it gets the payload as a
			// backend would, secrets in clear; the stored run stays masked.
			sent := *run
			if sent.Payload, _, err = DeliveryPayload(ctx, q, s.SecretsKey, run); err != nil {
				return err
			}
			runs = append(runs, &sent)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return runs, markDeleted(ctx, s.db.Read(), runs...)
}

// AckPending acknowledges a claimed run: its worker took it on, and no
// other claim will return it. Errors: not_found (not a run waiting to be
// claimed), conflict (already acknowledged).
func (s *Runs) AckPending(ctx context.Context, runID string) error {
	return s.db.Write(ctx, func(q *store.Queries) error { return ack(ctx, q, runID) })
}

// AckPendingMany acknowledges several runs and reports how many it
// acknowledged; runs already acknowledged or not pending are skipped.
func (s *Runs) AckPendingMany(ctx context.Context, runIDs []string) (int, error) {
	n := 0
	err := s.db.Write(ctx, func(q *store.Queries) error {
		n = 0
		for _, id := range runIDs {
			err := ack(ctx, q, id)
			switch {
			case err == nil:
				n++
			case berth.ErrorCode(err) == berth.CodeConflict, berth.IsNotFound(err):
			default:
				return err
			}
		}
		return nil
	})
	return n, err
}

func ack(ctx context.Context, q *store.Queries, runID string) error {
	if err := q.AckPendingRun(ctx, runID, time.Now()); err != nil {
		return err
	}
	run, err := q.Run(ctx, runID)
	if err != nil {
		return err
	}
	run.PendingExecution = false
	return q.UpdateRun(ctx, run)
}
