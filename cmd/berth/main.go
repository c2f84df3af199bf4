// Command berth is the berth engine: `berth serve` runs the server, the other
// subcommands are tools that talk to files or to a server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/berthdev/berth/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	var exit exitCode
	switch {
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case err != nil:
		fmt.Fprintln(os.Stderr, "berth:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only carries the process exit status; the
// command has already said why.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `berth — self-service actions and automations for your developer portal

Usage:
  berth serve   [--addr 127.0.0.1:8080] [--db berth.db | postgres://...]
  berth render  --data DATA.json [--strict] TEMPLATE.json
  berth bench   [--db DSN | --url URL] [--duration 10s] [--rate 200]
  berth migrate [--db berth.db | postgres://...]
` + cli.Usage + `
The client commands talk to BERTH_URL (default http://127.0.0.1:8080) with
BERTH_CLIENT_ID and BERTH_CLIENT_SECRET; see docs/CLI.md.
Run "berth COMMAND --help" for a command's flags.
`

// run is the whole program; main only wires the process to it, so tests can
// run berth in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrateCommand(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return benchCommand(ctx, args[1:], getenv, stdout, stderr)
	case "render":
		if code := renderCommand(args[1:], stdin, stdout, stderr); code != 0 {
			return exitCode(code)
		}
		return nil
	case "apply", "get", "delete", "runs", "execute":
		env := cli.Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
		if code := cli.Run(ctx, args, env); code != 0 {
			return exitCode(code)
		}
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "berth: unknown command %q\n\n%s", args[0], usage)
		return exitCode(2)
	}
}
