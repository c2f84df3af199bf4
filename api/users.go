package api

import (
	"net/http"

	"github.com/berthdev/berth/service"
)

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.Users.List(r.Context())
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "users", nonNil(users))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.Users.Get(r.Context(), r.PathValue("email"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "user", u)
}

// inviteUser is POST /v1/users/invite: {"invitee": {...}, "notify": bool}.
// berth sends no email; the user exists at once.
func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Invitee service.UserInput `json:"invitee"`
		Notify  bool              `json:"notify"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	u, err := s.Users.Invite(r.Context(), s.change(r), body.Invitee)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "user", u)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	var in service.UserInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	u, err := s.Users.Update(r.Context(), s.change(r), r.PathValue("email"), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "user", u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.Users.Delete(r.Context(), s.change(r), r.PathValue("email")); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}

// createUserCredentials is POST /v1/users/{email}/credentials: a client id
// and secret whose tokens act as the user. The secret is shown only here.
func (s *Server) createUserCredentials(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Users.CreateCredentials(r.Context(), s.change(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "credentials", c)
}

func (s *Server) listUserCredentials(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Users.ListCredentials(r.Context(), s.change(r), r.PathValue("email"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "credentials", list)
}

func (s *Server) deleteUserCredentials(w http.ResponseWriter, r *http.Request) error {
	err := s.Users.DeleteCredentials(r.Context(), s.change(r), r.PathValue("email"), r.PathValue("client"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request) error {
	teams, err := s.Users.Teams(r.Context())
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "teams", nonNil(teams))
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Users.Team(r.Context(), r.PathValue("team"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "team", t)
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) error {
	var in service.TeamInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	t, err := s.Users.CreateTeam(r.Context(), s.change(r), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "team", t)
}

// updateTeam is PUT (replace) and PATCH /v1/teams/{team}.
func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request) error {
	var in service.TeamInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	t, err := s.Users.UpdateTeam(r.Context(), s.change(r), r.PathValue("team"), in, r.Method == http.MethodPut)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "team", t)
}

func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	if err := s.Users.DeleteTeam(r.Context(), s.change(r), r.PathValue("team")); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}
