package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// ApprovalNotice is the body of the webhook that announces a run waiting
// for approval (approvalNotification type webhook, spec 7.7). Port leaves
// the JSON layout open; berth's is
//
//	{"type": "APPROVAL_REQUIRED", "run": <run>, "action": <run.action>,
//	 "trigger": <who executed, when>, "inputs": <run.properties>,
//	 "approveUrl": "/v1/actions/runs/<id>/approval", "approvers": [<emails>]}
//
// approveUrl is relative to berth's address: PATCH it with
// {"status": "APPROVE" | "DECLINE"}. Format "slack" sends a Slack
// incoming-webhook message ({"text": ...}) instead.
func ApprovalNotice(ctx context.Context, q *store.Queries, run *berth.Run, format string) (json.RawMessage, error) {
	approvers, err := q.Approvers(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	emails := make([]string, len(approvers))
	for i, a := range approvers {
		emails[i] = a.UserID
	}
	td, err := q.RunTriggerData(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	var data struct {
		Trigger json.RawMessage `json:"trigger"`
	}
	json.Unmarshal(td, &data)
	approveURL := "/v1/actions/runs/" + run.ID + "/approval"
	if format == "slack" {
		title := run.Action.Identifier
		if run.Action.Title != nil {
			title = *run.Action.Title
		}
		text := fmt.Sprintf("Run %s of *%s* by %s is waiting for approval by %s. Approve or decline: PATCH %s",
			run.ID, title, run.CreatedBy, strings.Join(emails, ", "), approveURL)
		return berth.MarshalJSON(map[string]string{"text": text})
	}
	return berth.MarshalJSON(struct {
		Type       string          `json:"type"`
		Run        *berth.Run      `json:"run"`
		Action     berth.Ref       `json:"action"`
		Trigger    json.RawMessage `json:"trigger"`
		Inputs     map[string]any  `json:"inputs"`
		ApproveURL string          `json:"approveUrl"`
		Approvers  []string        `json:"approvers"`
	}{"APPROVAL_REQUIRED", run, run.Action, data.Trigger, run.Properties, approveURL, emails})
}
