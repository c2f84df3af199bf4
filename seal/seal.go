// Package seal keeps secrets secret: it encrypts values at rest with one
// AES-256-GCM key (the organization's secrets key, BERTH_SECRETS_KEY) and
// masks secret values in text that berth stores or shows (run payloads, log
// lines, delivery attempts).
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the length of a secrets key: AES-256.
const KeySize = 32

// ErrOpen means a sealed value could not be decrypted: it is damaged, or it
// was sealed under another key.
var ErrOpen = errors.New("seal: the value cannot be opened with this key (damaged, or sealed under another key)")

// Key seals and opens values. It is safe for concurrent use.
type Key struct {
	aead cipher.AEAD
	raw  []byte
}

// NewKey returns a Key for 32 raw key bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("seal: a key is %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead, raw: append([]byte(nil), raw...)}, nil
}

// ParseKey reads a key written as standard Base64 of 32 bytes (what
// GenerateKey returns and `openssl rand -base64 32` prints).
func ParseKey(s string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("seal: a key is %d random bytes in standard Base64 (openssl rand -base64 32)", KeySize)
	}
	return NewKey(raw)
}

// GenerateKey returns a new random key in the text form ParseKey reads.
func GenerateKey() string {
	raw := make([]byte, KeySize)
	rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}

// Seal encrypts plaintext: Base64(nonce ‖ ciphertext ‖ tag), a fresh random
// 12-byte nonce each time.
func (k *Key) Seal(plaintext []byte) string {
	out := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	rand.Read(out)
	out = k.aead.Seal(out, out, plaintext, nil)
	return base64.StdEncoding.EncodeToString(out)
}

// Open reverses Seal. It returns ErrOpen for anything Seal did not produce
// under this key.
func (k *Key) Open(sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	n := k.aead.NonceSize()
	if err != nil || len(raw) < n+k.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Check returns a fingerprint of the key that reveals nothing about it, to
// store beside what the key sealed so that a start with another key is
// refused instead of failing later on every secret.
func (k *Key) Check() string {
	m := hmac.New(sha256.New, k.raw)
	m.Write([]byte("berth secrets key check"))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
