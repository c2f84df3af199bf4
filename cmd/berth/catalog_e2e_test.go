package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/pgtest"
)

var serviceBlueprint = map[string]any{
	"identifier": "service",
	"title":      "Service",
	"schema": map[string]any{
		"properties": map[string]any{
			"language": map[string]any{"type": "string", "enum": []string{"Go", "Python"}},
			"replicas": map[string]any{"type": "number", "minimum": 0, "default": 1},
			"repo":     map[string]any{"type": "string", "format": "url"},
		},
		"required": []string{"language"},
	},
	"relations": map[string]any{
		"domain": map[string]any{"title": "Domain", "target": "domain", "required": false, "many": false},
	},
}

var domainBlueprint = map[string]any{
	"identifier": "domain", "title": "Domain",
	"schema": map[string]any{"properties": map[string]any{}},
}

func TestAccessToken(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.send("POST", "/v1/auth/access_token", map[string]string{"clientId": testClientID, "clientSecret": testClientSecret}, nil).want(t, 200)
	if r.Body["ok"] != true || r.Body["tokenType"] != "Bearer" || r.Body["expiresIn"].(float64) != 10800 || r.Body["accessToken"] == "" {
		t.Fatalf("token response: %s", r.Raw)
	}
	again := s.send("POST", "/v1/auth/access_token", map[string]string{"clientId": testClientID, "clientSecret": testClientSecret}, nil).want(t, 200)
	if again.Body["accessToken"] != r.Body["accessToken"] {
		t.Error("a second request before expiry should return the same token")
	}
	s.send("POST", "/v1/auth/access_token", map[string]string{"clientId": testClientID, "clientSecret": "wrong"}, nil).wantError(t, 401, "")
	s.send("POST", "/v1/auth/access_token", map[string]string{"clientId": testClientID}, nil).wantError(t, 422, "/clientSecret")
	s.send("POST", "/v1/auth/access_token", `{"clientId":`, nil).wantError(t, 400, "")
}

// every protected route answers 401 without a valid token.
func TestProtectedRoutesNeedToken(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	routes := []string{
		"GET /v1/blueprints", "POST /v1/blueprints", "GET /v1/blueprints/x", "PUT /v1/blueprints/x",
		"PATCH /v1/blueprints/x", "DELETE /v1/blueprints/x", "GET /v1/blueprints/x/entities",
		"POST /v1/blueprints/x/entities", "POST /v1/blueprints/x/entities/bulk", "POST /v1/blueprints/x/entities/search",
		"GET /v1/blueprints/x/entities-count", "GET /v1/blueprints/x/entities/y", "PUT /v1/blueprints/x/entities/y",
		"PATCH /v1/blueprints/x/entities/y", "DELETE /v1/blueprints/x/entities/y", "DELETE /v1/blueprints/x/all-entities",
		"POST /v1/blueprints/x/bulk/entities/delete",
		"POST /v1/entities/search", "GET /v1/audit-log",
	}
	forged := s.accessToken()
	forged = forged[:len(forged)-4] + "AAAA"
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		for name, headers := range map[string]map[string]string{
			"missing": nil,
			"forged":  {"Authorization": "Bearer " + forged},
			"garbage": {"Authorization": "Bearer not-a-token"},
			"scheme":  {"Authorization": "Basic dGVzdDp0ZXN0"},
		} {
			r := s.send(method, path, "{}", headers)
			if r.Status != 401 || r.Body["ok"] != false {
				t.Errorf("%s with %s token: %d %s", route, name, r.Status, r.Raw)
			}
		}
	}
}

func TestForeignTokenIsRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	// A token signed by another deployment (another key) is refused.
	other := startServer(t)
	s.send("GET", "/v1/blueprints", nil, map[string]string{"Authorization": "Bearer " + other.accessToken()}).wantError(t, 401, "")
}

func TestBlueprintLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	r := s.do("POST", "/v1/blueprints", serviceBlueprint).want(t, 201)
	if get(r.Body, "blueprint.identifier") != "service" || get(r.Body, "blueprint.createdAt") == nil {
		t.Fatalf("created blueprint: %s", r.Raw)
	}
	s.do("POST", "/v1/blueprints", serviceBlueprint).wantError(t, 409, "")
	s.do("GET", "/v1/blueprints/service", nil).want(t, 200)
	s.do("GET", "/v1/blueprints/nope", nil).wantError(t, 404, "")

	list := s.do("GET", "/v1/blueprints", nil).want(t, 200)
	ids := map[string]bool{}
	for _, bp := range list.Body["blueprints"].([]any) {
		ids[bp.(map[string]any)["identifier"].(string)] = true
	}
	for _, want := range []string{"_user", "_team", "service", "domain"} {
		if !ids[want] {
			t.Errorf("blueprint list lacks %s: %v", want, ids)
		}
	}

	p := s.do("PATCH", "/v1/blueprints/service", map[string]any{"title": "Microservice"}).want(t, 200)
	if get(p.Body, "blueprint.title") != "Microservice" || get(p.Body, "blueprint.schema.properties.language.type") != "string" {
		t.Fatalf("patch: %s", p.Raw)
	}
	replaced := clone(serviceBlueprint)
	replaced["title"] = "Svc"
	s.do("PUT", "/v1/blueprints/service", replaced).want(t, 200)
	if got := s.do("GET", "/v1/blueprints/service", nil); get(got.Body, "blueprint.title") != "Svc" {
		t.Fatalf("after PUT: %s", got.Raw)
	}

	// A blueprint with entities cannot be deleted.
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "a", "properties": map[string]any{"language": "Go"}}).want(t, 201)
	s.do("DELETE", "/v1/blueprints/service", nil).wantError(t, 409, "")
	s.do("DELETE", "/v1/blueprints/service/all-entities?delete_blueprint=true", nil).want(t, 200)
	s.do("GET", "/v1/blueprints/service", nil).wantError(t, 404, "")
	s.do("DELETE", "/v1/blueprints/_user", nil).wantError(t, 422, "")
}

func TestBlueprintValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	for name, tc := range map[string]struct {
		body   any
		status int
		field  string
	}{
		"malformed json": {`{"identifier": "x",`, 400, ""},
		"missing title":  {map[string]any{"identifier": "x", "schema": map[string]any{"properties": map[string]any{}}}, 422, "/title"},
		"bad identifier": {map[string]any{"identifier": "..", "title": "X", "schema": map[string]any{"properties": map[string]any{}}}, 422, "/identifier"},
		"bad type":       {map[string]any{"identifier": "x", "title": "X", "schema": map[string]any{"properties": map[string]any{"p": map[string]any{"type": "float"}}}}, 422, "/schema/properties/p/type"},
		"unknown field":  {map[string]any{"identifier": "x", "title": "X", "schema": map[string]any{"properties": map[string]any{}}, "colour": "red"}, 422, "/colour"},
		"unknown target": {map[string]any{"identifier": "x", "title": "X", "schema": map[string]any{"properties": map[string]any{}}, "relations": map[string]any{"r": map[string]any{"target": "nope", "required": false, "many": false}}}, 422, "/relations/r/target"},
		"not an object":  {`[1,2]`, 422, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.do("POST", "/v1/blueprints", tc.body)
			if tc.status == 422 && tc.field == "" {
				if r.Status != 422 && r.Status != 400 {
					t.Fatalf("status %d: %s", r.Status, r.Raw)
				}
				return
			}
			r.wantError(t, tc.status, tc.field)
		})
	}
}

func TestEntityLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	s.do("POST", "/v1/blueprints", serviceBlueprint).want(t, 201)
	s.do("POST", "/v1/blueprints/domain/entities", map[string]any{"identifier": "payments", "title": "Payments"}).want(t, 201)

	created := s.do("POST", "/v1/blueprints/service/entities", map[string]any{
		"identifier": "svc-a", "title": "Svc A", "team": "platform",
		"properties": map[string]any{"language": "Go"}, "relations": map[string]any{"domain": "payments"},
	}).want(t, 201)
	e := created.Body["entity"]
	if get(e, "properties.replicas") != 1.0 || get(e, "team.0") != "platform" || get(e, "blueprint") != "service" ||
		get(e, "createdAt") == nil || get(e, "createdBy") != testClientID {
		t.Fatalf("created entity: %s", created.Raw)
	}
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "svc-a", "properties": map[string]any{"language": "Go"}}).wantError(t, 409, "")

	// upsert replaces; upsert+merge keeps what is not supplied.
	s.do("POST", "/v1/blueprints/service/entities?upsert=true&merge=true", map[string]any{"identifier": "svc-a", "properties": map[string]any{"replicas": 3}}).want(t, 200)
	got := s.do("GET", "/v1/blueprints/service/entities/svc-a", nil).want(t, 200)
	if get(got.Body, "entity.properties.language") != "Go" || get(got.Body, "entity.properties.replicas") != 3.0 || get(got.Body, "entity.title") != "Svc A" {
		t.Fatalf("after merge: %s", got.Raw)
	}
	s.do("POST", "/v1/blueprints/service/entities?upsert=true", map[string]any{"identifier": "svc-a", "properties": map[string]any{"language": "Python"}}).want(t, 200)
	got = s.do("GET", "/v1/blueprints/service/entities/svc-a", nil)
	if get(got.Body, "entity.title") != nil || get(got.Body, "entity.properties.language") != "Python" {
		t.Fatalf("after replace: %s", got.Raw)
	}

	s.do("PATCH", "/v1/blueprints/service/entities/svc-a", map[string]any{"title": "A", "properties": map[string]any{"repo": "https://git.example/a"}}).want(t, 200)
	got = s.do("GET", "/v1/blueprints/service/entities/svc-a", nil)
	if get(got.Body, "entity.title") != "A" || get(got.Body, "entity.properties.language") != "Python" {
		t.Fatalf("after patch: %s", got.Raw)
	}
	s.do("PUT", "/v1/blueprints/service/entities/svc-a", map[string]any{"identifier": "svc-a", "properties": map[string]any{"language": "Go"}}).want(t, 200)
	s.do("PUT", "/v1/blueprints/service/entities/nope", map[string]any{"properties": map[string]any{"language": "Go"}}).wantError(t, 404, "")

	// An entity without an identifier gets one.
	gen := s.do("POST", "/v1/blueprints/service/entities", map[string]any{"properties": map[string]any{"language": "Go"}}).want(t, 201)
	if id, _ := get(gen.Body, "entity.identifier").(string); !strings.HasPrefix(id, "e_") {
		t.Fatalf("generated identifier: %s", gen.Raw)
	}
	count := s.do("GET", "/v1/blueprints/service/entities-count", nil).want(t, 200)
	if count.Body["count"] != 2.0 {
		t.Fatalf("count: %s", count.Raw)
	}
	list := s.do("GET", "/v1/blueprints/service/entities", nil).want(t, 200)
	if len(list.Body["entities"].([]any)) != 2 {
		t.Fatalf("list: %s", list.Raw)
	}

	s.do("DELETE", "/v1/blueprints/service/entities/svc-a", nil).want(t, 200)
	s.do("GET", "/v1/blueprints/service/entities/svc-a", nil).wantError(t, 404, "")
	s.do("DELETE", "/v1/blueprints/service/entities/svc-a", nil).wantError(t, 404, "")
	s.do("GET", "/v1/blueprints/nope/entities", nil).wantError(t, 404, "")
}

func TestEntityValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	s.do("POST", "/v1/blueprints", serviceBlueprint).want(t, 201)
	for name, tc := range map[string]struct {
		body   any
		status int
		field  string
	}{
		"wrong type":       {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go", "replicas": "three"}}, 422, "/properties/replicas"},
		"not in enum":      {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Cobol"}}, 422, "/properties/language"},
		"missing required": {map[string]any{"identifier": "x", "properties": map[string]any{}}, 422, "/properties/language"},
		"bad format":       {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go", "repo": "not a url"}}, 422, "/properties/repo"},
		"below minimum":    {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go", "replicas": -1}}, 422, "/properties/replicas"},
		"unknown property": {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go", "colour": "red"}}, 422, "/properties/colour"},
		"unknown relation": {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go"}, "relations": map[string]any{"owner": "y"}}, 422, "/relations/owner"},
		"missing target":   {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go"}, "relations": map[string]any{"domain": "nowhere"}}, 422, "/relations/domain"},
		"unknown field":    {map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go"}, "color": "red"}, 422, "/color"},
		"bad identifier":   {map[string]any{"identifier": "a b", "properties": map[string]any{"language": "Go"}}, 422, "/identifier"},
		"malformed":        {`{"identifier":`, 400, ""},
	} {
		t.Run(name, func(t *testing.T) {
			s.do("POST", "/v1/blueprints/service/entities", tc.body).wantError(t, tc.status, tc.field)
		})
	}
	// Every offending field is named, not just the first.
	r := s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "x", "properties": map[string]any{"language": "Cobol", "replicas": "x"}})
	r.wantError(t, 422, "/properties/language")
	r.wantError(t, 422, "/properties/replicas")
	// Nothing was stored by any of the refused writes.
	if c := s.do("GET", "/v1/blueprints/service/entities-count", nil); c.Body["count"] != 0.0 {
		t.Fatalf("refused writes stored entities: %s", c.Raw)
	}
	// create_missing_related_entities makes the target.
	s.do("POST", "/v1/blueprints/service/entities?create_missing_related_entities=true", map[string]any{"identifier": "x", "properties": map[string]any{"language": "Go"}, "relations": map[string]any{"domain": "new-domain"}}).want(t, 201)
	s.do("GET", "/v1/blueprints/domain/entities/new-domain", nil).want(t, 200)
	// validation_only writes nothing.
	s.do("POST", "/v1/blueprints/service/entities?validation_only=true", map[string]any{"identifier": "y", "properties": map[string]any{"language": "Go"}}).want(t, 200)
	s.do("GET", "/v1/blueprints/service/entities/y", nil).wantError(t, 404, "")
}

func TestBulkCreate(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); testBulkCreate(t, startServer(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); testBulkCreate(t, startServerOn(t, pgtest.NewDatabase(t))) })
}

func testBulkCreate(t *testing.T, s *testServer) {
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	s.do("POST", "/v1/blueprints", serviceBlueprint).want(t, 201)
	ok := s.do("POST", "/v1/blueprints/service/entities/bulk", map[string]any{"entities": []any{
		map[string]any{"identifier": "a", "properties": map[string]any{"language": "Go"}},
		map[string]any{"identifier": "b", "properties": map[string]any{"language": "Go"}},
	}}).want(t, 200)
	if len(ok.Body["entities"].([]any)) != 2 || get(ok.Body, "entities.1.identifier") != "b" || get(ok.Body, "entities.0.created") != true {
		t.Fatalf("bulk: %s", ok.Raw)
	}
	mixed := s.do("POST", "/v1/blueprints/service/entities/bulk", map[string]any{"entities": []any{
		map[string]any{"identifier": "c", "properties": map[string]any{"language": "Go"}},
		map[string]any{"identifier": "d", "properties": map[string]any{"language": "Cobol"}},
	}}).want(t, 207)
	if get(mixed.Body, "errors.0.index") != 1.0 || get(mixed.Body, "errors.0.statusCode") != 422.0 || get(mixed.Body, "entities.0.identifier") != "c" {
		t.Fatalf("bulk with an error: %s", mixed.Raw)
	}
	s.do("POST", "/v1/blueprints/service/entities/bulk", map[string]any{"entities": []any{}}).wantError(t, 422, "/entities")
	// An unknown blueprint is the request's 404, as for the single create,
	// not a 207 with one 404 per entity.
	for _, path := range []string{"/v1/blueprints/nosuch/entities", "/v1/blueprints/nosuch/entities/bulk"} {
		body := any(map[string]any{"identifier": "b3", "properties": map[string]any{}})
		if strings.HasSuffix(path, "/bulk") {
			body = map[string]any{"entities": []any{body, map[string]any{"properties": map[string]any{}}}}
		}
		r := s.do("POST", path, body)
		r.wantError(t, 404, "")
		if r.Body["error"] != "not_found" || !strings.Contains(r.Body["message"].(string), `"nosuch"`) {
			t.Fatalf("POST %s: %s", path, r.Raw)
		}
	}

	// Twenty at once: each created, refused or rejected on its own, and
	// reported at its index.
	var entities []any
	for i := range 20 {
		e := map[string]any{"identifier": fmt.Sprintf("svc-%02d", i), "properties": map[string]any{"language": "Go"}}
		switch i {
		case 5:
			e["identifier"] = "a" // exists
		case 9:
			e["properties"] = map[string]any{"language": "Cobol"} // not in the enum
		}
		entities = append(entities, e)
	}
	full := s.do("POST", "/v1/blueprints/service/entities/bulk", map[string]any{"entities": entities}).want(t, 207)
	if n := len(full.Body["entities"].([]any)); n != 18 || get(full.Body, "errors.0.index") != 5.0 ||
		get(full.Body, "errors.0.statusCode") != 409.0 || get(full.Body, "errors.1.index") != 9.0 ||
		get(full.Body, "errors.1.statusCode") != 422.0 || get(full.Body, "entities.5.index") != 6.0 {
		t.Fatalf("bulk of 20: %s", full.Raw)
	}
	for i := range 20 {
		want := 200
		if i == 5 || i == 9 {
			want = 404
		}
		s.do("GET", fmt.Sprintf("/v1/blueprints/service/entities/svc-%02d", i), nil).want(t, want)
	}
	// The same identifier twice: created by the first, refused for the second.
	twice := s.do("POST", "/v1/blueprints/service/entities/bulk", map[string]any{"entities": []any{
		map[string]any{"identifier": "dup", "properties": map[string]any{"language": "Go"}},
		map[string]any{"identifier": "dup", "properties": map[string]any{"language": "Python"}},
	}}).want(t, 207)
	if get(twice.Body, "entities.0.index") != 0.0 || get(twice.Body, "errors.0.index") != 1.0 || get(twice.Body, "errors.0.statusCode") != 409.0 {
		t.Fatalf("bulk with one identifier twice: %s", twice.Raw)
	}
	if e := s.do("GET", "/v1/blueprints/service/entities/dup", nil).want(t, 200); get(e.Body, "entity.properties.language") != "Go" {
		t.Fatalf("dup: %s", e.Raw)
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	s.do("POST", "/v1/blueprints", serviceBlueprint).want(t, 201)
	for _, e := range []map[string]any{
		{"identifier": "go-1", "properties": map[string]any{"language": "Go", "replicas": 3}},
		{"identifier": "go-2", "properties": map[string]any{"language": "Go", "replicas": 1}},
		{"identifier": "py-1", "properties": map[string]any{"language": "Python", "replicas": 5}},
	} {
		s.do("POST", "/v1/blueprints/service/entities", e).want(t, 201)
	}
	r := s.do("POST", "/v1/entities/search", map[string]any{"combinator": "and", "rules": []any{
		map[string]any{"property": "$blueprint", "operator": "=", "value": "service"},
		map[string]any{"property": "language", "operator": "=", "value": "Go"},
		map[string]any{"property": "replicas", "operator": ">", "value": 2},
	}}).want(t, 200)
	if es := r.Body["entities"].([]any); len(es) != 1 || get(es[0], "identifier") != "go-1" {
		t.Fatalf("search: %s", r.Raw)
	}
	or := s.do("POST", "/v1/blueprints/service/entities/search", map[string]any{"query": map[string]any{"combinator": "or", "rules": []any{
		map[string]any{"property": "$identifier", "operator": "beginsWith", "value": "py"},
		map[string]any{"property": "replicas", "operator": "<", "value": 2},
	}}, "limit": 1}).want(t, 200)
	if len(or.Body["entities"].([]any)) != 1 || or.Body["next"] == nil {
		t.Fatalf("paged search: %s", or.Raw)
	}
	rest := s.do("POST", "/v1/blueprints/service/entities/search", map[string]any{"query": map[string]any{"combinator": "or", "rules": []any{
		map[string]any{"property": "$identifier", "operator": "beginsWith", "value": "py"},
		map[string]any{"property": "replicas", "operator": "<", "value": 2},
	}}, "limit": 1, "from": or.Body["next"]}).want(t, 200)
	if len(rest.Body["entities"].([]any)) != 1 || rest.Body["next"] != nil || get(rest.Body, "entities.0.identifier") == get(or.Body, "entities.0.identifier") {
		t.Fatalf("second page: %s", rest.Raw)
	}
	s.do("POST", "/v1/entities/search", map[string]any{"combinator": "and", "rules": []any{
		map[string]any{"property": "language", "operator": "sounds-like", "value": "Go"},
	}}).wantError(t, 422, "")
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	s := startServer(t, "BERTH_ALLOW_PRIVATE_TARGETS", "true")
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", automation("audit", "ENTITY_CREATED", map[string]any{"blueprintIdentifier": "domain"}, rc.URL)).want(t, 201)
	s.do("POST", "/v1/blueprints/domain/entities", map[string]any{"identifier": "d1", "title": "One"}).want(t, 201)
	s.do("PATCH", "/v1/blueprints/domain/entities/d1", map[string]any{"title": "Uno"}).want(t, 200)
	// A write that changes nothing records nothing.
	s.do("PATCH", "/v1/blueprints/domain/entities/d1", map[string]any{"title": "Uno"}).want(t, 200)
	runID := get(rc.waitFor(t, 1)[0].JSON, "run.id").(string)
	s.do("DELETE", "/v1/blueprints/domain/entities/d1?run_id=r_unknown", nil).wantError(t, 404, "")
	s.do("DELETE", "/v1/blueprints/domain/entities/d1?run_id="+runID, nil).want(t, 200)

	r := s.do("GET", "/v1/audit-log?entity=d1&resources=entity", nil).want(t, 200)
	audits := r.Body["audits"].([]any)
	if len(audits) != 3 {
		t.Fatalf("want 3 entity records (create, update, delete), got %d: %s", len(audits), r.Raw)
	}
	del, upd, cre := audits[0], audits[1], audits[2]
	if get(del, "action") != "DELETE" || get(upd, "action") != "UPDATE" || get(cre, "action") != "CREATE" {
		t.Fatalf("order/actions: %s", r.Raw)
	}
	if get(upd, "diff.before.title") != "One" || get(upd, "diff.after.title") != "Uno" || get(cre, "diff.before") != nil ||
		get(del, "diff.after") != nil || get(del, "context.runId") != runID || get(upd, "trigger.origin") != "API" ||
		get(upd, "trigger.by.orgId") != "org_test" || get(upd, "context.blueprint") != "domain" {
		t.Fatalf("record shape: %s", r.Raw)
	}
	linked := s.do("GET", "/v1/audit-log?run_id="+runID+"&resources=entity", nil).want(t, 200)
	if len(linked.Body["audits"].([]any)) != 1 {
		t.Fatalf("run_id filter: %s", linked.Raw)
	}
	only := s.do("GET", "/v1/audit-log?entity=d1&includes=action&limit=1", nil).want(t, 200)
	if a := only.Body["audits"].([]any); len(a) != 1 || len(a[0].(map[string]any)) != 1 {
		t.Fatalf("includes/limit: %s", only.Raw)
	}
	s.do("GET", "/v1/audit-log?from=yesterday", nil).wantError(t, 422, "from")
}

func TestErrorsAndLimits(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("GET", "/v1/nothing-here", nil).wantError(t, 404, "")
	r := s.do("POST", "/v1/blueprints/x/entities-count", nil)
	r.wantError(t, 405, "")
	if r.Header.Get("Allow") != "GET" {
		t.Errorf("Allow header = %q", r.Header.Get("Allow"))
	}
	big := `{"identifier":"x","title":"` + strings.Repeat("a", 1<<20) + `"}`
	s.do("POST", "/v1/blueprints", big).wantError(t, 413, "")
	// Nothing internal leaks: an error body holds only the envelope.
	for k := range s.do("GET", "/v1/blueprints/nope", nil).Body {
		if k != "ok" && k != "error" && k != "message" && k != "fields" {
			t.Errorf("unexpected key %q in error body", k)
		}
	}
	s.send("GET", "/healthz", nil, nil).want(t, 200)
}

func TestDataSurvivesRestart(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.do("POST", "/v1/blueprints", domainBlueprint).want(t, 201)
	s.do("POST", "/v1/blueprints/domain/entities", map[string]any{"identifier": "d1"}).want(t, 201)
	s.restart()
	s.do("GET", "/v1/blueprints/domain/entities/d1", nil).want(t, 200)
	if r := s.do("GET", "/v1/audit-log?entity=d1", nil); len(r.Body["audits"].([]any)) != 1 {
		t.Fatalf("change log lost across restart: %s", r.Raw)
	}
}

func TestGeneratedCredentialsPrintedOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, "BERTH_CLIENT_ID", "", "BERTH_CLIENT_SECRET", "")
	out := s.stdout.String()
	if !strings.Contains(out, "BERTH_CLIENT_ID=") || !strings.Contains(out, "BERTH_CLIENT_SECRET=") {
		t.Fatalf("first start should print generated credentials, got %q", out)
	}
	var id, secret string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "BERTH_CLIENT_ID="); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "BERTH_CLIENT_SECRET="); ok {
			secret = v
		}
	}
	s.restart()
	if strings.Contains(s.stdout.String(), "BERTH_CLIENT_SECRET") {
		t.Fatal("credentials printed again on the second start")
	}
	s.send("POST", "/v1/auth/access_token", map[string]string{"clientId": id, "clientSecret": secret}, nil).want(t, 200)
	if strings.Contains(s.logs.String(), secret) {
		t.Fatal("the client secret appears in the logs")
	}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestDeleteBlueprintWithActions(t *testing.T) {
	t.Parallel()
	s := startEngine(t)
	s.do("POST", "/v1/actions", onService("tied", "ENTITY_CREATED", "https://example.com")).want(t, 201)
	r := s.do("DELETE", "/v1/blueprints/service", nil)
	r.wantError(t, 409, "")
	if !strings.Contains(r.Raw, "tied") || !strings.Contains(r.Raw, "delete_actions") {
		t.Fatalf("the refusal does not name the action or the way out: %s", r.Raw)
	}
	s.do("GET", "/v1/actions/tied", nil).want(t, 200)
	s.do("DELETE", "/v1/blueprints/service?delete_actions=true", nil).want(t, 200)
	s.do("GET", "/v1/actions/tied", nil).wantError(t, 404, "")
	s.do("GET", "/v1/blueprints/service", nil).wantError(t, 404, "")
}

func TestBulkDelete(t *testing.T) {
	t.Parallel()
	env := []string{"BERTH_ALLOW_PRIVATE_TARGETS", "true"}
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); testBulkDelete(t, startServer(t, env...)) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testBulkDelete(t, startServerOn(t, pgtest.NewDatabase(t), env...))
	})
}

// testBulkDelete: POST /v1/blueprints/{bp}/bulk/entities/delete deletes each
// entity as the single DELETE does (relations cleared or dependents
// deleted, one ENTITY_DELETED each, tied to ?run_id=), answers Port's
// {"ok": true, "deletedEntities"} when all are deleted, and 207 with
// per-identifier errors when some name no entity.
func testBulkDelete(t *testing.T, s *testServer) {
	const path = "/v1/blueprints/domain/bulk/entities/delete"
	s.do("POST", "/v1/blueprints", map[string]any{"identifier": "domain", "title": "Domain",
		"schema":    map[string]any{"properties": map[string]any{}},
		"relations": map[string]any{"parent": map[string]any{"title": "Parent", "target": "domain", "many": false}},
	}).want(t, 201)
	s.do("POST", "/v1/blueprints", serviceBlueprint).want(t, 201)
	rc := newReceiver(t)
	s.do("POST", "/v1/actions", automation("on_delete", "ENTITY_DELETED", map[string]any{"blueprintIdentifier": "domain"}, rc.URL)).want(t, 201)
	for _, id := range []string{"d1", "d2", "d3", "d4"} {
		s.do("POST", "/v1/blueprints/domain/entities", map[string]any{"identifier": id}).want(t, 201)
	}
	s.do("POST", "/v1/blueprints/domain/entities", map[string]any{"identifier": "d5", "relations": map[string]any{"parent": "d4"}}).want(t, 201)
	s.do("POST", "/v1/blueprints/service/entities", map[string]any{"identifier": "svc",
		"properties": map[string]any{"language": "Go"}, "relations": map[string]any{"domain": "d1"}}).want(t, 201)

	// Refused before anything is deleted.
	hundredOne := make([]string, 101)
	for i := range hundredOne {
		hundredOne[i] = fmt.Sprintf("x%d", i)
	}
	for name, tc := range map[string]struct {
		path   string
		body   any
		status int
		field  string
	}{
		"none":              {path, map[string]any{"entities": []string{}}, 422, "/entities"},
		"missing":           {path, map[string]any{}, 422, "/entities"},
		"over 100":          {path, map[string]any{"entities": hundredOne}, 422, "/entities"},
		"not strings":       {path, map[string]any{"entities": []any{1}}, 422, ""},
		"unknown field":     {path, map[string]any{"entities": []string{"d1"}, "ids": []string{"d1"}}, 422, "/ids"},
		"bad parameter":     {path + "?delete_dependents=maybe", map[string]any{"entities": []string{"d1"}}, 422, "delete_dependents"},
		"malformed":         {path, `{"entities":`, 400, ""},
		"unknown run":       {path + "?run_id=r_unknown", map[string]any{"entities": []string{"d1"}}, 404, ""},
		"unknown blueprint": {"/v1/blueprints/nosuch/bulk/entities/delete", map[string]any{"entities": []string{"d1"}}, 404, ""},
	} {
		t.Run(name, func(t *testing.T) { s.do("POST", tc.path, tc.body).wantError(t, tc.status, tc.field) })
	}
	if c := s.do("GET", "/v1/blueprints/domain/entities-count", nil); c.Body["count"] != 5.0 {
		t.Fatalf("a refused bulk delete deleted entities: %s", c.Raw)
	}

	// All deleted: Port's answer, and the relation to d1 is cleared.
	all := s.do("POST", path, map[string]any{"entities": []string{"d1", "d2"}}).want(t, 200)
	if all.Raw != `{"ok":true,"deletedEntities":["d1","d2"]}`+"\n" {
		t.Fatalf("bulk delete: %s", all.Raw)
	}
	s.do("GET", "/v1/blueprints/domain/entities/d1", nil).wantError(t, 404, "")
	if svc := s.do("GET", "/v1/blueprints/service/entities/svc", nil).want(t, 200); get(svc.Body, "entity.relations.domain") != nil {
		t.Fatalf("relation to a deleted entity: %s", svc.Raw)
	}

	// On behalf of a run, with an identifier that names no entity and one
	// given twice: 207, the rest deleted.
	runID := get(rc.waitFor(t, 1)[0].JSON, "run.id").(string)
	mixed := s.do("POST", path+"?run_id="+runID, map[string]any{"entities": []string{"d3", "nope", "d3"}}).want(t, 207)
	if mixed.Body["ok"] != false || fmt.Sprint(mixed.Body["deletedEntities"]) != "[d3]" || len(mixed.Body["errors"].([]any)) != 1 ||
		get(mixed.Body, "errors.0.identifier") != "nope" || get(mixed.Body, "errors.0.index") != 1.0 ||
		get(mixed.Body, "errors.0.statusCode") != 404.0 || get(mixed.Body, "errors.0.error") != "not_found" {
		t.Fatalf("bulk delete with an unknown identifier: %s", mixed.Raw)
	}
	linked := s.do("GET", "/v1/audit-log?resources=entity&run_id="+runID, nil).want(t, 200)
	if a := linked.Body["audits"].([]any); len(a) != 1 || get(a[0], "action") != "DELETE" || get(a[0], "context.entity") != "d3" {
		t.Fatalf("changes tied to the run: %s", linked.Raw)
	}

	// delete_dependents: d5 goes with its parent d4, and naming it too is
	// no error.
	deps := s.do("POST", path+"?delete_dependents=true", map[string]any{"entities": []string{"d4", "d5"}}).want(t, 200)
	if fmt.Sprint(deps.Body["deletedEntities"]) != "[d4 d5]" {
		t.Fatalf("bulk delete with dependents: %s", deps.Raw)
	}
	if c := s.do("GET", "/v1/blueprints/domain/entities-count", nil); c.Body["count"] != 0.0 {
		t.Fatalf("left: %s", c.Raw)
	}

	// One ENTITY_DELETED per entity, as the single DELETE records it, and
	// each fired the automation once.
	dels := s.do("GET", "/v1/audit-log?resources=entity&blueprint=domain&action=DELETE", nil).want(t, 200)
	var deleted []string
	for _, a := range dels.Body["audits"].([]any) {
		deleted = append(deleted, get(a, "context.entity").(string))
	}
	slices.Sort(deleted)
	if fmt.Sprint(deleted) != "[d1 d2 d3 d4 d5]" {
		t.Fatalf("delete records: %v\n%s", deleted, dels.Raw)
	}
	var fired []string
	for _, r := range rc.waitFor(t, 4) {
		fired = append(fired, get(r.JSON, "event.context.entityIdentifier").(string))
	}
	rc.quiet(t, 4) // d3's deletion was the automation's own run's change
	slices.Sort(fired)
	if fmt.Sprint(fired) != "[d1 d2 d4 d5]" {
		t.Fatalf("automation fired for %v", fired)
	}
}
