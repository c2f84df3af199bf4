package signing

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSecretInputRoundTrip(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 64)
	for _, plain := range []string{"", "hunter2", `{"token":"abc","multi":"line\nvalue"}`} {
		enc, err := EncryptSecretInput(secret, []byte(plain), nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if want := 16 + len(plain) + 16; len(raw) != want {
			t.Errorf("%q: %d bytes encrypted, want %d", plain, len(raw), want)
		}
		got, err := DecryptSecretInput(secret, enc)
		if err != nil || string(got) != plain {
			t.Errorf("round trip of %q = %q, %v", plain, got, err)
		}
	}
}

func TestSecretInputUsesOnlyFirst32Bytes(t *testing.T) {
	t.Parallel()
	a := strings.Repeat("k", 32) + "-one"
	b := strings.Repeat("k", 32) + "-another"
	enc, err := EncryptSecretInput(a, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecryptSecretInput(b, enc); err != nil || string(got) != "x" {
		t.Errorf("decrypt with same first 32 bytes = %q, %v", got, err)
	}
}

func TestSecretInputErrors(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 32)
	enc, err := EncryptSecretInput(secret, []byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EncryptSecretInput("short", []byte("x"), nil); !errors.Is(err, ErrSecretTooShort) {
		t.Errorf("short secret: %v", err)
	}
	if _, err := DecryptSecretInput(strings.Repeat("j", 32), enc); !errors.Is(err, ErrDecryptionFailure) {
		t.Errorf("wrong secret: %v", err)
	}
	if _, err := DecryptSecretInput(secret, "not base64!"); !errors.Is(err, ErrMalformedCiphertext) {
		t.Errorf("not Base64: %v", err)
	}
	if _, err := DecryptSecretInput(secret, base64.StdEncoding.EncodeToString(make([]byte, 31))); !errors.Is(err, ErrMalformedCiphertext) {
		t.Errorf("too short: %v", err)
	}
	if _, err := EncryptSecretInput(secret, []byte("x"), strings.NewReader("short")); err == nil {
		t.Error("a short random source was accepted")
	}
}
