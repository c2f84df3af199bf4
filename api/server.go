package api

import (
	"context"
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
	Actions *service.Actions
	Runs    *service.Runs
	Issuer  *auth.Issuer
	// Execution executes actions and takes run reports and approvals;
	// Users serves users, teams and user credentials; Secrets the
	// organization's secrets.
	Execution *service.Execution
	Users     *service.Users
	Secrets   *service.Secrets
	// Ready reports whether the store answers, for /healthz.
	Ready func(r *http.Request) error
	// Health adds details to /healthz: the store engine, queue depths.
	Health func(ctx context.Context) map[string]any
	// Metrics, when set, is served at GET /metrics without authentication
	// (Prometheus scrapes it).
	Metrics http.Handler
	// Console, when set, serves every path outside /v1/ that no route
	// takes (the web console); /v1/... paths always answer in JSON.
	Console http.Handler
	log     *slog.Logger
	mux     *http.ServeMux
	// privateRoutes lists the patterns that require a token, for tests.
	privateRoutes []string
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
	if s.Metrics != nil {
		s.mux.Handle("GET /metrics", s.Metrics)
	}
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
	s.private("POST /v1/blueprints/{blueprint}/bulk/entities/delete", s.bulkDeleteEntities)
	s.private("POST /v1/entities/search", s.searchEntities)

	s.private("GET /v1/audit-log", s.auditLog)

	s.private("GET /v1/actions", s.listActions)
	s.private("POST /v1/actions", s.createAction)
	s.private("GET /v1/actions/{action}", s.getAction)
	s.private("PUT /v1/actions/{action}", s.replaceAction)
	s.private("DELETE /v1/actions/{action}", s.deleteAction)

	s.private("GET /v1/actions/runs", s.listRuns)
	s.private("GET /v1/actions/runs/{run}", s.getRun)
	s.private("GET /v1/actions/runs/{run}/logs", s.getRunLogs)
	s.runRoutes()
	s.private("POST /v1/actions/runs/claim-pending", s.claimPending)
	s.private("PATCH /v1/actions/runs/ack", s.ackRuns)

	s.mux.Handle("/", s.handle(s.notFound))
}

// private registers a route that requires a bearer token.
func (s *Server) private(pattern string, h handlerFunc) {
	s.privateRoutes = append(s.privateRoutes, pattern)
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
		if !p.Machine {
			if p.User, err = s.Users.Principal(r.Context(), p.ClientID, p.UserID); err != nil {
				return err
			}
		}
		ch, err := s.resolveChange(r, p)
		if err != nil {
			return err
		}
		ctx := context.WithValue(auth.WithPrincipal(r.Context(), p), changeKey{}, ch)
		return h(w, r.WithContext(ctx))
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
	if s.Console != nil && r.URL.Path != "/v1" && !strings.HasPrefix(r.URL.Path, "/v1/") {
		s.Console.ServeHTTP(w, r)
		return nil
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
	body := map[string]any{"ok": true, "status": "ready"}
	if s.Health != nil {
		for k, v := range s.Health(r.Context()) {
			body[k] = v
		}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

type tokenResponse struct {
	OK          bool   `json:"ok"`
	AccessToken string `json:"accessToken"`
	ExpiresIn   int    `json:"expiresIn"`
	TokenType   string `json:"tokenType"`
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
	if berth.ErrorCode(err) == berth.CodeUnauthorized { // perhaps a user's credentials
		userID, uerr := s.Users.Authenticate(r.Context(), req.ClientID, req.ClientSecret)
		if uerr != nil {
			return uerr
		}
		token, expiresIn = s.Issuer.IssueUser(req.ClientID, userID)
		err = nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenResponse{OK: true, AccessToken: token, ExpiresIn: expiresIn, TokenType: "Bearer"})
	return nil
}

type changeKey struct{}

// change describes a write made by the request's principal (see
// resolveChange, which the authentication middleware ran).
func (s *Server) change(r *http.Request) service.Change {
	ch, _ := r.Context().Value(changeKey{}).(service.Change)
	return ch
}

// resolveChange works out who a write is by. A write made on behalf of a run
// (?run_id= on anything but a GET, where it is a filter) is linked to it and
// inherits its automation provenance, so chains through the API are bounded
// too (spec 7.8). Errors: not_found (run), unprocessable (run finished).
func (s *Server) resolveChange(r *http.Request, p *auth.Principal) (service.Change, error) {
	ch := service.Change{Actor: berth.Actor{OrgID: s.OrgID, UserID: p.UserID, User: p.User}, Origin: berth.OriginAPI}
	runID := r.URL.Query().Get("run_id")
	if runID == "" || r.Method == http.MethodGet {
		return ch, nil
	}
	run, err := s.Runs.Lookup(r.Context(), runID)
	if err != nil {
		return ch, err
	}
	if run.Status != berth.RunInProgress {
		return ch, berth.Invalid("changes can only be tied to a run in progress",
			berth.FieldError{Field: "run_id", Message: "run " + runID + " is " + run.Status})
	}
	ch.RunID, ch.Depth, ch.CausedBy = runID, run.Depth, run.Automation
	return ch, nil
}
