// Package console is berth's web console: server-rendered HTML pages for
// operators, served by `berth serve` on every path outside the API (/v1/...).
// Operators sign in with API credentials; they browse automations and
// self-service actions, publish and unpublish automations, test an
// automation against a recent event, find runs (live through server-sent
// events) and read a run's trigger data, payload, delivery attempts and
// logs, and retry its delivery or re-run it.
//
// Pages are html/template files and the stylesheet and script are embedded
// (templates/, static/): nothing is fetched or built at run time. State
// changes are POSTs behind http.CrossOriginProtection. The console holds no
// state of its own: the session cookie carries the access token, so every
// instance sharing a store serves every session.
package console

import (
	"cmp"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console is made of. Zero tuning fields take the
// defaults named beside them.
type Config struct {
	OrgID    string
	Issuer   *auth.Issuer // checks credentials and session tokens
	Users    *service.Users
	Actions  *service.Actions
	Runs     *service.Runs
	Operator *service.Operator
	Log      *slog.Logger

	// MaxStreams bounds the live-update streams open at once (default 32);
	// more are answered 503 and the browser tries again later.
	MaxStreams int
	// StreamPoll is how often a stream looks for changes (default 1s).
	StreamPoll time.Duration
	// StreamLifetime ends a stream after this long (default 5m); the
	// browser reconnects, and its session is checked again.
	StreamLifetime time.Duration
}

// Console is the web console's http.Handler.
type Console struct {
	cfg     Config
	pages   pages
	handler http.Handler
	streams chan struct{} // one token per open stream
	done    chan struct{} // closed by Shutdown
	stop    sync.Once
}

// New returns the console. Errors are template errors (a bug).
func New(cfg Config) (*Console, error) {
	cfg.MaxStreams = cmp.Or(cfg.MaxStreams, 32)
	cfg.StreamPoll = cmp.Or(cfg.StreamPoll, time.Second)
	cfg.StreamLifetime = cmp.Or(cfg.StreamLifetime, 5*time.Minute)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, pages: p, streams: make(chan struct{}, cfg.MaxStreams), done: make(chan struct{})}
	c.handler = c.routes()
	return c, nil
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.handler.ServeHTTP(w, r) }

// Shutdown ends the live-update streams, so that the HTTP server's graceful
// shutdown need not wait for them (register it with
// http.Server.RegisterOnShutdown).
func (c *Console) Shutdown() { c.stop.Do(func() { close(c.done) }) }

func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticFiles(http.FileServerFS(static))))

	mux.Handle("GET /signin", c.handle(c.signinPage))
	mux.Handle("POST /signin", c.handle(c.signin))
	mux.Handle("POST /signout", c.handle(c.signout))

	c.pageOn(mux, "GET /{$}", func(w http.ResponseWriter, r *http.Request, _ *session) error {
		http.Redirect(w, r, "/runs", http.StatusSeeOther)
		return nil
	})
	c.pageOn(mux, "GET /runs", c.runsPage)
	c.pageOn(mux, "GET /runs/{run}", c.runPage)
	c.pageOn(mux, "POST /runs/{run}/retry", c.retry)
	c.pageOn(mux, "POST /runs/{run}/rerun", c.rerun)
	c.pageOn(mux, "GET /automations", c.automationsPage)
	c.pageOn(mux, "GET /actions", c.actionsPage)
	c.pageOn(mux, "GET /actions/{action}", c.actionPage)
	c.pageOn(mux, "POST /actions/{action}/publish", c.publish)
	c.pageOn(mux, "GET /events", c.events)
	mux.Handle("/", c.handle(func(w http.ResponseWriter, r *http.Request) error {
		return errNotFound
	}))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.writeError(w, r, nil, errCrossOrigin)
	}))
	return securityHeaders(cop.Handler(mux))
}
