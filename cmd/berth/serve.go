package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/berthdev/berth/api"
	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/engine"
	"github.com/berthdev/berth/netguard"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// serveConfig is the configuration of `berth serve`. Every field is set by a
// flag or, when the flag is absent, by the BERTH_* environment variable named
// beside it.
type serveConfig struct {
	Addr string // --addr, BERTH_ADDR: where the API listens
	DB   string // --db, BERTH_DB: a SQLite file path or a postgres:// URL
	Org  service.OrgConfig
	// LogLevel is debug, info, warn or error (BERTH_LOG_LEVEL).
	LogLevel string
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish after SIGTERM.
	ShutdownTimeout time.Duration
	// AllowPrivateTargets lets webhooks reach loopback and private
	// addresses (BERTH_ALLOW_PRIVATE_TARGETS); refused by default.
	AllowPrivateTargets bool
	// AllowSelfApproval lets users approve runs they executed
	// (BERTH_ALLOW_SELF_APPROVAL); refused by default.
	AllowSelfApproval bool
	// DBPool is the most PostgreSQL connections this instance opens
	// (BERTH_DB_POOL, default 20).
	DBPool int
	// WebhookTimeout bounds one webhook request, redirects included
	// (BERTH_WEBHOOK_TIMEOUT, default 30s).
	WebhookTimeout time.Duration
	// Engine tunes automations and deliveries: BERTH_MAX_CHAIN_DEPTH,
	// BERTH_TEMPLATE_STRICT, BERTH_DELIVERY_ATTEMPTS,
	// BERTH_DELIVERY_INITIAL_BACKOFF (1s), BERTH_DELIVERY_MAX_BACKOFF (10m).
	Engine engine.Config
	// Backends configures Kafka, GitHub, GitLab, Azure DevOps and the
	// execution agent (see backends.go, docs/BACKENDS.md).
	Backends backendsConfig
}

func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	cfg := &serveConfig{ShutdownTimeout: 10 * time.Second}
	fs := flag.NewFlagSet("berth serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", orDefault(getenv("BERTH_ADDR"), "127.0.0.1:8080"), "listen address (BERTH_ADDR)")
	fs.StringVar(&cfg.DB, "db", orDefault(getenv("BERTH_DB"), "berth.db"), "SQLite file, or postgres:// URL (BERTH_DB)")
	fs.StringVar(&cfg.LogLevel, "log-level", orDefault(getenv("BERTH_LOG_LEVEL"), "info"), "debug, info, warn or error (BERTH_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return nil, exitCode(2)
	}
	if err := parseEnv(cfg, getenv); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	cfg.Org = service.OrgConfig{ID: getenv("BERTH_ORG_ID"), ClientID: getenv("BERTH_CLIENT_ID"), ClientSecret: getenv("BERTH_CLIENT_SECRET"),
		SecretsKey: getenv("BERTH_SECRETS_KEY")}
	return cfg, cfg.validate()
}

func (c *serveConfig) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr / BERTH_ADDR %q: want host:port", c.Addr)
	}
	if (c.Org.ClientID == "") != (c.Org.ClientSecret == "") {
		return errors.New("BERTH_CLIENT_ID and BERTH_CLIENT_SECRET must be set together")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("--log-level / BERTH_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

// parseEnv reads the settings that only have environment variables.
func parseEnv(cfg *serveConfig, getenv func(string) string) error {
	var err error
	if cfg.AllowPrivateTargets, err = envBool(getenv, "BERTH_ALLOW_PRIVATE_TARGETS"); err != nil {
		return err
	}
	if cfg.Engine.StrictTemplates, err = envBool(getenv, "BERTH_TEMPLATE_STRICT"); err != nil {
		return err
	}
	if cfg.AllowSelfApproval, err = envBool(getenv, "BERTH_ALLOW_SELF_APPROVAL"); err != nil {
		return err
	}
	if cfg.Engine.MaxDepth, err = envInt(getenv, "BERTH_MAX_CHAIN_DEPTH"); err != nil {
		return err
	}
	cfg.Engine.Policy = delivery.DefaultPolicy
	if n, err := envInt(getenv, "BERTH_DELIVERY_ATTEMPTS"); err != nil {
		return err
	} else if n > 0 {
		cfg.Engine.Policy.Attempts = n
	}
	if cfg.Engine.Policy.Initial, err = envDuration(getenv, "BERTH_DELIVERY_INITIAL_BACKOFF", cfg.Engine.Policy.Initial); err != nil {
		return err
	}
	if cfg.Engine.Policy.Max, err = envDuration(getenv, "BERTH_DELIVERY_MAX_BACKOFF", cfg.Engine.Policy.Max); err != nil {
		return err
	}
	if cfg.DBPool, err = envInt(getenv, "BERTH_DB_POOL"); err != nil {
		return err
	}
	if cfg.Engine.MaxBacklog, err = envInt(getenv, "BERTH_MAX_BACKLOG"); err != nil {
		return err
	}
	if cfg.Engine.Lease, err = envDuration(getenv, "BERTH_JOB_LEASE", 30*time.Second); err != nil {
		return err
	}
	if cfg.WebhookTimeout, err = envDuration(getenv, "BERTH_WEBHOOK_TIMEOUT", 30*time.Second); err != nil {
		return err
	}
	cfg.Backends, err = parseBackends(getenv)
	return err
}

func envDuration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive duration such as 30s", name, v)
	}
	return d, nil
}

func envBool(getenv func(string) string, name string) (bool, error) {
	v := getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s %q: want true or false", name, v)
	}
	return b, nil
}

func envInt(getenv func(string) string, name string) (int, error) {
	v := getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s %q: want a whole number", name, v)
	}
	return n, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// serve runs the server until ctx is cancelled (SIGINT/SIGTERM), then drains
// in-flight requests and closes the store.
// serveGCPercent is the garbage collector's target of berth serve unless
// GOGC says otherwise.
const serveGCPercent = 400

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if os.Getenv("GOGC") == "" {
		// berth's live heap is small and most of what it allocates dies
		// within a request or a job: collecting at 5× the live heap
		// rather than 2× costs tens of MB and saves ~10 % of the CPU
		// under load (docs/BENCHMARKS.md). GOGC, when set, decides.
		debug.SetGCPercent(serveGCPercent)
	}

	db, err := store.Open(ctx, cfg.DB, store.WithPool(cfg.DBPool))
	if err != nil {
		return err
	}
	defer db.Close()
	org, err := service.LoadOrg(ctx, db, cfg.Org)
	if err != nil {
		return err
	}
	if org.GeneratedCredentials {
		fmt.Fprintf(stdout, "berth generated API credentials for organization %s (shown once; keep them):\n  BERTH_CLIENT_ID=%s\n  BERTH_CLIENT_SECRET=%s\n",
			org.ID, org.ClientID, org.ClientSecret)
	}
	catalog := service.NewCatalog(db)
	if err := catalog.EnsureSystemBlueprints(ctx); err != nil {
		return err
	}
	guard := netguard.Guard{AllowPrivate: cfg.AllowPrivateTargets}
	backends, closeBackends, err := cfg.Backends.registry(netguard.NewClient(guard, cfg.WebhookTimeout, 0), catalog, secretLookup(db, org.SecretsKey), log)
	if err != nil {
		return err
	}
	defer closeBackends()
	obs, err := newObservability(db, getenv, log)
	if err != nil {
		return err
	}
	defer obs.close()
	cfg.Engine.Observer = obs.engineObserver()
	eng := engine.New(db, org, backends, cfg.Engine, log)
	catalog.Admit = eng.Admit
	engineCtx, stopEngine := context.WithCancel(context.WithoutCancel(ctx))
	engineDone := make(chan struct{})
	go func() { eng.Run(engineCtx); close(engineDone) }()
	defer func() { stopEngine(); <-engineDone }()

	issuer := auth.NewIssuer(org.ID, org.ClientID, org.ClientSecret, org.TokenKey, nil)
	users := service.NewUsers(db, catalog)
	con, err := newConsole(db, org, cfg, issuer, users, log)
	if err != nil {
		return err
	}
	runs := service.NewRuns(db)
	runs.SecretsKey = org.SecretsKey
	srv := api.NewServer(api.Server{
		OrgID:   org.ID,
		Catalog: catalog,
		Actions: service.NewActions(db),
		Runs:    runs,
		Issuer:  issuer,
		Console: con,
		Ready:   func(r *http.Request) error { return db.Ping(r.Context()) },
		Health: func(ctx context.Context) map[string]any {
			queue, err := db.Read().JobCounts(ctx)
			if err != nil {
				return map[string]any{"store": db.Engine(), "queue": "unavailable"}
			}
			return map[string]any{"store": db.Engine(), "queue": queue}
		},
		Metrics: obs.metrics.Handler(),
		Execution: service.NewExecution(db, org, service.ExecutionConfig{
			StrictTemplates: cfg.Engine.StrictTemplates, AllowSelfApproval: cfg.AllowSelfApproval}),
		Users:   users,
		Secrets: service.NewSecrets(db, org.SecretsKey),
	}, log)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	httpSrv.RegisterOnShutdown(con.Shutdown) // end live-update streams
	log.Info("berth serving", "addr", ln.Addr().String(), "store", db.Engine(), "org", org.ID)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
