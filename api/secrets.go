package api

import (
	"net/http"

	"github.com/berthdev/berth/service"
)

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Secrets.List(r.Context(), s.change(r))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "secrets", nonNil(list))
}

func (s *Server) getSecret(w http.ResponseWriter, r *http.Request) error {
	sec, err := s.Secrets.Get(r.Context(), s.change(r), r.PathValue("secret"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "secret", sec)
}

func (s *Server) createSecret(w http.ResponseWriter, r *http.Request) error {
	var in service.SecretInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	sec, err := s.Secrets.Create(r.Context(), s.change(r), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "secret", sec)
}

func (s *Server) patchSecret(w http.ResponseWriter, r *http.Request) error {
	var in service.SecretInput
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	sec, err := s.Secrets.Update(r.Context(), s.change(r), r.PathValue("secret"), in)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "secret", sec)
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request) error {
	if err := s.Secrets.Delete(r.Context(), s.change(r), r.PathValue("secret")); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}
