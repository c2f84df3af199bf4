package main

import (
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/signing"
)

// approvalAction is a CREATE action needing approval (mode ANY or ALL,
// or true) whose approval requests are announced to notifyURL.
func approvalAction(id string, mode any, backendURL, notifyURL string) map[string]any {
	a := createAction(id, backendURL)
	a["title"] = "Request access"
	a["requiredApproval"] = mode
	a["approvalNotification"] = map[string]any{"type": "webhook", "url": notifyURL, "format": "json"}
	a["trigger"].(map[string]any)["userInputs"] = map[string]any{"properties": map[string]any{"level": map[string]any{"type": "string"}}}
	return a
}

// approvalOrg has a requester, approvers by user (alice), team (bob in
// ops) and role (admins: alice), and a user who may not approve (carol).
func approvalOrg(t *testing.T) (s *testServer, jane, alice, bob, carol *userClient) {
	s = startEngine(t)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops"}).want(t, 201)
	return s, addUser(t, s, "jane@example.com", "Jane", "Member"), addUser(t, s, "alice@example.com", "Alice", "Admin"),
		addUser(t, s, "bob@example.com", "Bob", "Member", "ops"), addUser(t, s, "carol@example.com", "Carol", "Member")
}

func TestApprovalAny(t *testing.T) {
	t.Parallel()
	s, jane, alice, bob, carol := approvalOrg(t)
	backend, notify, watcher := newReceiver(t), newReceiver(t), newReceiver(t)
	s.do("POST", "/v1/actions", approvalAction("access", map[string]any{"type": "ANY"}, backend.URL, notify.URL)).want(t, 201)
	s.do("PATCH", "/v1/actions/access/permissions", map[string]any{"approve": map[string]any{"users": []string{"alice@example.com"}, "teams": []string{"ops"}, "roles": []string{}}}).want(t, 200)
	s.do("POST", "/v1/actions", automation("watch", "RUN_UPDATED", map[string]any{"actionIdentifier": "access"}, watcher.URL)).want(t, 201)
	execute := func() string {
		r := jane.do("POST", "/v1/actions/access/runs", map[string]any{"properties": map[string]any{"level": "admin"}}).want(t, 202)
		if get(r.Body, "run.status") != "WAITING_FOR_APPROVAL" || get(r.Body, "run.requiredApproval.type") != "ANY" {
			t.Fatalf("run needing approval: %s", r.Raw)
		}
		return get(r.Body, "run.id").(string)
	}

	id := execute()
	path := "/v1/actions/runs/" + id
	// The approvers hear of it by webhook, signed like every delivery.
	n := notify.waitFor(t, 1)[0]
	if err := signing.VerifyHeaders([]byte(testClientSecret), n.Header, n.Body, time.Minute, time.Now()); err != nil {
		t.Fatalf("notification signature: %v", err)
	}
	for path, want := range map[string]any{"type": "APPROVAL_REQUIRED", "run.id": id, "run.status": "WAITING_FOR_APPROVAL",
		"action.identifier": "access", "action.title": "Request access", "trigger.by.user.email": "jane@example.com",
		"inputs.level": "admin", "approveUrl": path + "/approval", "approvers.0": "alice@example.com", "approvers.1": "bob@example.com"} {
		if got := get(n.JSON, path); got != want {
			t.Errorf("notification %s = %v, want %v", path, got, want)
		}
	}
	if n.Header.Get("webhook-id") == id {
		t.Error("the notification must not reuse the run's webhook-id (its delivery has it)")
	}
	backend.quiet(t, 0) // not delivered while waiting
	approvers := s.do("GET", path+"/approvers?include_pending_approvers=true", nil).want(t, 200).Body["approvers"].([]any)
	if len(approvers) != 2 || get(approvers[0], "userId") != "alice@example.com" || get(approvers[0], "state") != "PENDING" {
		t.Fatalf("pending approvers: %v", approvers)
	}
	if decided := s.do("GET", path+"/approvers", nil).want(t, 200).Body["approvers"].([]any); len(decided) != 0 {
		t.Fatalf("approvers who decided: %v", decided)
	}

	jane.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "")  // her own run
	carol.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "") // not an approver
	bob.do("PATCH", path+"/approval", map[string]any{"status": "MAYBE"}).wantError(t, 422, "/status")
	r := bob.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE", "description": "ok by ops"}).want(t, 201)
	if get(r.Body, "run.status") != "IN_PROGRESS" || get(r.Body, "run.approval.userId") != "bob@example.com" ||
		get(r.Body, "run.approval.state") != "APPROVED" || get(r.Body, "run.approval.description") != "ok by ops" {
		t.Fatalf("approved: %s", r.Raw)
	}
	ev := watcher.waitFor(t, 1)[0].JSON
	if get(ev, "event.diff.before.status") != "WAITING_FOR_APPROVAL" || get(ev, "event.diff.after.status") != "IN_PROGRESS" ||
		get(ev, "event.trigger.by.userId") != "bob@example.com" {
		t.Fatalf("RUN_UPDATED of the approval: %v", ev["event"])
	}
	if got := backend.waitFor(t, 1)[0]; got.JSON["runId"] != id {
		t.Fatalf("delivered %s", got.Body)
	}
	bob.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 422, "")
	alice.do("PATCH", path+"/approval", map[string]any{"status": "DECLINE"}).wantError(t, 422, "")
	backend.quiet(t, 1) // delivered once

	// A decline ends the run; it is never delivered.
	id = execute()
	path = "/v1/actions/runs/" + id
	r = alice.do("PATCH", path+"/approval", map[string]any{"status": "DECLINE", "description": "too broad"}).want(t, 201)
	if get(r.Body, "run.status") != "DECLINED" || get(r.Body, "run.endedAt") == nil || get(r.Body, "run.approval.state") != "DECLINED" {
		t.Fatalf("declined: %s", r.Raw)
	}
	ev = watcher.waitFor(t, 2)[1].JSON
	if get(ev, "event.diff.after.status") != "DECLINED" {
		t.Fatalf("RUN_UPDATED of the decline: %v", ev["event"])
	}
	bob.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 422, "")
	decided := s.do("GET", path+"/approvers", nil).want(t, 200).Body["approvers"].([]any)
	if len(decided) != 1 || get(decided[0], "userId") != "alice@example.com" || get(decided[0], "state") != "DECLINED" || get(decided[0], "description") != "too broad" {
		t.Fatalf("approvers after the decline: %v", decided)
	}

	// The requester withdraws a waiting run; it can only be withdrawn.
	id = execute()
	jane.do("PATCH", "/v1/actions/runs/"+id, map[string]any{"status": "SUCCESS"}).wantError(t, 422, "/status")
	r = jane.do("PATCH", "/v1/actions/runs/"+id, map[string]any{"status": "FAILURE", "statusLabel": "Withdrawn"}).want(t, 200)
	if get(r.Body, "run.status") != "FAILURE" {
		t.Fatalf("withdrawn: %s", r.Raw)
	}
	alice.do("PATCH", "/v1/actions/runs/"+id+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 422, "")

	// The organization's credentials approve alone (automations do, E2).
	id = execute()
	r = s.do("PATCH", "/v1/actions/runs/"+id+"/approval", map[string]any{"status": "APPROVE"}).want(t, 201)
	if get(r.Body, "run.status") != "IN_PROGRESS" || get(r.Body, "run.approval.userId") != testClientID {
		t.Fatalf("approved by the organization: %s", r.Raw)
	}
	backend.waitFor(t, 2)
	backend.quiet(t, 2)
	watcher.waitFor(t, 4) // approve, decline, withdraw, approve
	watcher.quiet(t, 4)
	s.do("PATCH", "/v1/actions/runs/r_nope/approval", map[string]any{"status": "APPROVE"}).wantError(t, 404, "")
	s.do("GET", "/v1/actions/runs/r_nope/approvers", nil).wantError(t, 404, "")
}

func TestApprovalAll(t *testing.T) {
	t.Parallel()
	s, jane, alice, bob, carol := approvalOrg(t)
	backend, notify := newReceiver(t), newReceiver(t)
	action := approvalAction("access", map[string]any{"type": "ALL"}, backend.URL, notify.URL)
	action["approvalNotification"].(map[string]any)["format"] = "slack"
	s.do("POST", "/v1/actions", action).want(t, 201)
	s.do("PATCH", "/v1/actions/access/permissions", map[string]any{"approve": map[string]any{
		"users": []string{"alice@example.com", "bob@example.com", "jane@example.com"}, "teams": []string{}, "roles": []string{}}}).want(t, 200)
	id := get(jane.do("POST", "/v1/actions/access/runs", map[string]any{"properties": map[string]any{}}).want(t, 202).Body, "run.id").(string)
	path := "/v1/actions/runs/" + id

	r := alice.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).want(t, 201)
	if get(r.Body, "run.status") != "WAITING_FOR_APPROVAL" || get(r.Body, "run.approval.userId") != "alice@example.com" {
		t.Fatalf("after the first of two approvals: %s", r.Raw)
	}
	alice.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 409, "")
	carol.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "")
	jane.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "") // listed, but it is her run
	backend.quiet(t, 0)
	r = bob.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).want(t, 201)
	if get(r.Body, "run.status") != "IN_PROGRESS" {
		t.Fatalf("after every required approval: %s", r.Raw)
	}
	backend.waitFor(t, 1)
	approvers := s.do("GET", path+"/approvers", nil).want(t, 200).Body["approvers"].([]any)
	if len(approvers) != 2 || get(approvers[0], "userId") != "alice@example.com" || get(approvers[1], "state") != "APPROVED" {
		t.Fatalf("approvers: %v", approvers)
	}
	backend.quiet(t, 1)
	text, _ := notify.waitFor(t, 1)[0].JSON["text"].(string)
	if !strings.Contains(text, id) || !strings.Contains(text, "approval by alice@example.com, bob@example.com. ") { // not jane: her run
		t.Fatalf("Slack notification: %q", text)
	}
}

// TestApprovalAllIneligible: users listed by email who are disabled, do
// not exist or executed the run are left out of an ALL approval's
// approvers, so it does not wait for them; when nobody is left, only the
// organization's credentials may decide.
func TestApprovalAllIneligible(t *testing.T) {
	t.Parallel()
	s, jane, alice, bob, carol := approvalOrg(t)
	backend, notify := newReceiver(t), newReceiver(t)
	s.do("POST", "/v1/actions", approvalAction("access", map[string]any{"type": "ALL"}, backend.URL, notify.URL)).want(t, 201)
	approve := func(users ...string) {
		s.do("PATCH", "/v1/actions/access/permissions", map[string]any{"approve": map[string]any{
			"users": users, "teams": []string{}, "roles": []string{}}}).want(t, 200)
	}
	approve("carol@example.com", "bob@example.com", "ghost@example.com", "jane@example.com")
	s.do("PATCH", "/v1/users/bob@example.com", map[string]any{"status": "DISABLED"}).want(t, 200)
	id := get(jane.do("POST", "/v1/actions/access/runs", map[string]any{"properties": map[string]any{}}).want(t, 202).Body, "run.id").(string)
	path := "/v1/actions/runs/" + id

	approvers := s.do("GET", path+"/approvers?include_pending_approvers=true", nil).want(t, 200).Body["approvers"].([]any)
	if len(approvers) != 1 || get(approvers[0], "userId") != "carol@example.com" || get(approvers[0], "state") != "PENDING" {
		t.Fatalf("pending approvers: %v", approvers)
	}
	if got := get(notify.waitFor(t, 1)[0].JSON, "approvers"); len(got.([]any)) != 1 {
		t.Fatalf("notified approvers: %v", got)
	}
	logs := s.do("GET", path+"/logs", nil).want(t, 200).Raw
	for _, want := range []string{"carol@example.com (required)", "bob@example.com (disabled)", "ghost@example.com (no such user)", "jane@example.com (the requester)"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the run's log does not say %q: %s", want, logs)
		}
	}
	jane.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "") // her own run
	alice.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "")
	r := carol.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).want(t, 201)
	if get(r.Body, "run.status") != "IN_PROGRESS" {
		t.Fatalf("after the only eligible approval: %s", r.Raw)
	}
	backend.waitFor(t, 1)

	// Nobody eligible is left: only the organization's credentials decide.
	approve("bob@example.com", "ghost@example.com", "jane@example.com")
	id = get(jane.do("POST", "/v1/actions/access/runs", map[string]any{"properties": map[string]any{}}).want(t, 202).Body, "run.id").(string)
	path = "/v1/actions/runs/" + id
	if approvers := s.do("GET", path+"/approvers?include_pending_approvers=true", nil).want(t, 200).Body["approvers"].([]any); len(approvers) != 0 {
		t.Fatalf("pending approvers: %v", approvers)
	}
	for _, u := range []*userClient{jane, alice, carol} {
		u.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 403, "")
	}
	bob.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).wantError(t, 401, "") // disabled
	r = s.do("PATCH", path+"/approval", map[string]any{"status": "APPROVE"}).want(t, 201)
	if get(r.Body, "run.status") != "IN_PROGRESS" {
		t.Fatalf("approved by the organization: %s", r.Raw)
	}
	backend.waitFor(t, 2)
	backend.quiet(t, 2)

	// Permissions name berth's roles only.
	s.do("PATCH", "/v1/actions/access/permissions", map[string]any{"approve": map[string]any{"roles": []string{"Admin", "Owner"}}}).wantError(t, 422, "/approve/roles/1")
	s.do("PATCH", "/v1/actions/access/permissions", map[string]any{"execute": map[string]any{"roles": []string{"admin"}}}).wantError(t, 422, "/execute/roles/0")
	if roles := get(s.do("GET", "/v1/actions/access/permissions", nil).want(t, 200).Body, "permissions.approve.roles"); len(roles.([]any)) != 0 {
		t.Fatalf("approve roles after refused changes: %v", roles)
	}
}

// TestAutoApprovalByAutomation is spec E2: an automation on RUN_CREATED
// approves runs through berth's own API with a synchronized webhook, its
// token kept as an organization secret.
func TestAutoApprovalByAutomation(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	backend := newReceiver(t)
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "berth_token", "secretValue": s.accessToken()}).want(t, 201)
	s.do("POST", "/v1/actions", approvalAction("access", true, backend.URL, backend.URL+"/notify")).want(t, 201)
	s.do("POST", "/v1/actions", map[string]any{
		"identifier": "auto_approve",
		"trigger": map[string]any{"type": "automation", "event": map[string]any{"type": "RUN_CREATED", "actionIdentifier": "access"},
			"condition": map[string]any{"type": "JQ", "combinator": "and", "expressions": []string{`.diff.after.properties.level == "read"`}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "synchronized": true, "method": "PATCH",
			"url":     s.URL + "/v1/actions/runs/{{ .event.diff.after.id }}/approval",
			"headers": map[string]any{"Authorization": "Bearer {{ .secrets.berth_token }}"},
			"body":    map[string]any{"status": "APPROVE", "description": "auto approved"}},
	}).want(t, 201)
	read := get(s.do("POST", "/v1/actions/access/runs", map[string]any{"properties": map[string]any{"level": "read"}}).want(t, 202).Body, "run.id")
	write := get(s.do("POST", "/v1/actions/access/runs", map[string]any{"properties": map[string]any{"level": "write"}}).want(t, 202).Body, "run.id")
	var delivered []received
	eventually(t, func() bool {
		delivered = nil
		for _, r := range backend.requests() {
			if r.Path != "/notify" {
				delivered = append(delivered, r)
			}
		}
		return len(delivered) == 1
	}, "the approved run's delivery")
	if delivered[0].JSON["runId"] != read {
		t.Fatalf("delivered %s", delivered[0].Body)
	}
	run := s.do("GET", "/v1/actions/runs/"+read.(string), nil).Body["run"]
	if get(run, "approval.description") != "auto approved" || get(run, "approval.userId") != testClientID {
		t.Fatalf("auto-approved run: %v", run)
	}
	auto := waitStatus(t, s, "auto_approve", "SUCCESS")
	if get(auto, "payload.headers.Authorization") != "Bearer ****" {
		t.Fatalf("the automation's stored payload shows its token: %v", get(auto, "payload.headers"))
	}
	if get(s.do("GET", "/v1/actions/runs/"+write.(string), nil).Body, "run.status") != "WAITING_FOR_APPROVAL" {
		t.Fatal("the write request must wait for a person")
	}
}
