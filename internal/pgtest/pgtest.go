// Package pgtest gives each test that needs PostgreSQL a database of its own
// on the server named by BERTH_TEST_POSTGRES_URL (which .ci/run starts), so
// tests can run in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/berthdev/berth/internal/testenv"
)

// cleanupTimeout bounds dropping a test's database.
const cleanupTimeout = 30 * time.Second

// NewDatabase creates an empty database for t on the server named by
// BERTH_TEST_POSTGRES_URL and returns a URL for it, with the server URL's
// user, password and options. The database is dropped, connections and all,
// when t and its subtests finish. Without BERTH_TEST_POSTGRES_URL, t is
// skipped (failed under BERTH_TEST_STRICT=1).
func NewDatabase(t testing.TB) string {
	t.Helper()
	serverURL := testenv.PostgresURL(t)
	name := databaseName(t.Name())

	if err := exec(t.Context(), serverURL, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		drop := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
		if err := exec(ctx, serverURL, drop); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})

	dbURL, err := withDatabase(serverURL, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dbURL
}

// exec runs one statement on its own connection (CREATE and DROP DATABASE
// cannot run inside a transaction or a pipeline).
func exec(ctx context.Context, connString, sql string) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	return err
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9]+`)

// databaseName returns a new database name that tells which test it is for:
// "t_" + the test name made safe, shortened so that with a random suffix it
// fits PostgreSQL's 63-byte identifier limit.
func databaseName(testName string) string {
	safe := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	const maxSafe = 63 - len("t_") - len("_") - 16
	if len(safe) > maxSafe {
		safe = safe[:maxSafe]
	}
	return "t_" + safe + "_" + randomHex(8)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// withDatabase returns connString naming database name instead, for both URL
// ("postgres://…/db?…") and keyword/value ("host=… dbname=…") forms.
func withDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("BERTH_TEST_POSTGRES_URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// Later keywords override earlier ones.
	return connString + " dbname=" + name, nil
}
