package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliResult is what one run of the berth binary printed and its exit code.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// cli runs the real berth binary (this test binary, re-executed as berth by
// TestMain) with args against s. Arguments may not contain spaces.
func (s *testServer) cli(args ...string) cliResult {
	s.t.Helper()
	return s.cliWithInput("", args...)
}

func (s *testServer) cliWithInput(stdin string, args ...string) cliResult {
	s.t.Helper()
	for _, a := range args {
		if strings.ContainsAny(a, " \t\n") {
			s.t.Fatalf("cli argument %q has a space", a)
		}
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "BERTH_TEST_CHILD_ARGS="+strings.Join(args, " "),
		"BERTH_URL="+s.URL, "BERTH_CLIENT_ID="+testClientID, "BERTH_CLIENT_SECRET="+testClientSecret)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		s.t.Fatalf("berth %v: %v", args, err)
	}
	return res
}

// want fails the test unless the command exited with code.
func (r cliResult) want(t *testing.T, code int) cliResult {
	t.Helper()
	if r.Code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

// json decodes the command's standard output.
func (r cliResult) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.Stdout)
	}
	return v
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// auditCount counts the change-log records of every resource.
func (s *testServer) auditCount() int {
	s.t.Helper()
	r := s.do("GET", "/v1/audit-log?limit=1000", nil).want(s.t, 200)
	return len(r.Body["audits"].([]any))
}

// manifests is a catalog in YAML and JSON files: entities listed before the
// blueprints they need, and an automation before the action it listens to,
// so only apply's dependency order makes it work.
var manifests = map[string]string{
	"a-entities.yaml": `
kind: entity
identifier: checkout
blueprint: service
title: Checkout
properties: {language: Go}
relations: {owner: payments}
---
- {identifier: payments, blueprint: squad, title: Payments}
`,
	"b-automations.json": `{"identifier": "after_deploy", "title": "After deploy",
  "trigger": {"type": "automation", "event": {"type": "RUN_CREATED", "actionIdentifier": "deploy"}},
  "invocationMethod": {"type": "WEBHOOK", "url": "https://example.com/after"}}`,
	"c-actions.yaml": `
identifier: deploy
title: Deploy
trigger:
  type: self-service
  operation: DAY-2
  blueprintIdentifier: service
  userInputs:
    properties:
      version: {type: string}
      replicas: {type: number}
    required: [version]
invocationMethod: {type: WEBHOOK, url: "https://example.com/deploy", body: {v: "{{ .inputs.version }}"}}
`,
	"nested/d-blueprints.yaml": `
- identifier: service
  title: Service
  schema:
    properties:
      language: {type: string, enum: [Go, Python]}
      tier: {type: string, default: "3"}
    required: [language]
  relations:
    owner: {target: squad}
- identifier: squad
  title: Squad
  schema: {properties: {}}
`,
}

func TestCLIApplyIsIdempotent(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := writeFiles(t, manifests)

	first := s.cli("apply", "-f", dir).want(t, 0)
	for _, line := range []string{"blueprint squad created", "blueprint service created", "action deploy created",
		"automation after_deploy created", "entity squad/payments created", "entity service/checkout created",
		"6 created, 0 updated, 0 unchanged"} {
		if !strings.Contains(first.Stdout, line+"\n") {
			t.Fatalf("first apply does not say %q:\n%s", line, first.Stdout)
		}
	}
	if got := get(s.do("GET", "/v1/blueprints/service/entities/checkout", nil).want(t, 200).Body, "entity.properties.tier"); got != "3" {
		t.Fatalf("the default was not applied: %v", got)
	}

	// The second apply writes nothing.
	records := s.auditCount()
	second := s.cli("apply", "-f", dir, "-o", "json").want(t, 0)
	v := second.json(t)
	if n := len(get(v, "unchanged").([]any)); n != 6 || len(get(v, "created").([]any)) != 0 || len(get(v, "updated").([]any)) != 0 {
		t.Fatalf("second apply: %s", second.Stdout)
	}
	if after := s.auditCount(); after != records {
		t.Fatalf("the second apply wrote: %d change-log records before, %d after", records, after)
	}

	// A change is applied as an update; the rest stays as it is.
	changed := strings.Replace(manifests["c-actions.yaml"], "title: Deploy", "title: Deploy it", 1)
	os.WriteFile(filepath.Join(dir, "c-actions.yaml"), []byte(changed), 0o644)
	third := s.cli("apply", "-f", dir).want(t, 0)
	if third.Stdout != "action deploy updated\n0 created, 1 updated, 5 unchanged\n" {
		t.Fatalf("third apply:\n%s", third.Stdout)
	}
	if got := get(s.do("GET", "/v1/actions/deploy", nil).Body, "action.title"); got != "Deploy it" {
		t.Fatalf("title after update: %v", got)
	}

	// What get -o yaml prints applies back as unchanged.
	out := s.cli("get", "blueprint", "service", "-o", "yaml").want(t, 0)
	back := s.cliWithInput(out.Stdout, "apply", "-f", "-").want(t, 0)
	if back.Stdout != "0 created, 0 updated, 1 unchanged\n" {
		t.Fatalf("get -o yaml | apply -f -:\n%s%s", back.Stdout, back.Stderr)
	}
}

func TestCLIApplyReportsErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	dir := writeFiles(t, map[string]string{
		"bp.json":  `{"identifier": "service", "title": "Service", "schema": {"properties": {"language": {"type": "string", "enum": ["Go"]}}}}`,
		"bad.yaml": "identifier: legacy\nblueprint: service\nproperties: {language: Cobol}\n",
	})
	r := s.cli("apply", "-f", dir).want(t, 1)
	if !strings.Contains(r.Stderr, "entity service/legacy") || !strings.Contains(r.Stderr, "/properties/language") {
		t.Fatalf("the refusal does not name the entity and the field:\n%s", r.Stderr)
	}
	if !strings.Contains(r.Stdout, "1 created, 0 updated, 0 unchanged") {
		t.Fatalf("summary after an error:\n%s", r.Stdout)
	}

	// Usage errors, files that cannot be read, objects of unknown shape.
	s.cli("apply").want(t, 2)
	s.cli("apply", "-f", filepath.Join(dir, "missing.yaml")).want(t, 1)
	shapeless := writeFiles(t, map[string]string{"x.yaml": "identifier: what\n"})
	if r := s.cli("apply", "-f", shapeless).want(t, 1); !strings.Contains(r.Stderr, "add kind:") {
		t.Fatalf("unknown shape:\n%s", r.Stderr)
	}

	// Relation cycles: blueprints are created without relations first,
	// entities with their missing relations as stubs.
	cycle := writeFiles(t, map[string]string{"cycle.yaml": `
- {kind: blueprint, identifier: env, title: Env, schema: {properties: {}}, relations: {cluster: {target: cluster}}}
- {kind: blueprint, identifier: cluster, title: Cluster, schema: {properties: {}}, relations: {env: {target: env}}}
- {kind: entity, identifier: prod, blueprint: env, relations: {cluster: c1}}
- {kind: entity, identifier: c1, blueprint: cluster, relations: {env: prod}}
`})
	if r := s.cli("apply", "-f", cycle).want(t, 0); !strings.HasSuffix(r.Stdout, "4 created, 0 updated, 0 unchanged\n") {
		t.Fatalf("cycle:\n%s", r.Stdout)
	}
	if r := s.cli("apply", "-f", cycle, "--dry-run").want(t, 0); r.Stdout != "0 created, 0 updated, 4 unchanged (dry run: nothing was written)\n" {
		t.Fatalf("cycle again:\n%s", r.Stdout)
	}
}

func TestCLIGetAndDelete(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.cli("apply", "-f", writeFiles(t, manifests)).want(t, 0)

	table := s.cli("get", "blueprints").want(t, 0).Stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if !strings.HasPrefix(lines[0], "IDENTIFIER") || !strings.Contains(table, "owner→squad") {
		t.Fatalf("blueprints table:\n%s", table)
	}
	actions := s.cli("get", "actions", "-o", "json").want(t, 0).json(t).([]any)
	if len(actions) != 1 || get(actions[0], "identifier") != "deploy" {
		t.Fatalf("self-service actions: %v", actions)
	}
	autos := s.cli("get", "automations").want(t, 0).Stdout
	if rows := strings.Split(strings.TrimSpace(autos), "\n"); len(rows) != 2 || !strings.HasPrefix(rows[1], "after_deploy ") {
		t.Fatalf("automations:\n%s", autos)
	}
	entity := s.cli("get", "entity", "service/checkout", "-o", "json").want(t, 0).json(t)
	if get(entity, "relations.owner") != "payments" {
		t.Fatalf("entity: %v", entity)
	}
	if r := s.cli("get", "entities", "-b", "squad").want(t, 0); !strings.Contains(r.Stdout, "payments") {
		t.Fatalf("entities of squad:\n%s", r.Stdout)
	}

	s.cli("get", "blueprint", "nope").want(t, 3)
	s.cli("get", "gadgets").want(t, 2)
	s.cli("get", "entities").want(t, 2) // which blueprint?
	s.cli("get", "blueprints", "-o", "xml").want(t, 2)

	s.cli("delete", "entities").want(t, 2)           // no ID: nothing deleted
	s.cli("delete", "blueprint", "squad").want(t, 1) // refused: an entity and a relation use it
	if r := s.cli("delete", "entity", "checkout", "-b", "service").want(t, 0); r.Stdout != "entity service/checkout deleted\n" {
		t.Fatalf("delete:\n%s", r.Stdout)
	}
	s.cli("delete", "entity", "service/checkout").want(t, 3)
	s.cli("delete", "automations", "after_deploy").want(t, 0)
	s.cli("delete", "actions", "deploy").want(t, 0)
	s.do("GET", "/v1/actions/deploy", nil).want(t, 404)
	s.cli("delete", "entities", "-b", "squad", "--all").want(t, 0)
	s.do("GET", "/v1/blueprints/squad/entities/payments", nil).want(t, 404)
}

func TestCLIExecuteAndRuns(t *testing.T) {
	t.Parallel()
	s := startServer(t, "BERTH_ALLOW_PRIVATE_TARGETS", "true")
	rc := newReceiver(t)
	rc.setReply(`{"deployed": true}`)
	dir := writeFiles(t, map[string]string{"all.yaml": manifests["nested/d-blueprints.yaml"] + "\n---\n" +
		strings.ReplaceAll(strings.Replace(manifests["c-actions.yaml"], `url: "https://example.com/deploy"`,
			`url: "`+rc.URL+`", synchronized: true`, 1), "{{ .inputs.version }}", "{{ .inputs }}") +
		"\n---\n" + manifests["a-entities.yaml"]})
	s.cli("apply", "-f", dir).want(t, 0)

	// A bad input is refused with the field named.
	r := s.cli("execute", "deploy", "--entity", "checkout", "--input", "replicas=2").want(t, 1)
	if !strings.Contains(r.Stderr, "/properties/version") {
		t.Fatalf("missing input:\n%s", r.Stderr)
	}
	s.cli("execute", "nope").want(t, 3)
	s.cli("execute").want(t, 2)

	// String inputs stay strings; other inputs are JSON.
	run := s.cli("execute", "deploy", "--entity", "checkout", "--input", "version=1.10", "--input", "replicas=2", "-o", "json").want(t, 0).json(t)
	id := get(run, "id").(string)
	if got := rc.waitFor(t, 1)[0].JSON["v"]; got.(map[string]any)["version"] != "1.10" || got.(map[string]any)["replicas"] != 2.0 {
		t.Fatalf("inputs delivered: %v", got)
	}
	logs := s.cli("runs", "logs", id, "--follow", "--interval", "50ms").want(t, 0)
	if !strings.Contains(logs.Stderr, "run "+id+" ended SUCCESS") {
		t.Fatalf("runs logs --follow:\n%s%s", logs.Stdout, logs.Stderr)
	}
	list := s.cli("runs", "list", "--action", "deploy", "--status", "SUCCESS").want(t, 0).Stdout
	if !strings.Contains(list, id) || !strings.Contains(list, "service/checkout") {
		t.Fatalf("runs list:\n%s", list)
	}
	if r := s.cli("runs", "list", "--status", "FAILURE", "-o", "json").want(t, 0); r.Stdout != "[]\n" {
		t.Fatalf("no failed runs: %s", r.Stdout)
	}

	// --wait follows the run; a run that fails exits 4.
	rc.mu.Lock()
	rc.statuses = []int{400}
	rc.mu.Unlock()
	failed := s.cli("execute", "deploy", "--entity", "checkout", "--input", "version=2", "--wait", "--interval", "50ms").want(t, 4)
	if !strings.Contains(failed.Stderr, "ended FAILURE") {
		t.Fatalf("execute --wait:\n%s", failed.Stderr)
	}
	s.cli("runs", "logs", "r_missing").want(t, 3)
	s.cli("runs", "bogus").want(t, 2)
}

// orderedAction's body has a key after its spreadValue(): the key must
// override the spread input (spec 5.2), so its order must survive apply.
const orderedAction = `{"identifier":"ordcli","title":"ordcli","trigger":{"type":"self-service","operation":"CREATE",` +
	`"userInputs":{"properties":{"version":{"type":"string"}}}},"invocationMethod":{"type":"WEBHOOK","url":"RECEIVER/x",` +
	`"body":{"{{ spreadValue() }}":"{{ .inputs }}","version":"override-after-spread"}}}`

// TestCLIKeepsKeyOrder: apply sends documents in their author's key order,
// JSON and YAML alike, and get prints them in the order the server keeps.
func TestCLIKeepsKeyOrder(t *testing.T) {
	t.Parallel()
	s := startServer(t, "BERTH_ALLOW_PRIVATE_TARGETS", "true")
	rc := newReceiver(t)
	dir := writeFiles(t, map[string]string{
		"a.json": strings.Replace(orderedAction, "RECEIVER", rc.URL, 1),
		"b.yaml": `
identifier: ordyaml
title: ordyaml
trigger:
  type: self-service
  operation: CREATE
  userInputs: {properties: {version: {type: string}}}
invocationMethod:
  type: WEBHOOK
  url: ` + rc.URL + `/y
  body:
    "{{ spreadValue() }}": "{{ .inputs }}"
    version: override-after-spread
    released: 2024-01-02
`,
	})
	s.cli("apply", "-f", dir).want(t, 0)
	wantBody := map[string]string{
		"ordcli":  `"body":{"{{ spreadValue() }}":"{{ .inputs }}","version":"override-after-spread"}`,
		"ordyaml": `"body":{"{{ spreadValue() }}":"{{ .inputs }}","version":"override-after-spread","released":"2024-01-02"}`,
	}
	for id, body := range wantBody {
		if raw := s.do("GET", "/v1/actions/"+id, nil).want(t, 200).Raw; !strings.Contains(raw, body) {
			t.Fatalf("%s is stored as\n%s\nwant a body %s", id, raw, body)
		}
		// The key after the spread wins when the action runs.
		s.cli("execute", id, "--input", "version=from-input").want(t, 0)
		got := rc.waitFor(t, 1)
		if v := got[len(got)-1].JSON["version"]; v != "override-after-spread" {
			t.Fatalf("%s delivered version %v, want the key written after the spread", id, v)
		}
		rc.mu.Lock()
		rc.got = nil
		rc.mu.Unlock()
	}

	// get prints the keys in the server's order, not sorted.
	out := s.cli("get", "actions", "ordcli", "-o", "json").want(t, 0).Stdout
	if !strings.HasPrefix(out, "{\n  \"identifier\": \"ordcli\",\n  \"title\"") ||
		strings.Index(out, "spreadValue") > strings.Index(out, "override-after-spread") {
		t.Fatalf("get -o json:\n%s", out)
	}
	yamlOut := s.cli("get", "actions", "ordyaml", "-o", "yaml").want(t, 0).Stdout
	if !strings.HasPrefix(yamlOut, "identifier: ordyaml\n") || !strings.Contains(yamlOut, "released: \"2024-01-02\"") ||
		strings.Index(yamlOut, "spreadValue") > strings.Index(yamlOut, "override-after-spread") {
		t.Fatalf("get -o yaml:\n%s", yamlOut)
	}

	// What get prints applies back unchanged, and the order stays.
	for _, format := range []string{"yaml", "json"} {
		printed := s.cli("get", "actions", "-o", format).want(t, 0).Stdout
		if r := s.cliWithInput(printed, "apply", "-f", "-").want(t, 0); r.Stdout != "0 created, 0 updated, 2 unchanged\n" {
			t.Fatalf("get -o %s | apply -f -:\n%s%s", format, r.Stdout, r.Stderr)
		}
	}
	if r := s.cli("apply", "-f", dir).want(t, 0); r.Stdout != "0 created, 0 updated, 2 unchanged\n" {
		t.Fatalf("second apply:\n%s", r.Stdout)
	}

	// A stored body whose keys are in another order (as an older berth
	// apply wrote it) differs from the file: apply puts it back in order.
	sorted := strings.Replace(strings.Replace(orderedAction, "RECEIVER", rc.URL, 1),
		`{"{{ spreadValue() }}":"{{ .inputs }}","version":"override-after-spread"}`,
		`{"version":"override-after-spread","{{ spreadValue() }}":"{{ .inputs }}"}`, 1)
	s.do("PUT", "/v1/actions/ordcli", sorted).want(t, 200)
	if r := s.cli("apply", "-f", dir).want(t, 0); r.Stdout != "action ordcli updated\n0 created, 1 updated, 1 unchanged\n" {
		t.Fatalf("apply over a reordered body:\n%s", r.Stdout)
	}
	if raw := s.do("GET", "/v1/actions/ordcli", nil).Raw; !strings.Contains(raw, wantBody["ordcli"]) {
		t.Fatalf("after apply: %s", raw)
	}
}

// TestCLIActionKinds: actions (self-service) and automations share the
// server's /v1/actions, but the CLI names them apart.
func TestCLIActionKinds(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.cli("apply", "-f", writeFiles(t, manifests)).want(t, 0)

	t.Run("executing an automation is refused", func(t *testing.T) {
		r := s.cli("execute", "after_deploy").want(t, 1)
		if !strings.Contains(r.Stderr, "after_deploy is an automation") || strings.Contains(r.Stderr, "panic") {
			t.Fatalf("execute an automation:\n%s", r.Stderr)
		}
	})

	t.Run("a bad inputs file exits 1", func(t *testing.T) {
		// A bad --inputs file is a bad file (1), not a bad command line (2).
		bad := writeFiles(t, map[string]string{"bad.yaml": "version: [1\n", "list.json": `["a"]`})
		for _, file := range []string{filepath.Join(bad, "missing.yaml"), filepath.Join(bad, "bad.yaml"), filepath.Join(bad, "list.json")} {
			if r := s.cli("execute", "deploy", "--entity", "checkout", "--inputs", file).want(t, 1); strings.Contains(r.Stderr, "--help") {
				t.Fatalf("--inputs %s:\n%s", file, r.Stderr)
			}
		}
		s.cli("execute", "deploy", "--input", "novalue").want(t, 2)
	})

	t.Run("a kind mismatch is not found", func(t *testing.T) {
		for _, c := range [][]string{
			{"delete", "automations", "deploy"},
			{"delete", "actions", "after_deploy"},
			{"get", "automations", "deploy"},
			{"get", "actions", "after_deploy"},
		} {
			r := s.cli(c...).want(t, 3)
			if !strings.Contains(r.Stderr, "was not found") || strings.Contains(r.Stdout, "deleted") {
				t.Fatalf("berth %s:\n%s%s", strings.Join(c, " "), r.Stdout, r.Stderr)
			}
		}
		s.do("GET", "/v1/actions/deploy", nil).want(t, 200)
		s.do("GET", "/v1/actions/after_deploy", nil).want(t, 200)
		s.cli("get", "actions", "deploy").want(t, 0)
		s.cli("get", "automations", "after_deploy").want(t, 0)

		if r := s.cli("delete", "automations", "after_deploy").want(t, 0); r.Stdout != "automation after_deploy deleted\n" {
			t.Fatalf("delete automation:\n%s", r.Stdout)
		}
		if r := s.cli("delete", "actions", "deploy", "after_deploy").want(t, 3); r.Stdout != "action deploy deleted\n" {
			t.Fatalf("delete action:\n%s", r.Stdout)
		}
		s.do("GET", "/v1/actions/deploy", nil).want(t, 404)
	})
}
