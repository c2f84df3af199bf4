package main

import "testing"

// TestMembersCannotWriteUsersOrTeamsAsEntities checks that the entity
// routes, which reach the _user and _team entities too, refuse a member
// what /v1/users and /v1/teams refuse: promoting oneself, joining a team,
// creating a team, deleting an admin. A member may not acknowledge an
// integration's runs either.
func TestMembersCannotWriteUsersOrTeamsAsEntities(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops"}).want(t, 201)
	jane := addUser(t, s, "jane@example.com", "Jane", "Member")
	addUser(t, s, "alice@example.com", "Alice", "Admin")

	jane.do("PATCH", "/v1/blueprints/_user/entities/jane@example.com", map[string]any{"properties": map[string]any{"port_role": "Admin"}}).wantError(t, 403, "")
	jane.do("PATCH", "/v1/blueprints/_user/entities/jane@example.com", map[string]any{"team": []string{"ops"}}).wantError(t, 403, "")
	jane.do("POST", "/v1/blueprints/_user/entities?upsert=true&merge=true", map[string]any{"identifier": "jane@example.com", "properties": map[string]any{"port_role": "Admin"}}).wantError(t, 403, "")
	jane.do("POST", "/v1/blueprints/_team/entities", map[string]any{"identifier": "mine"}).wantError(t, 403, "")
	jane.do("DELETE", "/v1/blueprints/_user/entities/alice@example.com", nil).wantError(t, 403, "")
	jane.do("POST", "/v1/blueprints/_user/bulk/entities/delete", map[string]any{"entities": []string{"alice@example.com"}}).wantError(t, 403, "")

	if role := get(s.do("GET", "/v1/users/jane@example.com", nil).want(t, 200).Body, "user.roles").([]any); len(role) != 1 || get(role[0], "name") != "Member" {
		t.Fatalf("jane's roles: %v", role)
	}
	s.do("GET", "/v1/users/alice@example.com", nil).want(t, 200)
	// Admins still can, by the same routes.
	s.do("PATCH", "/v1/blueprints/_user/entities/jane@example.com", map[string]any{"team": []string{"ops"}}).want(t, 200)
	s.do("POST", "/v1/blueprints/_team/entities", map[string]any{"identifier": "platform"}).want(t, 201)

	jane.do("PATCH", "/v1/actions/runs/ack", map[string]any{"runId": "r_any"}).wantError(t, 403, "")
}

// TestDeletedTeamLeavesItsEntities checks that deleting a team takes it off
// the entities that named it, so that a new team of the same name does not
// inherit them (and ownedByTeam rights over them).
func TestDeletedTeamLeavesItsEntities(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops"}).want(t, 201)
	s.do("POST", "/v1/teams", map[string]any{"name": "dev"}).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "svc", "team": []string{"ops", "dev"}}).want(t, 201)
	s.do("DELETE", "/v1/teams/ops", nil).want(t, 200)
	s.do("DELETE", "/v1/blueprints/_team/entities/dev", nil).want(t, 200)
	s.do("POST", "/v1/teams", map[string]any{"name": "ops"}).want(t, 201)
	e := s.do("GET", "/v1/blueprints/service/entities/svc", nil).want(t, 200)
	if teams := get(e.Body, "entity.team").([]any); len(teams) != 0 {
		t.Fatalf("teams after deleting them: %s", e.Raw)
	}
}
