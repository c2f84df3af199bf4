package main

import (
	"net/url"
	"testing"
)

// userClient is a user of the test organization with API credentials of
// their own: its requests act as the user.
type userClient struct {
	s     *testServer
	email string
	token string
}

// addUser invites a user with a role and teams (the teams must exist) and
// gives them credentials.
func addUser(t *testing.T, s *testServer, email, first, role string, teams ...string) *userClient {
	t.Helper()
	if teams == nil {
		teams = []string{}
	}
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": email, "firstName": first, "lastName": "Tester",
		"roles": []string{role}, "teams": teams}}).want(t, 201)
	return credentialsOf(t, s, email)
}

func credentialsOf(t *testing.T, s *testServer, email string) *userClient {
	t.Helper()
	c := s.do("POST", "/v1/users/"+email+"/credentials", nil).want(t, 201).Body["credentials"]
	r := s.send("POST", "/v1/auth/access_token", map[string]any{"clientId": get(c, "clientId"), "clientSecret": get(c, "clientSecret")}, nil).want(t, 200)
	return &userClient{s: s, email: email, token: r.Body["accessToken"].(string)}
}

func (u *userClient) do(method, path string, body any) response {
	u.s.t.Helper()
	return u.s.send(method, path, body, map[string]string{"Authorization": "Bearer " + u.token})
}

func TestUsersAndTeams(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops", "description": "Operations"}).want(t, 201)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops"}).wantError(t, 409, "")
	r := s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "jane@example.com",
		"firstName": "Jane", "lastName": "Doe", "roles": []string{"Member"}, "teams": []string{"ops"}}, "notify": true}).want(t, 201)
	for path, want := range map[string]any{"user.email": "jane@example.com", "user.id": "jane@example.com", "user.firstName": "Jane",
		"user.lastName": "Doe", "user.status": "ACTIVE", "user.roles.0.name": "Member", "user.teams.0.name": "ops", "user.type": "Standard"} {
		if got := get(r.Body, path); got != want {
			t.Errorf("invited %s = %v, want %v", path, got, want)
		}
	}
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "jane@example.com"}}).wantError(t, 409, "")
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "not an email"}}).wantError(t, 422, "/invitee/email")
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "x@example.com", "teams": []string{"nope"}}}).wantError(t, 422, "/invitee/teams")
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "x@example.com", "roles": []string{"Owner"}}}).wantError(t, 422, "/invitee/roles")

	// Users are _user entities, and teams _team entities.
	e := s.do("GET", "/v1/blueprints/_user/entities/jane@example.com", nil).want(t, 200).Body["entity"]
	if get(e, "title") != "Jane Doe" || get(e, "properties.port_role") != "Member" || get(e, "team.0") != "ops" {
		t.Fatalf("user entity: %v", e)
	}
	s.do("GET", "/v1/blueprints/_team/entities/ops", nil).want(t, 200)

	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "bob@example.com"}}).want(t, 201)
	users := s.do("GET", "/v1/users", nil).want(t, 200).Body["users"].([]any)
	if len(users) != 2 || get(users[0], "email") != "bob@example.com" || get(users[0], "roles.0.name") != "Member" {
		t.Fatalf("users: %v", users)
	}
	r = s.do("PATCH", "/v1/users/bob@example.com", map[string]any{"firstName": "Bob", "roles": []string{"Admin"}, "teams": []string{"ops"}}).want(t, 200)
	if get(r.Body, "user.firstName") != "Bob" || get(r.Body, "user.roles.0.name") != "Admin" || get(r.Body, "user.teams.0.name") != "ops" {
		t.Fatalf("PATCH user: %s", r.Raw)
	}
	s.do("PATCH", "/v1/users/nobody@example.com", map[string]any{"firstName": "X"}).wantError(t, 404, "")
	s.do("GET", "/v1/users/nobody@example.com", nil).wantError(t, 404, "")

	team := s.do("GET", "/v1/teams/ops", nil).want(t, 200).Body["team"]
	if get(team, "description") != "Operations" || len(get(team, "users").([]any)) != 2 {
		t.Fatalf("team: %v", team)
	}
	r = s.do("PATCH", "/v1/teams/ops", map[string]any{"users": []string{"bob@example.com"}}).want(t, 200)
	if u := get(r.Body, "team.users").([]any); len(u) != 1 || u[0] != "bob@example.com" || get(r.Body, "team.description") != "Operations" {
		t.Fatalf("PATCH team: %s", r.Raw)
	}
	if teams := get(s.do("GET", "/v1/users/jane@example.com", nil).Body, "user.teams").([]any); len(teams) != 0 {
		t.Fatalf("jane left ops but has teams %v", teams)
	}
	s.do("PATCH", "/v1/teams/ops", map[string]any{"users": []string{"ghost@example.com"}}).wantError(t, 422, "/users")
	r = s.do("PUT", "/v1/teams/ops", map[string]any{"name": "ops", "users": []string{"jane@example.com"}}).want(t, 200)
	if get(r.Body, "team.description") != nil || get(r.Body, "team.users.0") != "jane@example.com" {
		t.Fatalf("PUT team: %s", r.Raw)
	}
	if teams := s.do("GET", "/v1/teams", nil).want(t, 200).Body["teams"].([]any); len(teams) != 1 {
		t.Fatalf("teams: %v", teams)
	}
	s.do("DELETE", "/v1/teams/ops", nil).want(t, 200)
	s.do("GET", "/v1/teams/ops", nil).wantError(t, 404, "")
	if teams := get(s.do("GET", "/v1/users/jane@example.com", nil).Body, "user.teams").([]any); len(teams) != 0 {
		t.Fatalf("a deleted team stayed on its member: %v", teams)
	}
	s.do("DELETE", "/v1/users/bob@example.com", nil).want(t, 200)
	s.do("DELETE", "/v1/users/bob@example.com", nil).wantError(t, 404, "")
}

func TestUserCredentials(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	jane := addUser(t, s, "jane@example.com", "Jane", "Member")
	admin := addUser(t, s, "alice@example.com", "Alice", "Admin")

	// A user's token acts as the user: writes are by them, with their user object.
	jane.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "mine"}).want(t, 201)
	e := s.do("GET", "/v1/blueprints/service/entities/mine", nil).Body["entity"]
	audit := s.do("GET", "/v1/audit-log?entity=mine", nil).Body["audits"].([]any)
	if get(e, "createdBy") != "jane@example.com" || get(audit[0], "trigger.by.userId") != "jane@example.com" ||
		get(audit[0], "trigger.by.user.email") != "jane@example.com" {
		t.Fatalf("write by a user: entity %v, audit %v", e, audit[0])
	}

	// Only admins manage users, secrets and permissions.
	jane.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "x@example.com"}}).wantError(t, 403, "")
	jane.do("POST", "/v1/users/jane@example.com/credentials", nil).wantError(t, 403, "")
	jane.do("GET", "/v1/organization/secrets", nil).wantError(t, 403, "")
	jane.do("PATCH", "/v1/users/jane@example.com", map[string]any{"roles": []string{"Admin"}}).wantError(t, 403, "")
	admin.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "x@example.com"}}).want(t, 201)
	jane.do("GET", "/v1/users", nil).want(t, 200)

	list := s.do("GET", "/v1/users/jane@example.com/credentials", nil).want(t, 200).Body["credentials"].([]any)
	if len(list) != 1 || get(list[0], "clientSecret") != nil || get(list[0], "clientId") == nil {
		t.Fatalf("credentials list: %v", list)
	}
	bad := s.send("POST", "/v1/auth/access_token", map[string]any{"clientId": get(list[0], "clientId"), "clientSecret": "wrong"}, nil)
	bad.wantError(t, 401, "")

	// Disabling a user stops their tokens; revoking credentials too.
	s.do("PATCH", "/v1/users/jane@example.com", map[string]any{"status": "DISABLED"}).want(t, 200)
	jane.do("GET", "/v1/users", nil).wantError(t, 401, "")
	s.do("PATCH", "/v1/users/jane@example.com", map[string]any{"status": "ACTIVE"}).want(t, 200)
	jane.do("GET", "/v1/users", nil).want(t, 200)
	s.do("DELETE", "/v1/users/jane@example.com/credentials/"+url.PathEscape(get(list[0], "clientId").(string)), nil).want(t, 200)
	jane.do("GET", "/v1/users", nil).wantError(t, 401, "")

	// Deleting a user deletes their credentials.
	bob := addUser(t, s, "bob@example.com", "Bob", "Member")
	bob.do("GET", "/v1/users", nil).want(t, 200)
	s.do("DELETE", "/v1/users/bob@example.com", nil).want(t, 200)
	bob.do("GET", "/v1/users", nil).wantError(t, 401, "")
	s.do("POST", "/v1/users/invite", map[string]any{"invitee": map[string]any{"email": "bob@example.com"}}).want(t, 201)
	bob.do("GET", "/v1/users", nil).wantError(t, 401, "")
}

func TestExecutePermissions(t *testing.T) {
	t.Parallel()
	s := startRuns(t)
	rc := newReceiver(t)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops"}).want(t, 201)
	s.do("POST", "/v1/teams", map[string]any{"name": "web"}).want(t, 201)
	jane := addUser(t, s, "jane@example.com", "Jane", "Member")
	alice := addUser(t, s, "alice@example.com", "Alice", "Admin")
	bob := addUser(t, s, "bob@example.com", "Bob", "Member", "ops")
	carol := addUser(t, s, "carol@example.com", "Carol", "Member", "web")
	s.do("PATCH", "/v1/blueprints/service/entities/svc-b", map[string]any{"team": []string{"web"}}).want(t, 200)
	action := deployAction("deploy", rc.URL)
	s.do("POST", "/v1/actions", action).want(t, 201)
	inputs := map[string]any{"version": "1.0.0", "region": "eu"}
	exec := func(c *userClient, entity string) response {
		return c.do("POST", "/v1/actions/deploy/runs", map[string]any{"entity": entity, "properties": inputs})
	}

	// By default everyone may execute, and admins approve.
	perms := s.do("GET", "/v1/actions/deploy/permissions", nil).want(t, 200).Body["permissions"]
	if len(get(perms, "execute.roles").([]any)) != 3 || get(perms, "approve.roles.0") != "Admin" || get(perms, "execute.ownedByTeam") != false {
		t.Fatalf("default permissions: %v", perms)
	}
	r := exec(jane, "svc-a").want(t, 202)
	if get(r.Body, "run.createdBy") != "jane@example.com" {
		t.Fatalf("run by a user: %s", r.Raw)
	}
	td := rc.waitFor(t, 1)[0].JSON
	for path, want := range map[string]any{"trigger.by.userId": "jane@example.com", "trigger.by.user.email": "jane@example.com",
		"trigger.by.user.firstName": "Jane", "trigger.by.user.lastName": "Tester", "trigger.by.user.status": "ACTIVE",
		"trigger.by.user.id": "jane@example.com", "trigger.by.orgId": "org_test"} {
		if got := get(td, path); got != want {
			t.Errorf("trigger data %s = %v, want %v", path, got, want)
		}
	}

	// Execute by user, team, role and owning team.
	r = s.do("PATCH", "/v1/actions/deploy/permissions", map[string]any{"execute": map[string]any{
		"users": []string{"alice@example.com"}, "roles": []string{}, "teams": []string{"ops"}, "ownedByTeam": true,
		"policy": map[string]any{"queries": map[string]any{}, "conditions": []string{"true"}}}}).want(t, 200)
	if get(r.Body, "permissions.execute.users.0") != "alice@example.com" || get(r.Body, "permissions.approve.roles.0") != "Admin" ||
		get(r.Body, "permissions.execute.policy.conditions.0") != "true" {
		t.Fatalf("PATCH permissions: %s", r.Raw)
	}
	exec(jane, "svc-a").wantError(t, 403, "")
	exec(alice, "svc-a").want(t, 202)
	exec(bob, "svc-a").want(t, 202)
	exec(carol, "svc-a").wantError(t, 403, "")
	exec(carol, "svc-b").want(t, 202) // her team owns svc-b
	s.do("POST", "/v1/actions/deploy/runs", map[string]any{"entity": "svc-a", "properties": inputs}).want(t, 202)
	s.do("PATCH", "/v1/actions/deploy/permissions", map[string]any{"execute": map[string]any{"roles": []string{"Member"}}}).want(t, 200)
	exec(jane, "svc-a").want(t, 202)

	// run_as: the organization's credentials act for a user.
	r = s.do("POST", "/v1/actions/deploy/runs?run_as=jane@example.com", map[string]any{"entity": "svc-a", "properties": inputs}).want(t, 202)
	if get(r.Body, "run.createdBy") != "jane@example.com" || get(r.Body, "run.impersonatedBy") != testClientID {
		t.Fatalf("run_as: %s", r.Raw)
	}
	seen := false
	for _, req := range rc.waitFor(t, 7) {
		if get(req.JSON, "run.id") == get(r.Body, "run.id") {
			seen = get(req.JSON, "trigger.by.user.email") == "jane@example.com" && get(req.JSON, "trigger.by.userId") == "jane@example.com"
		}
	}
	if !seen {
		t.Fatal("the run_as run's trigger data is not by jane")
	}
	jane.do("POST", "/v1/actions/deploy/runs?run_as=alice@example.com", map[string]any{"entity": "svc-a", "properties": inputs}).wantError(t, 403, "")
	s.do("POST", "/v1/actions/deploy/runs?run_as=ghost@example.com", map[string]any{"entity": "svc-a", "properties": inputs}).wantError(t, 422, "run_as")
	// Emails are compared without case.
	upper := s.do("POST", "/v1/actions/deploy/runs?run_as=JANE@Example.com", map[string]any{"entity": "svc-a", "properties": inputs}).want(t, 202)
	if get(upper.Body, "run.createdBy") != "jane@example.com" {
		t.Fatalf("run_as in capitals: %s", upper.Raw)
	}

	// Bad permission changes.
	jane.do("PATCH", "/v1/actions/deploy/permissions", map[string]any{"execute": map[string]any{"roles": []string{"Member"}}}).wantError(t, 403, "")
	s.do("PATCH", "/v1/actions/deploy/permissions", map[string]any{"execute": map[string]any{"users": "alice"}}).wantError(t, 422, "/execute/users")
	s.do("PATCH", "/v1/actions/deploy/permissions", map[string]any{"approve": map[string]any{"ownedByTeam": true}}).wantError(t, 422, "/approve/ownedByTeam")
	s.do("PATCH", "/v1/actions/deploy/permissions", map[string]any{"view": map[string]any{}}).wantError(t, 422, "/view")
	s.do("PATCH", "/v1/actions/nope/permissions", map[string]any{"execute": map[string]any{}}).wantError(t, 404, "")
	s.do("GET", "/v1/actions/nope/permissions", nil).wantError(t, 404, "")
	s.do("GET", "/v1/actions/deploy/other", nil).wantError(t, 404, "")
	s.do("POST", "/v1/actions", onService("auto", "ENTITY_CREATED", rc.URL)).want(t, 201)
	s.do("PATCH", "/v1/actions/auto/permissions", map[string]any{"execute": map[string]any{}}).wantError(t, 422, "")
}
