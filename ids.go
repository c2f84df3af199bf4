package berth

import (
	"crypto/rand"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns prefix followed by n random characters from [A-Za-z0-9], the
// shape of Port's ids ("r_QOz6WoOB1Q2lmhZZ" is NewID("r_", 16)).
func NewID(prefix string, n int) string {
	b := make([]byte, n)
	// rand.Read never fails on supported platforms (Go 1.24+ panics instead).
	rand.Read(b)
	for i := range b {
		// 248 is the largest multiple of 62 below 256; the tiny bias of a
		// plain modulo does not matter for ids, but this keeps it uniform.
		for b[i] >= 248 {
			var c [1]byte
			rand.Read(c[:])
			b[i] = c[0]
		}
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}

// RandomSecret returns n random bytes encoded with the id alphabet, for
// generated client secrets and keys.
func RandomSecret(n int) string { return NewID("", n) }
