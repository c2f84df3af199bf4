package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/signing"
)

func TestSecretsCRUD(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "api-token", "secretValue": "v4lue-0f-the-secret", "description": "CI"}).want(t, 201)
	if get(r.Body, "secret.secretName") != "api-token" || get(r.Body, "secret.description") != "CI" || get(r.Body, "secret.createdAt") == nil ||
		strings.Contains(r.Raw, "v4lue-0f-the-secret") {
		t.Fatalf("created: %s", r.Raw)
	}
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "api-token", "secretValue": "x"}).wantError(t, 409, "")
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "bad name!", "secretValue": "x"}).wantError(t, 422, "/secretName")
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "empty"}).wantError(t, 422, "/secretValue")
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "long", "secretValue": "x", "description": strings.Repeat("d", 201)}).wantError(t, 422, "/description")
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "x", "secretValue": "x", "value": "x"}).wantError(t, 422, "/value")

	list := s.do("GET", "/v1/organization/secrets", nil).want(t, 200)
	if secrets := list.Body["secrets"].([]any); len(secrets) != 1 || strings.Contains(list.Raw, "v4lue") {
		t.Fatalf("list: %s", list.Raw)
	}
	r = s.do("PATCH", "/v1/organization/secrets/api-token", map[string]any{"secretValue": "n3w-v4lue", "description": "CI token"}).want(t, 200)
	if get(r.Body, "secret.description") != "CI token" || strings.Contains(r.Raw, "n3w") {
		t.Fatalf("patched: %s", r.Raw)
	}
	got := s.do("GET", "/v1/organization/secrets/api-token", nil).want(t, 200)
	if get(got.Body, "secret.description") != "CI token" || strings.Contains(got.Raw, "v4lue") {
		t.Fatalf("read: %s", got.Raw)
	}
	s.do("PATCH", "/v1/organization/secrets/api-token", map[string]any{"secretName": "other"}).wantError(t, 422, "/secretName")
	s.do("PATCH", "/v1/organization/secrets/nope", map[string]any{"secretValue": "x"}).wantError(t, 404, "")
	s.do("GET", "/v1/organization/secrets/nope", nil).wantError(t, 404, "")
	s.do("DELETE", "/v1/organization/secrets/api-token", nil).want(t, 200)
	s.do("DELETE", "/v1/organization/secrets/api-token", nil).wantError(t, 404, "")
}

// TestSecretsReachTheBackendOnly sends organization secrets (in the URL, a
// header and the body) and a secret input to a webhook that echoes one of
// them back, and checks that the backend gets them in clear while every
// stored trace of the run (run, list, logs, attempts, audit log, the
// database files themselves) shows them masked.
func TestSecretsReachTheBackendOnly(t *testing.T) {
	t.Parallel()
	const (
		apiToken = "tok-8c1f2e9b7a6d5c4b3a29"
		plain    = "pl4in-s3cret-77Q"
		password = "hunter2-but-longer"
	)
	s := startEngine(t)
	rc := newReceiver(t)
	rc.setReply(`{"echo":"` + plain + `"}`)
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "api-token", "secretValue": apiToken}).want(t, 201)
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "plain", "secretValue": plain}).want(t, 201)
	s.do("POST", "/v1/actions", map[string]any{
		"identifier": "call", "title": "Call",
		"trigger": map[string]any{"type": "self-service", "operation": "CREATE", "userInputs": map[string]any{"properties": map[string]any{
			"password": map[string]any{"type": "string", "encryption": "aes256-gcm"},
			"note":     map[string]any{"type": "string"},
		}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "synchronized": true,
			"url":     rc.URL + "/hook?key={{ .secrets.plain }}",
			"headers": map[string]any{"Authorization": `Bearer {{ .secrets["api-token"] }}`},
			"body": map[string]any{"token": "{{ .secrets.plain }}", "mixed": "x-{{ .secrets.plain }}-y", "password": "{{ .inputs.password }}",
				"note": "{{ .inputs.note }}", "broken": "{{ .secrets.plain | tonumber }}", "runId": "{{ .run.id }}"}},
	}).want(t, 201)
	r := s.do("POST", "/v1/actions/call/runs", map[string]any{"properties": map[string]any{"password": password, "note": "hello"}}).want(t, 202)
	id := get(r.Body, "run.id").(string)

	got := rc.waitFor(t, 1)[0]
	if got.Header.Get("Authorization") != "Bearer "+apiToken || got.JSON["token"] != plain || got.JSON["mixed"] != "x-"+plain+"-y" ||
		!strings.Contains(string(got.Body), `"note":"hello"`) {
		t.Fatalf("the backend got %s with Authorization %q", got.Body, got.Header.Get("Authorization"))
	}
	decrypted, err := signing.DecryptSecretInput(testClientSecret, got.JSON["password"].(string))
	if err != nil || string(decrypted) != password {
		t.Fatalf("secret input: %q, %v", decrypted, err)
	}
	if err := signing.VerifyHeaders([]byte(testClientSecret), got.Header, got.Body, time.Minute, time.Now()); err != nil {
		t.Fatalf("signature over the body with secrets: %v", err)
	}
	run := waitStatus(t, s, "call", "SUCCESS")
	for path, want := range map[string]any{"payload.headers.Authorization": "Bearer ****", "payload.body.token": "****",
		"payload.body.mixed": "x-****-y", "payload.url": rc.URL + "/hook?key=****", "properties.password": "****",
		"rawProperties.password": "****", "properties.note": "hello", "response.echo": "****", "attempts.0.target": rc.URL + "/hook?key=****",
		"attempts.0.response": `{"echo":"****"}`} {
		if got := get(run, path); got != want {
			t.Errorf("stored run %s = %v, want %v", path, got, want)
		}
	}

	secrets := []string{apiToken, plain, password}
	noSecrets := func(what, text string) {
		t.Helper()
		for _, v := range secrets {
			if strings.Contains(text, v) {
				t.Errorf("%s shows the secret %q: %s", what, v, text)
			}
		}
	}
	noSecrets("GET run", s.do("GET", "/v1/actions/runs/"+id, nil).want(t, 200).Raw)
	noSecrets("GET run v1", s.do("GET", "/v1/actions/runs/"+id+"?version=v1", nil).want(t, 200).Raw)
	noSecrets("run list", s.do("GET", "/v1/actions/runs", nil).want(t, 200).Raw)
	logs := s.do("GET", "/v1/actions/runs/"+id+"/logs", nil).want(t, 200)
	noSecrets("run logs", logs.Raw)
	if !strings.Contains(logs.Raw, "****") {
		t.Errorf("the failing expression's log line should show the secret masked: %s", logs.Raw)
	}
	noSecrets("audit log", s.do("GET", "/v1/audit-log?run_id="+id, nil).want(t, 200).Raw)
	noSecrets("audit log", s.do("GET", "/v1/audit-log", nil).want(t, 200).Raw)
	noSecrets("secrets list", s.do("GET", "/v1/organization/secrets", nil).want(t, 200).Raw)
	for _, f := range []string{s.DB, s.DB + "-wal"} {
		raw, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, v := range secrets {
			if bytes.Contains(raw, []byte(v)) {
				t.Errorf("%s holds the secret %q in clear", f, v)
			}
		}
	}
}

// TestSecretsKey checks BERTH_SECRETS_KEY: given, it is never stored;
// a start without it, or with another key, is refused; with it the
// secrets still work.
func TestSecretsKey(t *testing.T) {
	t.Parallel()
	key := seal.GenerateKey()
	s := startEngine(t, "BERTH_SECRETS_KEY", key)
	rc := newReceiver(t)
	s.do("POST", "/v1/organization/secrets", map[string]any{"secretName": "tok", "secretValue": "k3pt-s3cret"}).want(t, 201)
	s.do("POST", "/v1/actions", map[string]any{
		"identifier": "call", "trigger": map[string]any{"type": "self-service", "operation": "CREATE", "userInputs": map[string]any{"properties": map[string]any{}}},
		"invocationMethod": map[string]any{"type": "WEBHOOK", "url": rc.URL, "body": map[string]any{"t": "{{ .secrets.tok }}"}},
	}).want(t, 201)
	s.stop()
	for _, f := range []string{s.DB, s.DB + "-wal"} {
		if raw, _ := os.ReadFile(f); bytes.Contains(raw, []byte(key)) {
			t.Fatalf("%s holds BERTH_SECRETS_KEY", f)
		}
	}
	for _, other := range []string{"", seal.GenerateKey(), "not-a-key"} {
		env := map[string]string{}
		for k, v := range s.env {
			env[k] = v
		}
		env["BERTH_SECRETS_KEY"] = other
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", s.DB}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "BERTH_SECRETS_KEY") {
			t.Fatalf("start with BERTH_SECRETS_KEY=%q: %v", other, err)
		}
	}
	s.start()
	s.token = ""
	s.do("POST", "/v1/actions/call/runs", map[string]any{"properties": map[string]any{}}).want(t, 202)
	if got := rc.waitFor(t, 1)[0]; got.JSON["t"] != "k3pt-s3cret" {
		t.Fatalf("after a restart the backend got %s", got.Body)
	}
}
