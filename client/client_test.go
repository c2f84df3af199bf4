package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berthdev/berth/client"
)

// TestTokenRenewalAndErrors runs the client against a server that expires
// the first token it issues and refuses bad bodies with the error envelope.
func TestTokenRenewalAndErrors(t *testing.T) {
	var issued atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v1/auth/access_token":
			var body map[string]string
			json.NewDecoder(r.Body).Decode(&body)
			if body["clientId"] != "id" || body["clientSecret"] != "secret" {
				w.WriteHeader(401)
				w.Write([]byte(`{"ok":false,"error":"unauthorized","message":"bad credentials"}`))
				return
			}
			n := issued.Add(1)
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "accessToken": "t" + string(rune('0'+n))})
		case r.Header.Get("Authorization") != "Bearer t2":
			w.WriteHeader(401)
			w.Write([]byte(`{"ok":false,"error":"unauthorized","message":"token expired"}`))
		case r.URL.Path == "/v1/blueprints/missing":
			w.WriteHeader(404)
			w.Write([]byte(`{"ok":false,"error":"not_found","message":"blueprint \"missing\" was not found"}`))
		case r.Method == "POST":
			w.WriteHeader(422)
			w.Write([]byte(`{"ok":false,"error":"invalid_request","message":"invalid entity","fields":[{"field":"/title","message":"must be a string"}]}`))
		default:
			w.Write([]byte(`{"ok":true,"blueprint":{"identifier":"service"}}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	c := client.New(srv.URL+"/", "id", "secret", nil)
	resp, err := c.Do(ctx, "GET", "/v1/blueprints/service", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var bp struct{ Identifier string }
	if err := resp.Decode("blueprint", &bp); err != nil || bp.Identifier != "service" || issued.Load() != 2 {
		t.Fatalf("after renewal: %+v %v, %d tokens issued", bp, err, issued.Load())
	}

	_, err = c.Do(ctx, "GET", "/v1/blueprints/missing", nil, nil)
	if !client.IsNotFound(err) {
		t.Fatalf("404: %v", err)
	}
	_, err = c.Do(ctx, "POST", "/v1/blueprints/service/entities", nil, map[string]any{"title": 1})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 422 || e.Code != "invalid_request" || len(e.Fields) != 1 ||
		!strings.Contains(err.Error(), "/title: must be a string") {
		t.Fatalf("422: %#v", err)
	}

	_, err = client.New(srv.URL, "id", "wrong", nil).Do(ctx, "GET", "/v1/blueprints", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "bad credentials") {
		t.Fatalf("bad credentials: %v", err)
	}
	_, err = client.New(srv.URL, "", "", nil).Do(ctx, "GET", "/v1/blueprints", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "BERTH_CLIENT_ID") {
		t.Fatalf("no credentials: %v", err)
	}
}
