package signing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/testenv"
)

// nodeCase is one input of testdata/verify.js.
type nodeCase struct {
	Name              string `json:"name"`
	Secret            string `json:"secret"`
	Timestamp         string `json:"timestamp"`
	MsgID             string `json:"msgId"`
	Body              string `json:"body"`
	PortSignature     string `json:"portSignature"`
	StandardSignature string `json:"standardSignature"`
	Whsec             string `json:"whsec"`
	Azure             string `json:"azure"`
	Encrypted         string `json:"encrypted,omitempty"`
	Plaintext         string `json:"plaintext"`
}

// nodeResult is what testdata/verify.js concluded about one case.
type nodeResult struct {
	Name             string `json:"name"`
	PortRaw          bool   `json:"portRaw"`
	PortReserialized bool   `json:"portReserialized"`
	StandardRaw      bool   `json:"standardRaw"`
	StandardWhsec    bool   `json:"standardWhsec"`
	Azure            bool   `json:"azure"`
	SecretInput      *bool  `json:"secretInput"`
}

// marshalForWebhook serializes the way spec 8.2 requires (compact, no HTML
// escaping, no trailing newline).
func marshalForWebhook(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestNodeVerifier checks signatures made here with an independent verifier
// in JavaScript, both on the raw bytes and after JSON.stringify(JSON.parse()).
func TestNodeVerifier(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	testenv.Require(t, err == nil, "node is not on PATH; the independent signature verifier needs it")

	secret := "0123456789abcdef0123456789abcdef-ü-secret"
	payload := map[string]any{"msg": "a<b & ü", "n": 12, "list": []any{1.5, "x", nil}}
	goDefault, err := json.Marshal(payload) // HTML-escaped: \u003c, \u0026
	if err != nil {
		t.Fatal(err)
	}
	bodies := []struct {
		name         string
		body         []byte
		reserialized bool // whether JSON.stringify(JSON.parse(body)) reproduces body
	}{
		{"appendix D row 1", []byte(`{"name":"svc-a","port_context":{"runId":"r_abc"}}`), true},
		{"appendix D row 2", []byte(`{"msg":"a<b & ü"}`), true},
		{"appendix D row 3 (HTML-escaped)", []byte(`{"msg":"a\u003cb \u0026 ü"}`), false},
		{"spec 8.2 serialization", marshalForWebhook(t, payload), true},
		{"encoding/json default", goDefault, false},
		{"empty body", nil, false},
	}
	var cases []nodeCase
	for i, b := range bodies {
		ts := int64(1700000000 + i)
		enc, err := EncryptSecretInput(secret, b.body, nil)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, nodeCase{
			Name:              b.name,
			Secret:            base64.StdEncoding.EncodeToString([]byte(secret)),
			Timestamp:         strconv.FormatInt(ts, 10),
			MsgID:             "msg_" + b.name,
			Body:              base64.StdEncoding.EncodeToString(b.body),
			PortSignature:     PortV1([]byte(secret), ts, b.body),
			StandardSignature: StandardWebhooks([]byte(secret), "msg_"+b.name, ts, b.body),
			Whsec:             StandardWebhooksSecret([]byte(secret)),
			Azure:             AzureDevOps([]byte(secret), b.body),
			Encrypted:         enc,
			Plaintext:         base64.StdEncoding.EncodeToString(b.body),
		})
	}

	// A control: the same signatures checked with another secret must all fail,
	// or the verifier proves nothing.
	control := cases[0]
	control.Name = "control: another secret"
	control.Secret = base64.StdEncoding.EncodeToString([]byte(strings.ToUpper(secret)))
	control.Whsec = StandardWebhooksSecret([]byte(strings.ToUpper(secret)))
	cases = append(cases, control)

	results := runNode(t, node, cases)
	if r := results[len(cases)-1]; r.PortRaw || r.PortReserialized || r.StandardRaw || r.StandardWhsec || r.Azure || (r.SecretInput != nil && *r.SecretInput) {
		t.Errorf("node accepted signatures under another secret: %+v", r)
	}
	for i, b := range bodies {
		r := results[i]
		if r.Name != b.name {
			t.Fatalf("result %d is for %q, want %q", i, r.Name, b.name)
		}
		if !r.PortRaw || !r.StandardRaw || !r.StandardWhsec || !r.Azure {
			t.Errorf("%s: node rejected a signature of the raw body: %+v", b.name, r)
		}
		if r.PortReserialized != b.reserialized {
			t.Errorf("%s: JSON.stringify verifier accepted = %v, want %v", b.name, r.PortReserialized, b.reserialized)
		}
		if r.SecretInput == nil || !*r.SecretInput {
			t.Errorf("%s: node could not decrypt the secret input", b.name)
		}
	}
}

func runNode(t *testing.T, node string, cases []nodeCase) []nodeResult {
	t.Helper()
	in, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "testdata/verify.js")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node testdata/verify.js: %v\n%s", err, stderr.Bytes())
	}
	var results []nodeResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("decoding node output %q: %v", out, err)
	}
	if len(results) != len(cases) {
		t.Fatalf("node returned %d results for %d cases", len(results), len(cases))
	}
	return results
}
