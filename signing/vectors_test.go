package signing

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// Appendix D of the spec: Port v1 signatures.
func TestPortV1AppendixD(t *testing.T) {
	t.Parallel()
	secret := []byte("my-client-secret")
	tests := []struct {
		name, body, want string
	}{
		{"plain", `{"name":"svc-a","port_context":{"runId":"r_abc"}}`, "v1,jSxmgtV1bghSyNOGpm1cvggAnSRktJCef0SNdHpjHH8="},
		{"unescaped HTML and UTF-8", `{"msg":"a<b & ü"}`, "v1,hCgPmdTYN1RGRgs5d2AJBqZDII6vLsqZ/gW+Xay94ew="},
		{"HTML-escaped (wrong body, right signature of it)", `{"msg":"a\u003cb \u0026 ü"}`, "v1,sbF5x18qAOHg90Uvi0LZBxA2L8rGSykw9K0ZUBjf7NU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PortV1(secret, 1700000000, []byte(tt.body)); got != tt.want {
				t.Errorf("PortV1 = %s, want %s", got, tt.want)
			}
		})
	}
}

// Appendix D of the spec: the Port-managed secret input with IV 0x00..0x0f.
func TestSecretInputAppendixD(t *testing.T) {
	t.Parallel()
	const (
		clientSecret = "0123456789abcdef0123456789abcdef-rest-of-client-secret"
		want         = "AAECAwQFBgcICQoLDA0OD46z/NStD+zwsMm1Q0LDdWINQ1E1hnQr"
	)
	iv := bytes.NewReader([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	got, err := EncryptSecretInput(clientSecret, []byte("hunter2"), iv)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("EncryptSecretInput = %s, want %s", got, want)
	}
	plain, err := DecryptSecretInput(clientSecret, want)
	if err != nil || string(plain) != "hunter2" {
		t.Errorf("DecryptSecretInput = %q, %v; want hunter2", plain, err)
	}
}

// The example of the Standard Webhooks specification and its libraries: a
// "whsec_" secret is Base64 of the key bytes.
func TestStandardWebhooksReferenceVector(t *testing.T) {
	t.Parallel()
	key, err := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := StandardWebhooks(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("StandardWebhooks = %s, want %s", got, want)
	}
	if got, want := StandardWebhooksSecret(key), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; got != want {
		t.Errorf("StandardWebhooksSecret = %s, want %s", got, want)
	}
}

// RFC 2202 test case 2 for HMAC-SHA1.
func TestAzureDevOpsRFC2202(t *testing.T) {
	t.Parallel()
	got := AzureDevOps([]byte("Jefe"), []byte("what do ya want for nothing?"))
	if want := "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"; got != want {
		t.Errorf("AzureDevOps = %s, want %s", got, want)
	}
}
