package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/berthdev/berth/auth"
)

// Every route but the token endpoint, /healthz and /metrics refuses a
// request without a valid bearer token, before any handler runs.
func TestEveryPrivateRouteNeedsAToken(t *testing.T) {
	t.Parallel()
	iss := auth.NewIssuer("org_1", "id", "secret", []byte("key"), nil)
	other := auth.NewIssuer("org_1", "id", "secret", []byte("another key"), nil)
	foreign, _, _ := other.Issue("id", "secret")
	srv := NewServer(Server{OrgID: "org_1", Issuer: iss}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(srv.privateRoutes) < 50 {
		t.Fatalf("only %d private routes registered", len(srv.privateRoutes))
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, pattern := range srv.privateRoutes {
		method, path, _ := strings.Cut(pattern, " ")
		path = param.ReplaceAllString(path, "x")
		for name, header := range map[string]string{"no token": "", "forged": "Bearer " + foreign, "not a token": "Bearer abc", "basic": "Basic eDp5"} {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != http.StatusUnauthorized || body.OK || body.Error != "unauthorized" {
				t.Errorf("%s with %s: %d %s", pattern, name, rec.Code, rec.Body)
			}
		}
	}
}
