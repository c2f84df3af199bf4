package api

import (
	"net/http"

	"github.com/berthdev/berth"
)

// actionSubresource serves GET and PATCH /v1/actions/{action}/{sub}. The
// only subresource is "permissions" (spec 3.6); the pattern is this wide
// because /v1/actions/{action}/permissions would clash with
// /v1/actions/runs/{run} in the router.
func (s *Server) actionSubresource(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("sub") != "permissions" {
		return berth.Errorf(berth.CodeNotFound, "no route %s %s", r.Method, r.URL.Path)
	}
	if r.Method == http.MethodGet {
		p, err := s.Actions.Permissions(r.Context(), r.PathValue("action"))
		if err != nil {
			return err
		}
		return ok(w, http.StatusOK, "permissions", p)
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	p, err := s.Actions.PatchPermissions(r.Context(), s.change(r), r.PathValue("action"), body)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "permissions", p)
}
