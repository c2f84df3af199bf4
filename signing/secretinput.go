package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// Sizes of the Port-managed secret-input scheme (spec 8.5).
const (
	secretInputKeySize   = 32 // AES-256: the first 32 bytes of the client secret
	secretInputNonceSize = 16 // Port uses a 16-byte GCM nonce, not the usual 12
	secretInputTagSize   = 16
)

// EncryptSecretInput encrypts a secret user input the way Port does for
// "encryption": "aes256-gcm" (spec 8.5): AES-256-GCM keyed with the first 32
// bytes of the client secret, a random 16-byte nonce read from random (nil
// means crypto/rand), and the result Base64(nonce ‖ ciphertext ‖ tag). An
// object input is encrypted as its JSON text.
//
// It returns ErrSecretTooShort when the client secret has fewer than 32 bytes.
func EncryptSecretInput(clientSecret string, plaintext []byte, random io.Reader) (string, error) {
	aead, err := secretInputAEAD(clientSecret)
	if err != nil {
		return "", err
	}
	if random == nil {
		random = rand.Reader
	}
	out := make([]byte, secretInputNonceSize, secretInputNonceSize+len(plaintext)+secretInputTagSize)
	if _, err := io.ReadFull(random, out); err != nil {
		return "", fmt.Errorf("signing: reading nonce: %w", err)
	}
	out = aead.Seal(out, out, plaintext, nil)
	return base64.StdEncoding.EncodeToString(out), nil
}

// DecryptSecretInput reverses EncryptSecretInput, as Port's execution agent
// does for the fields it is told to decrypt.
//
// It returns ErrSecretTooShort, ErrMalformedCiphertext or ErrDecryptionFailure.
func DecryptSecretInput(clientSecret, encrypted string) ([]byte, error) {
	aead, err := secretInputAEAD(clientSecret)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(raw) < secretInputNonceSize+secretInputTagSize {
		return nil, ErrMalformedCiphertext
	}
	nonce, sealed := raw[:secretInputNonceSize], raw[secretInputNonceSize:]
	plain, err := aead.Open(nil, nonce, sealed, nil)
	if err != nil {
		return nil, ErrDecryptionFailure
	}
	return plain, nil
}

func secretInputAEAD(clientSecret string) (cipher.AEAD, error) {
	if len(clientSecret) < secretInputKeySize {
		return nil, ErrSecretTooShort
	}
	block, err := aes.NewCipher([]byte(clientSecret[:secretInputKeySize]))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithNonceSize(block, secretInputNonceSize)
}
