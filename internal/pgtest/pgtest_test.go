package pgtest

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/berthdev/berth/internal/testenv"
)

func TestNewDatabase(t *testing.T) {
	t.Parallel()
	serverURL := testenv.PostgresURL(t)
	var name string

	t.Run("fresh database", func(t *testing.T) {
		dbURL := NewDatabase(t)
		conn, err := pgx.Connect(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		// Left open on purpose: the cleanup must drop the database anyway.
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "t_testnewdatabase_fresh_database_") {
			t.Errorf("database name %q does not tell the test", name)
		}
		var tables int
		err = conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables)
		if err != nil || tables != 0 {
			t.Errorf("new database has %d tables (%v), want 0", tables, err)
		}
		if _, err := conn.Exec(t.Context(), "CREATE TABLE scratch (id int)"); err != nil {
			t.Fatal(err)
		}
	})

	if exists(t, serverURL, name) {
		t.Errorf("database %s still exists after its test finished", name)
	}
}

func TestNewDatabaseIsolatesParallelTests(t *testing.T) {
	t.Parallel()
	testenv.PostgresURL(t)
	names := make(chan string, 4)
	t.Run("group", func(t *testing.T) {
		for range 4 {
			t.Run("same name", func(t *testing.T) {
				t.Parallel()
				conn, err := pgx.Connect(t.Context(), NewDatabase(t))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(context.Background())
				var name string
				if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
					t.Fatal(err)
				}
				names <- name
			})
		}
	})
	close(names)
	seen := map[string]bool{}
	for n := range names {
		if seen[n] {
			t.Errorf("two tests got database %s", n)
		}
		seen[n] = true
	}
}

func exists(t *testing.T, serverURL, name string) bool {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), serverURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^t_[a-z0-9_]+_[0-9a-f]{16}$`)
	for _, test := range []string{"TestX", "TestStore/PostgreSQL/Ünïcode & spaces", strings.Repeat("TestVeryLong/", 20)} {
		name := databaseName(test)
		if len(name) > 63 || !valid.MatchString(name) {
			t.Errorf("databaseName(%q) = %q: not a short, safe identifier", test, name)
		}
	}
	if first, second := databaseName("TestX"), databaseName("TestX"); first == second {
		t.Error("two calls returned the same name")
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/berth_test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/t_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h/db", "postgresql://u:p%40ss@h/t_x"},
		{"host=/tmp port=5432 dbname=berth_test", "host=/tmp port=5432 dbname=berth_test dbname=t_x"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.in, "t_x")
		if err != nil || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
