package signing

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestVerifyPortV1(t *testing.T) {
	t.Parallel()
	secret := []byte("my-client-secret")
	body := []byte(`{"name":"svc-a","port_context":{"runId":"r_abc"}}`)
	now := time.Unix(1700000000, 0)
	good := "v1,jSxmgtV1bghSyNOGpm1cvggAnSRktJCef0SNdHpjHH8="
	tests := []struct {
		name      string
		header    string
		timestamp string
		body      []byte
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"valid", good, "1700000000", body, now, DefaultTolerance, nil},
		{"one of several", "v1,AAAA " + good, "1700000000", body, now, DefaultTolerance, nil},
		{"within tolerance", good, "1700000000", body, now.Add(299 * time.Second), DefaultTolerance, nil},
		{"too old", good, "1700000000", body, now.Add(301 * time.Second), DefaultTolerance, ErrTimestampSkew},
		{"from the future", good, "1700000000", body, now.Add(-time.Hour), DefaultTolerance, ErrTimestampSkew},
		{"window check off", good, "1700000000", body, now.Add(24 * time.Hour), 0, nil},
		{"other body", good, "1700000000", []byte(`{"name":"svc-b"}`), now, DefaultTolerance, ErrBadSignature},
		{"other timestamp", good, "1700000001", body, now, DefaultTolerance, ErrBadSignature},
		{"timestamp written differently", good, "01700000000", body, now, DefaultTolerance, ErrBadSignature},
		{"not a number", good, "yesterday", body, now, DefaultTolerance, ErrBadTimestamp},
		{"no v1 entry", "v2,abc", "1700000000", body, now, DefaultTolerance, ErrNoSignature},
		{"empty header", "", "1700000000", body, now, DefaultTolerance, ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyPortV1(secret, tt.header, tt.timestamp, tt.body, tt.tolerance, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("VerifyPortV1 = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyStandardWebhooks(t *testing.T) {
	t.Parallel()
	secret := []byte("my-client-secret")
	body := []byte(`{"a":1}`)
	now := time.Unix(1700000000, 0)
	sig := StandardWebhooks(secret, "msg_1", now.Unix(), body)
	if err := VerifyStandardWebhooks(secret, "msg_1", "1700000000", sig, body, DefaultTolerance, now); err != nil {
		t.Errorf("valid signature: %v", err)
	}
	if err := VerifyStandardWebhooks(secret, "msg_2", "1700000000", sig, body, DefaultTolerance, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other message id: %v, want ErrBadSignature", err)
	}
	if err := VerifyStandardWebhooks([]byte("other"), "msg_1", "1700000000", sig, body, DefaultTolerance, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other secret: %v, want ErrBadSignature", err)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	secret := []byte("my-client-secret")
	body := []byte(`{"name":"svc-a","port_context":{"runId":"r_abc"}}`)
	now := time.Unix(1700000000, 999_000_000)
	h := Headers(secret, "run_1", now, body)

	// Looked up the way receivers spell them, lower case included.
	want := map[string]string{
		"x-port-timestamp":  "1700000000",
		"x-port-signature":  "v1,jSxmgtV1bghSyNOGpm1cvggAnSRktJCef0SNdHpjHH8=",
		"webhook-id":        "run_1",
		"webhook-timestamp": "1700000000",
		"webhook-signature": StandardWebhooks(secret, "run_1", 1700000000, body),
	}
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("Headers has %d entries, want %d: %v", len(h), len(want), h)
	}
	if err := VerifyHeaders(secret, h, body, DefaultTolerance, now); err != nil {
		t.Errorf("VerifyHeaders: %v", err)
	}
	if err := VerifyHeaders(secret, h, append(body, ' '), DefaultTolerance, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifyHeaders with an altered body: %v, want ErrBadSignature", err)
	}
	if err := VerifyHeaders(secret, http.Header{}, body, DefaultTolerance, now); !errors.Is(err, ErrMissingHeader) {
		t.Errorf("VerifyHeaders without headers: %v, want ErrMissingHeader", err)
	}
	h.Set(HeaderWebhookID, "run_2")
	if err := VerifyHeaders(secret, h, body, DefaultTolerance, now); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifyHeaders with another webhook-id: %v, want ErrBadSignature", err)
	}
}

func TestBodylessRequestSignsTimestampAndDot(t *testing.T) {
	t.Parallel()
	secret := []byte("s")
	if PortV1(secret, 1, nil) != PortV1(secret, 1, []byte{}) {
		t.Error("nil and empty bodies sign differently")
	}
	if err := VerifyPortV1(secret, PortV1(secret, 1, nil), strconv.Itoa(1), nil, 0, time.Time{}); err != nil {
		t.Error(err)
	}
}
