package service

import (
	"encoding/json"
	"errors"
	"slices"
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
		userEntityOf("lead@x", berth.RoleMember, ""),
	}
	// Listed by email: lead (active), jane (the requester), gone
	// (disabled), ghost (no such user).
	rule := berth.Rule{Users: []string{"jane@x", "lead@x", "gone@x", "ghost@x", "lead@x"}, Roles: []string{berth.RoleAdmin}, Teams: []string{"ops"}}
	for _, tc := range []struct {
		name      string
		rule      berth.Rule
		mode      string
		allowSelf bool
		want      map[string]bool // approver → required
		leftOut   []string
	}{
		{"any", rule, "ANY", false, map[string]bool{"admin@x": false, "lead@x": false, "ops@x": false},
			[]string{"jane@x (the requester)", "gone@x (disabled)", "ghost@x (no such user)"}},
		{"all", rule, "ALL", false, map[string]bool{"admin@x": false, "lead@x": true, "ops@x": false},
			[]string{"jane@x (the requester)", "gone@x (disabled)", "ghost@x (no such user)"}},
		{"all, self-approval", rule, "ALL", true, map[string]bool{"admin@x": false, "jane@x": true, "lead@x": true, "ops@x": false},
			[]string{"gone@x (disabled)", "ghost@x (no such user)"}},
		{"requester by role", berth.Rule{Roles: []string{berth.RoleMember}}, "ALL", false, map[string]bool{"lead@x": false, "ops@x": false}, nil},
		{"nobody eligible", berth.Rule{Users: []string{"gone@x", "ghost@x", "jane@x"}}, "ALL", false, map[string]bool{},
			[]string{"gone@x (disabled)", "ghost@x (no such user)", "jane@x (the requester)"}},
	} {
		got, leftOut := approverSnapshot(tc.rule, users, tc.mode, "jane@x", tc.allowSelf)
		if len(got) != len(tc.want) || !slices.Equal(leftOut, tc.leftOut) {
			t.Errorf("%s: %+v, left out %q", tc.name, got, leftOut)
			continue
		}
		for i, a := range got {
			required, ok := tc.want[a.UserID]
			if !ok || a.Required != required || a.State != berth.ApprovalPending || (i > 0 && got[i-1].UserID >= a.UserID) {
				t.Errorf("%s: %+v", tc.name, got)
			}
		}
	}
}

func TestUnknownRoles(t *testing.T) {
	t.Parallel()
	p := berth.DefaultPermissions()
	err := patchPermissions(&p, []byte(`{"approve": {"roles": ["Admin", "Owner"]}, "execute": {"roles": ["member"]}}`))
	var e *berth.Error
	if !errors.As(err, &e) || e.Code != berth.CodeUnprocessable || len(e.Fields) != 2 ||
		e.Fields[0].Field != "/approve/roles/1" || e.Fields[1].Field != "/execute/roles/0" {
		t.Fatalf("unknown roles: %#v", err)
	}
	if err := patchPermissions(&p, []byte(`{"approve": {"roles": ["Admin", "Moderator", "Member"]}}`)); err != nil {
		t.Fatalf("known roles: %v", err)
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
