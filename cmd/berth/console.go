package main

import (
	"log/slog"

	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/console"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// newConsole builds the web console served on every path outside /v1/
// (see docs/CONSOLE.md). It shares the API's token issuer and users, so a
// console session is an API token.
func newConsole(db *store.DB, org *service.Org, cfg *serveConfig, issuer *auth.Issuer, users *service.Users, log *slog.Logger) (*console.Console, error) {
	return console.New(console.Config{
		OrgID:   org.ID,
		Issuer:  issuer,
		Users:   users,
		Actions: service.NewActions(db),
		Runs:    service.NewRuns(db),
		Operator: service.NewOperator(db, org, service.OperatorConfig{
			StrictTemplates: cfg.Engine.StrictTemplates, MaxDepth: cfg.Engine.MaxDepth}),
		Log: log,
	})
}
