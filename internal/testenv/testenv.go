// Package testenv tells tests where the external services they need are, and
// decides what happens when one is missing: a skip on a developer's machine, a
// failure in CI (BERTH_TEST_STRICT=1), so CI never passes by skipping.
package testenv

import (
	"os"
	"testing"
)

// Strict reports whether tests must not skip for lack of a service.
func Strict() bool { return os.Getenv("BERTH_TEST_STRICT") == "1" }

// Require skips t (or fails it when Strict) with the reason a service is missing.
func Require(t testing.TB, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if Strict() {
		t.Fatalf("BERTH_TEST_STRICT=1 forbids skipping: %s", reason)
	}
	t.Skip(reason)
}

// PostgresURL returns BERTH_TEST_POSTGRES_URL, skipping (or failing in strict
// mode) when it is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("BERTH_TEST_POSTGRES_URL")
	Require(t, u != "", "BERTH_TEST_POSTGRES_URL is not set; PostgreSQL tests need a server")
	return u
}
