package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/berthdev/berth/benchmark"
	"github.com/berthdev/berth/store"
)

// benchCommand runs `berth bench`: it starts a berth server in-process (or
// uses --url), runs the end-to-end benchmark against it and prints a summary
// whose last line is one JSON object.
func benchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("berth bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", "", "store of the in-process server: SQLite file or postgres:// URL (default: a temporary SQLite file)")
	url := fs.String("url", "", "benchmark a running berth at this URL instead (BERTH_CLIENT_ID/SECRET give its credentials)")
	duration := fs.Duration("duration", 10*time.Second, "length of the throughput and latency phases")
	rate := fs.Int("rate", 200, "events per second of the latency phase")
	writers := fs.Int("writers", 32, "concurrent writers of the throughput phase")
	bulk := fs.Int("bulk", 1, "entities per write of the throughput phase: more than 1 uses the bulk create endpoint (at most 20)")
	instances := fs.Int("instances", 1, "in-process servers sharing --db (PostgreSQL only for more than one)")
	template := fs.String("template", "../shared/conformance/bench/notify-template.json", "invocation template of the benchmark automation")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the throughput phase (server included) to this file")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if *bulk < 1 || *bulk > 20 {
		return fmt.Errorf("--bulk %d: a bulk create holds 1 to 20 entities", *bulk)
	}
	cfg := benchmark.Config{URL: *url, Template: *template, Duration: *duration, Rate: *rate, Writers: *writers, Bulk: *bulk, Out: stdout,
		ClientID: getenv("BERTH_CLIENT_ID"), ClientSecret: getenv("BERTH_CLIENT_SECRET")}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Profile = func() func() {
			if err := pprof.StartCPUProfile(f); err != nil {
				fmt.Fprintln(stderr, "berth bench: no CPU profile:", err)
				return func() {}
			}
			return pprof.StopCPUProfile
		}
	}
	if *instances > 1 && !store.IsPostgres(*dsn) {
		return fmt.Errorf("--instances %d needs --db postgres://...: one SQLite file serves one berth", *instances)
	}
	if *url == "" {
		stop, err := benchServer(ctx, &cfg, *dsn, stderr)
		if err != nil {
			return err
		}
		defer stop()
		for range *instances - 1 {
			more := cfg
			stopMore, err := benchServer(ctx, &more, *dsn, stderr)
			if err != nil {
				return err
			}
			defer stopMore()
			cfg.MoreURLs = append(cfg.MoreURLs, more.URL)
		}
	}
	res, err := benchmark.Run(ctx, cfg)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(line))
	return nil
}

// benchServer starts `berth serve` in-process for the benchmark and fills
// cfg with its URL, credentials and store-limit probe.
func benchServer(ctx context.Context, cfg *benchmark.Config, dsn string, stderr io.Writer) (func(), error) {
	tmp := ""
	if dsn == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "berth-bench-"); err != nil {
			return nil, err
		}
		dsn = filepath.Join(tmp, "bench.db")
	}
	cfg.DB = store.EngineSQLite
	if store.IsPostgres(dsn) {
		cfg.DB = store.EnginePostgres
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cfg.URL, cfg.ClientID, cfg.ClientSecret = "http://"+addr, "bench", "bench-secret-0123456789abcdef0123456789abcdef"
	env := map[string]string{}
	for _, kv := range os.Environ() { // the caller's settings (BERTH_MAX_BACKLOG, ...) apply
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "BERTH_") {
			env[k] = v
		}
	}
	for k, v := range map[string]string{"BERTH_CLIENT_ID": cfg.ClientID, "BERTH_CLIENT_SECRET": cfg.ClientSecret,
		"BERTH_ALLOW_PRIVATE_TARGETS": "true", "BERTH_LOG_LEVEL": "warn", "BERTH_ADDR": "", "BERTH_DB": ""} {
		env[k] = v
	}
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- serve(srvCtx, []string{"--addr", addr, "--db", dsn}, func(k string) string { return env[k] }, io.Discard, stderr)
	}()
	stop := func() {
		cancel()
		<-done
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}
	if err := waitHealthy(ctx, cfg.URL, done); err != nil {
		stop()
		return nil, err
	}
	cfg.StoreLimit = func(ctx context.Context, d time.Duration) (float64, error) {
		// A second handle on the same database would contend with the
		// server; measure on a scratch store of the same engine instead.
		return scratchInsertRate(ctx, dsn, tmp, d)
	}
	return stop, nil
}

// scratchInsertRate measures durable inserts on a store like the server's:
// a scratch SQLite file beside it, or the same PostgreSQL database.
func scratchInsertRate(ctx context.Context, dsn, tmp string, d time.Duration) (float64, error) {
	if !store.IsPostgres(dsn) {
		dir := tmp
		if dir == "" {
			dir = filepath.Dir(dsn)
		}
		dsn = filepath.Join(dir, "bench-limit.db")
		defer os.Remove(dsn)
		defer os.Remove(dsn + "-wal")
		defer os.Remove(dsn + "-shm")
		defer os.Remove(dsn + ".lock")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return db.InsertRate(ctx, d)
}

func waitHealthy(ctx context.Context, url string, done <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("the benchmark server stopped: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the benchmark server did not start")
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
