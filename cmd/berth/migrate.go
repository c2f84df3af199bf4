package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/berthdev/berth/store"
)

// migrateCommand runs `berth migrate`: it applies the store's pending
// migrations and exits. `berth serve` does the same at start-up (safely when
// several instances start at once); this lets operators do it as a separate
// deployment step.
func migrateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("berth migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", orDefault(getenv("BERTH_DB"), "berth.db"), "SQLite file, or postgres:// URL (BERTH_DB)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "berth: %s store is at schema version %d\n", db.Engine(), v)
	return nil
}
