package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/service"
)

// Server is berth's HTTP API.
type Server struct {
	OrgID   string
	Catalog *service.Catalog
	Issuer  *auth.Issuer
	// Ready reports whether the store answers, for /healthz.
	Ready func(r *http.Request) error
	log   *slog.Logger
	mux   *http.ServeMux
}

// NewServer returns the API with every route registered.
func NewServer(s Server, log *slog.Logger) *Server {
	srv := &s
	srv.log = log
	srv.mux = http.NewServeMux()
	srv.routes()
	return srv
}

func (s *Server) routes() {
	s.mux.Handle("GET /healthz", s.handle(s.healthz))
	s.mux.Handle("POST /v1/auth/access_token", s.handle(s.accessToken))

	s.private("GET /v1/blueprints", s.listBlueprints)
	s.private("POST /v1/blueprints", s.createBlueprint)
	s.private("GET /v1/blueprints/{blueprint}", s.getBlueprint)
	s.private("PUT /v1/blueprints/{blueprint}", s.replaceBlueprint)
	s.private("PATCH /v1/blueprints/{blueprint}", s.patchBlueprint)
	s.private("DELETE /v1/blueprints/{blueprint}", s.deleteBlueprint)

	s.private("GET /v1/blueprints/{blueprint}/entities", s.listEntities)
	s.private("POST /v1/blueprints/{blueprint}/entities", s.createEntity)
	s.private("POST /v1/blueprints/{blueprint}/entities/bulk", s.bulkCreateEntities)
	s.private("POST /v1/blueprints/{blueprint}/entities/search", s.searchBlueprintEntities)
	s.private("GET /v1/blueprints/{blueprint}/entities-count", s.countEntities)
	s.private("GET /v1/blueprints/{blueprint}/entities/{entity}", s.getEntity)
	s.private("PUT /v1/blueprints/{blueprint}/entities/{entity}", s.replaceEntity)
	s.private("PATCH /v1/blueprints/{blueprint}/entities/{entity}", s.patchEntity)
	s.private("DELETE /v1/blueprints/{blueprint}/entities/{entity}", s.deleteEntity)
	s.private("DELETE /v1/blueprints/{blueprint}/all-entities", s.deleteAllEntities)
	s.private("POST /v1/entities/search", s.searchEntities)

	s.private("GET /v1/audit-log", s.auditLog)

	s.mux.Handle("/", s.handle(s.notFound))
}

// private registers a route that requires a bearer token.
func (s *Server) private(pattern string, h handlerFunc) {
	s.mux.Handle(pattern, s.handle(s.authenticated(h)))
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !found || token == "" {
			return berth.Errorf(berth.CodeUnauthorized, "missing bearer token: send Authorization: Bearer <accessToken> (POST /v1/auth/access_token gives one)")
		}
		p, err := s.Issuer.Verify(strings.TrimSpace(token))
		if err != nil {
			return err
		}
		return h(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}
}

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// notFound answers requests no route matched: 405 when the path exists for
// other methods, else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	var allowed []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return berth.Errorf(berth.CodeMethodNotAllowed, "%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allowed, ", "))
	}
	return berth.Errorf(berth.CodeNotFound, "no route %s %s", r.Method, r.URL.Path)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.Ready != nil {
		if err := s.Ready(r); err != nil {
			s.log.WarnContext(r.Context(), "health check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ok": false, "store": "unavailable"})
			return nil
		}
	}
	return ok(w, http.StatusOK, "status", "ready")
}

type tokenRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	var missing []berth.FieldError
	if req.ClientID == "" {
		missing = append(missing, berth.FieldError{Field: "/clientId", Message: "is required"})
	}
	if req.ClientSecret == "" {
		missing = append(missing, berth.FieldError{Field: "/clientSecret", Message: "is required"})
	}
	if len(missing) > 0 {
		return berth.Invalid("clientId and clientSecret are required", missing...)
	}
	token, expiresIn, err := s.Issuer.Issue(req.ClientID, req.ClientSecret)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "accessToken": token, "expiresIn": expiresIn, "tokenType": "Bearer"})
	return nil
}

// change describes a write made by the request's principal.
func (s *Server) change(r *http.Request) service.Change {
	p := auth.FromContext(r.Context())
	ch := service.Change{Actor: berth.Actor{OrgID: s.OrgID}, Origin: berth.OriginAPI, RunID: r.URL.Query().Get("run_id")}
	if p != nil {
		ch.Actor.UserID = p.UserID
		ch.Actor.User = p.User
	}
	return ch
}
