package service

import (
	"encoding/json"
	"testing"

	"github.com/berthdev/berth"
)

func userEntityOf(email, role, status string, teams ...string) *berth.Entity {
	return &berth.Entity{Identifier: email, Blueprint: "_user", Team: teams,
		Properties: map[string]any{"port_role": role, "status": status}}
}

func TestApproverSnapshot(t *testing.T) {
	t.Parallel()
	users := []*berth.Entity{
		userEntityOf("admin@x", berth.RoleAdmin, UserActive),
		userEntityOf("ops@x", berth.RoleMember, UserActive, "ops"),
		userEntityOf("gone@x", berth.RoleAdmin, UserDisabled),
		userEntityOf("jane@x", berth.RoleMember, UserActive),
	}
	rule := berth.Rule{Users: []string{"jane@x", "lead@x"}, Roles: []string{berth.RoleAdmin}, Teams: []string{"ops"}}
	for _, tc := range []struct {
		mode      string
		allowSelf bool
		want      map[string]bool // approver → required
	}{
		{"ANY", false, map[string]bool{"admin@x": false, "jane@x": false, "lead@x": false, "ops@x": false}},
		{"ALL", false, map[string]bool{"admin@x": false, "jane@x": false, "lead@x": true, "ops@x": false}},
		{"ALL", true, map[string]bool{"admin@x": false, "jane@x": true, "lead@x": true, "ops@x": false}},
	} {
		got := approverSnapshot(rule, users, tc.mode, "jane@x", tc.allowSelf)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %+v", tc.mode, got)
		}
		for i, a := range got {
			required, ok := tc.want[a.UserID]
			if !ok || a.Required != required || a.State != berth.ApprovalPending || (i > 0 && got[i-1].UserID > a.UserID) {
				t.Errorf("%s allowSelf=%v: %+v", tc.mode, tc.allowSelf, got)
			}
		}
	}
}

func TestApprovalComplete(t *testing.T) {
	t.Parallel()
	approvers := []berth.Approver{{UserID: "a", Required: true, State: berth.ApprovalApproved},
		{UserID: "b", Required: true, State: berth.ApprovalPending}, {UserID: "c", State: berth.ApprovalPending}}
	for _, tc := range []struct {
		mode, user string
		want       bool
	}{{"ANY", "c", true}, {"ALL", "c", false}, {"ALL", "b", true}} {
		if got := approvalComplete(tc.mode, approvers, tc.user); got != tc.want {
			t.Errorf("approvalComplete(%s, %s) = %v", tc.mode, tc.user, got)
		}
	}
	if !approvalComplete("ALL", []berth.Approver{{UserID: "c"}}, "c") {
		t.Error("ALL without required approvers completes with any approval")
	}
}

func TestWithSecrets(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"run":{"id":"r"}}`: `{"run":{"id":"r"},"secrets":{"a":"1"}}`,
		"{ }\n":              `{ "secrets":{"a":"1"}}`,
	} {
		got, err := withSecrets(json.RawMessage(in), map[string]string{"a": "1"})
		if err != nil || string(got) != want {
			t.Errorf("withSecrets(%q) = %s, %v", in, got, err)
		}
	}
}
