package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// migrate applies, in order, every embedded migration not yet recorded in
// schema_migrations, each in its own transaction. On PostgreSQL an advisory
// lock makes instances that start together apply each migration once.
func (db *DB) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/"+db.engine+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	return db.Write(ctx, func(q *Queries) error {
		if db.engine == EnginePostgres {
			if _, err := q.exec(ctx, "SELECT pg_advisory_xact_lock(7262030)"); err != nil {
				return fmt.Errorf("store: migration lock: %w", err)
			}
		}
		if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("store: migrations table: %w", err)
		}
		for _, f := range files {
			if err := applyMigration(ctx, q, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func applyMigration(ctx context.Context, q *Queries, file string) error {
	name := file[strings.LastIndex(file, "/")+1:]
	version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
	if err != nil {
		return fmt.Errorf("store: migration %s: name must start with a number", name)
	}
	var n int
	if err := q.queryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", version).Scan(&n); err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(file)
	if err != nil {
		return err
	}
	if _, err := q.x.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("store: migration %s: %w", name, err)
	}
	_, err = q.exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, nowString())
	return err
}

// SchemaVersion returns the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.Read().queryRow(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, wrap(err, "schema version")
}
