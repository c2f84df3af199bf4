package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/api"
	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/internal/pgtest"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// A run's action, blueprint and entity references say "deleted": true once
// the object is gone (spec 7.1), in every response that shows the run, and
// v1's relatedBlueprintExists / relatedEntityExists agree. It is worked out
// when the run is read: an entity created again is no longer deleted.
func TestRunReferencesShowWhatWasDeleted(t *testing.T) {
	onEachStore(t, func(t *testing.T, c *client) {
		c.do("POST", "/v1/blueprints", map[string]any{"identifier": "service", "title": "Service",
			"schema": map[string]any{"properties": map[string]any{}}}).want(t, 201)
		for _, id := range []string{"hooked", "kept"} {
			c.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": id}).want(t, 201)
		}
		gated := day2Action("gated")
		gated["requiredApproval"] = true
		for _, a := range []map[string]any{day2Action("failer"), day2Action("keeper"), gated} {
			c.do("POST", "/v1/actions", a).want(t, 201)
		}
		runs := map[string]string{} // "action/entity" → run id
		for _, key := range []string{"failer/hooked", "failer/kept", "keeper/hooked", "keeper/kept", "gated/hooked"} {
			a, e, _ := strings.Cut(key, "/")
			run := c.do("POST", "/v1/actions/"+a+"/runs", map[string]any{"entity": e, "properties": map[string]any{}}).want(t, 202).run()
			wantRefs(t, "executed "+key, run, false, false, false)
			runs[key] = run["id"].(string)
		}

		c.do("DELETE", "/v1/actions/failer", nil).want(t, 200)
		c.do("DELETE", "/v1/blueprints/service/entities/hooked", nil).want(t, 200)

		// action deleted?, blueprint deleted?, entity deleted?
		want := map[string][3]bool{
			"failer/hooked": {true, false, true}, "failer/kept": {true, false, false},
			"keeper/hooked": {false, false, true}, "keeper/kept": {false, false, false}, "gated/hooked": {false, false, true},
		}
		for key, id := range runs {
			w := want[key]
			wantRefs(t, "GET "+key, c.do("GET", "/v1/actions/runs/"+id, nil).want(t, 200).run(), w[0], w[1], w[2])
			v1 := c.do("GET", "/v1/actions/runs/"+id+"?version=v1", nil).want(t, 200).run()
			if v1["relatedBlueprintExists"] != !w[1] || v1["relatedEntityExists"] != !w[2] || v1["action"] != strings.Split(key, "/")[0] {
				t.Errorf("GET %s v1: action %v, relatedBlueprintExists %v, relatedEntityExists %v", key,
					v1["action"], v1["relatedBlueprintExists"], v1["relatedEntityExists"])
			}
		}
		for _, query := range []string{"", "?action=failer", "?entity=hooked", "?version=v2"} {
			list := c.do("GET", "/v1/actions/runs"+query, nil).want(t, 200).runs()
			if len(list) == 0 {
				t.Fatalf("GET runs%s: no runs", query)
			}
			for _, run := range list {
				key := keyOf(runs, run["id"])
				w := want[key]
				wantRefs(t, "list"+query+" "+key, run, w[0], w[1], w[2])
			}
		}
		for _, run := range c.do("GET", "/v1/actions/runs?version=v1", nil).want(t, 200).runs() {
			w := want[keyOf(runs, run["id"])]
			if run["relatedBlueprintExists"] != !w[1] || run["relatedEntityExists"] != !w[2] {
				t.Errorf("list v1 %s: %v", run["id"], run)
			}
		}

		// Responses to run reports show the references as they are now.
		run := c.do("PATCH", "/v1/actions/runs/"+runs["failer/hooked"], map[string]any{"summary": "halfway"}).want(t, 200).run()
		wantRefs(t, "PATCH failer/hooked", run, true, false, true)
		run = c.do("PATCH", "/v1/actions/runs/"+runs["keeper/hooked"]+"/response", map[string]any{"response": "ok"}).want(t, 200).run()
		wantRefs(t, "PATCH response keeper/hooked", run, false, false, true)
		run = c.do("PATCH", "/v1/actions/runs/"+runs["keeper/hooked"]+"?version=v1", map[string]any{"status": "SUCCESS"}).want(t, 200).run()
		if run["relatedEntityExists"] != false || run["relatedBlueprintExists"] != true {
			t.Errorf("PATCH v1 keeper/hooked: %v", run)
		}
		run = c.do("PATCH", "/v1/actions/runs/"+runs["gated/hooked"]+"/approval", map[string]any{"status": "DECLINE"}).want(t, 201).run()
		wantRefs(t, "approval gated/hooked", run, false, false, true)

		// Nothing was stored: the same entity again is there again.
		c.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "hooked"}).want(t, 201)
		wantRefs(t, "after re-creating hooked", c.do("GET", "/v1/actions/runs/"+runs["failer/hooked"], nil).want(t, 200).run(), true, false, false)

		// A blueprint deleted with its entities.
		for _, a := range []string{"keeper", "gated"} {
			c.do("DELETE", "/v1/actions/"+a, nil).want(t, 200)
		}
		c.do("DELETE", "/v1/blueprints/service/all-entities?delete_blueprint=true", nil).want(t, 200)
		for _, run := range c.do("GET", "/v1/actions/runs", nil).want(t, 200).runs() {
			wantRefs(t, "blueprint deleted "+keyOf(runs, run["id"]), run, true, true, true)
		}
		v1 := c.do("GET", "/v1/actions/runs/"+runs["keeper/kept"]+"?version=v1", nil).want(t, 200).run()
		if v1["relatedBlueprintExists"] != false || v1["relatedEntityExists"] != false {
			t.Errorf("v1 after the blueprint was deleted: %v", v1)
		}
	})
}

// day2Action is a DAY-2 action on service entities without inputs. Its
// runs stay IN_PROGRESS: no engine delivers them here.
func day2Action(id string) map[string]any {
	return map[string]any{
		"identifier": id, "title": strings.ToUpper(id),
		"trigger": map[string]any{"type": "self-service", "operation": "DAY-2", "blueprintIdentifier": "service",
			"userInputs": map[string]any{"properties": map[string]any{}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": "https://example.com/hook"},
	}
}

func wantRefs(t *testing.T, what string, run map[string]any, action, blueprint, entity bool) {
	t.Helper()
	for ref, want := range map[string]bool{"action": action, "blueprint": blueprint, "entity": entity} {
		m, ok := run[ref].(map[string]any)
		if !ok || m["identifier"] == nil || m["deleted"] != want {
			t.Errorf("%s: %s = %v, want deleted: %v", what, ref, run[ref], want)
		}
	}
}

func keyOf(runs map[string]string, id any) string {
	for key, runID := range runs {
		if runID == id {
			return key
		}
	}
	return ""
}

const (
	testClientID     = "test-client"
	testClientSecret = "test-secret-0123456789abcdef0123456789abcdef"
)

// onEachStore runs test against the API over real HTTP on loopback, with
// the real services on a fresh store: SQLite, and PostgreSQL when
// BERTH_TEST_POSTGRES_URL is set. No engine runs: runs are not delivered.
func onEachStore(t *testing.T, test func(t *testing.T, c *client)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, serve(t, filepath.Join(t.TempDir(), "berth.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, serve(t, pgtest.NewDatabase(t)))
	})
}

func serve(t *testing.T, dsn string) *client {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org, err := service.LoadOrg(ctx, db, service.OrgConfig{ID: "org_test", ClientID: testClientID, ClientSecret: testClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	catalog := service.NewCatalog(db)
	if err := catalog.EnsureSystemBlueprints(ctx); err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(api.Server{
		OrgID: org.ID, Catalog: catalog, Actions: service.NewActions(db), Runs: service.NewRuns(db),
		Issuer:    auth.NewIssuer(org.ID, org.ClientID, org.ClientSecret, org.TokenKey, nil),
		Execution: service.NewExecution(db, org, service.ExecutionConfig{}),
		Users:     service.NewUsers(db, catalog), Secrets: service.NewSecrets(db, org.SecretsKey),
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := &client{t: t, url: hs.URL}
	r := c.do("POST", "/v1/auth/access_token", map[string]string{"clientId": testClientID, "clientSecret": testClientSecret}).want(t, 200)
	c.token = r.body["accessToken"].(string)
	return c
}

// client calls the API with the organization's token.
type client struct {
	t          *testing.T
	url, token string
}

type response struct {
	status int
	body   map[string]any
	raw    string
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.raw)
	}
	return r
}

func (r response) run() map[string]any {
	run, _ := r.body["run"].(map[string]any)
	return run
}

func (r response) runs() []map[string]any {
	list, _ := r.body["runs"].([]any)
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i], _ = v.(map[string]any)
	}
	return out
}
