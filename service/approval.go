package service

import (
	"context"
	"slices"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/store"
)

// Decisions of PATCH /v1/actions/runs/{id}/approval.
const (
	Approve = "APPROVE"
	Decline = "DECLINE"
)

// ApprovalRequest is the body of PATCH /v1/actions/runs/{id}/approval.
type ApprovalRequest struct {
	Status      *string `json:"status"`
	Description *string `json:"description"`
}

// Decide records an approver's decision on a run waiting for approval
// (spec 7.7). A DECLINE ends the run DECLINED, never delivered. An APPROVE
// moves it to IN_PROGRESS and enqueues its delivery (once: the status
// change and the job commit together) when the approval is complete: any
// approver's for ANY, every required approver's for ALL (or any
// approver's when none is required). Approvers are those snapshot
// when the run was created; the organization's credentials decide alone.
// The user who executed the action may not approve its run unless
// AllowSelfApproval. Errors: not_found, forbidden (not an approver, self
// approval), conflict (already decided), unprocessable (not waiting).
func (x *Execution) Decide(ctx context.Context, ch Change, id string, req ApprovalRequest) (*berth.Run, error) {
	if req.Status == nil || (*req.Status != Approve && *req.Status != Decline) {
		return nil, berth.Invalid("the json provided does not match the route's schema", berth.FieldError{Field: "/status", Message: "must be APPROVE or DECLINE"})
	}
	decision := berth.Approver{UserID: ch.by(), State: berth.ApprovalApproved, DecidedAt: berth.FormatTime(x.now())}
	if *req.Status == Decline {
		decision.State = berth.ApprovalDeclined
	}
	if req.Description != nil {
		decision.Description = *req.Description
	}
	run, err := x.update(ctx, ch, id, func(q *store.Queries, run *berth.Run) (bool, error) {
		if run.Status != berth.RunWaitingForApproval {
			if berth.IsTerminal(run.Status) {
				return false, errFinished(run)
			}
			return false, berth.Errorf(berth.CodeUnprocessable, "run %s is not waiting for approval (it is %s)", run.ID, run.Status)
		}
		approvers, err := q.Approvers(ctx, run.ID)
		if err != nil {
			return false, err
		}
		if err := x.mayDecide(ch, run, approvers, decision.UserID); err != nil {
			return false, err
		}
		if err := q.DecideApproval(ctx, run.ID, decision); err != nil {
			return false, err
		}
		run.Approval = &berth.Approval{Description: decision.Description, UserID: decision.UserID, State: decision.State}
		switch {
		case decision.State == berth.ApprovalDeclined:
			run.Status = berth.RunDeclined
		case ch.Actor.User == nil || approvalComplete(action.ApprovalMode(run.RequiredApproval), approvers, decision.UserID):
			run.Status = berth.RunInProgress
			if err := q.EnqueueJob(ctx, store.Job{Kind: JobDeliver, Ref: run.ID}, x.now()); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	return x.shown(ctx, run, err)
}

// mayDecide checks that user may approve or decline run.
func (x *Execution) mayDecide(ch Change, run *berth.Run, approvers []berth.Approver, user string) error {
	if ch.Actor.User == nil {
		return nil // the organization's credentials (an automation approving, E2)
	}
	i := slices.IndexFunc(approvers, func(a berth.Approver) bool { return a.UserID == user })
	switch {
	case user == run.CreatedBy && !x.cfg.AllowSelfApproval:
		return berth.Errorf(berth.CodeForbidden, "%s executed run %s and may not approve it (BERTH_ALLOW_SELF_APPROVAL)", user, run.ID)
	case i < 0:
		return berth.Errorf(berth.CodeForbidden, "%s is not an approver of run %s (GET /v1/actions/runs/%s/approvers?include_pending_approvers=true)", user, run.ID, run.ID)
	case approvers[i].State != berth.ApprovalPending:
		return berth.Errorf(berth.CodeConflict, "%s has already decided on run %s (%s)", user, run.ID, approvers[i].State)
	}
	return nil
}

// approvalComplete reports whether user's APPROVE completes the approval.
func approvalComplete(mode string, approvers []berth.Approver, user string) bool {
	if mode != "ALL" {
		return true
	}
	for _, a := range approvers {
		if a.Required && a.State != berth.ApprovalApproved && a.UserID != user {
			return false
		}
	}
	return true
}

// Approvers returns who may approve a run and what they decided: only
// those who decided unless includePending. Errors: not_found.
func (x *Execution) Approvers(ctx context.Context, id string, includePending bool) ([]berth.Approver, error) {
	r := x.db.Read()
	if _, err := r.Run(ctx, id); err != nil {
		return nil, err
	}
	all, err := r.Approvers(ctx, id)
	if err != nil || includePending {
		return all, err
	}
	return slices.DeleteFunc(all, func(a berth.Approver) bool { return a.State == berth.ApprovalPending }), nil
}
