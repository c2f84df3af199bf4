package api

// runRoutes registers the routes of self-service runs, approvals, users,
// teams, secrets and action permissions.
func (s *Server) runRoutes() {
	s.private("POST /v1/actions/{action}/runs", s.executeAction)
	s.private("GET /v1/actions/{action}/{sub}", s.actionSubresource)
	s.private("PATCH /v1/actions/{action}/{sub}", s.actionSubresource)
	s.private("PATCH /v1/actions/runs/{run}", s.patchRun)
	s.private("PATCH /v1/actions/runs/{run}/response", s.setRunResponse)
	s.private("POST /v1/actions/runs/{run}/logs", s.addRunLog)
	s.private("PATCH /v1/actions/runs/{run}/approval", s.decideApproval)
	s.private("GET /v1/actions/runs/{run}/approvers", s.listApprovers)

	s.private("GET /v1/users", s.listUsers)
	s.private("POST /v1/users/invite", s.inviteUser)
	s.private("GET /v1/users/{email}", s.getUser)
	s.private("PATCH /v1/users/{email}", s.patchUser)
	s.private("DELETE /v1/users/{email}", s.deleteUser)
	s.private("GET /v1/users/{email}/credentials", s.listUserCredentials)
	s.private("POST /v1/users/{email}/credentials", s.createUserCredentials)
	s.private("DELETE /v1/users/{email}/credentials/{client}", s.deleteUserCredentials)
	s.private("GET /v1/teams", s.listTeams)
	s.private("POST /v1/teams", s.createTeam)
	s.private("GET /v1/teams/{team}", s.getTeam)
	s.private("PUT /v1/teams/{team}", s.updateTeam)
	s.private("PATCH /v1/teams/{team}", s.updateTeam)
	s.private("DELETE /v1/teams/{team}", s.deleteTeam)

	s.private("GET /v1/organization/secrets", s.listSecrets)
	s.private("POST /v1/organization/secrets", s.createSecret)
	s.private("GET /v1/organization/secrets/{secret}", s.getSecret)
	s.private("PATCH /v1/organization/secrets/{secret}", s.patchSecret)
	s.private("DELETE /v1/organization/secrets/{secret}", s.deleteSecret)
}
