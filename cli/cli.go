// Package cli is berth's command line client: apply, get, delete, runs and
// execute talk to a berth server through package client. The berth binary
// dispatches to Run; docs/CLI.md is the user's guide.
//
// Every command exits with one of a few codes that scripts can rely on:
// ExitOK, ExitError (the server refused something, or could not be
// reached), ExitUsage, ExitNotFound and ExitRunFailed.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/berthdev/berth/client"
)

// Exit codes.
const (
	ExitOK        = 0 // done
	ExitError     = 1 // the server refused a request (field errors are printed) or could not be reached; a file is bad
	ExitUsage     = 2 // bad command line
	ExitNotFound  = 3 // what was named does not exist
	ExitRunFailed = 4 // a followed run ended FAILURE or DECLINED
)

// Env is what a command may use of the process.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// HTTP is the client's transport (nil for the default).
	HTTP *http.Client
}

// Commands lists the commands Run knows.
var Commands = []string{"apply", "get", "delete", "runs", "execute"}

// Usage is the commands' summary for the binary's usage text.
const Usage = `  berth apply   -f FILE|DIR [-f ...] [--dry-run]
  berth get     KIND [ID...] [-b BLUEPRINT] [-o table|json|yaml]
  berth delete  KIND ID... [-b BLUEPRINT] | berth delete entities -b BLUEPRINT --all
  berth runs    list [--action A] [--status S] | logs RUN [--follow]
  berth execute ACTION [--input k=v ...] [--entity E] [--wait]
`

// Run runs the command args[0] with its arguments and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, Usage)
		return ExitUsage
	}
	cmds := map[string]func(context.Context, *command, []string) int{
		"apply": apply, "get": get, "delete": deleteCmd, "runs": runs, "execute": execute,
	}
	fn, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "berth: unknown command %q\n", args[0])
		return ExitUsage
	}
	return fn(ctx, &command{name: args[0], env: env}, args[1:])
}

// command is one invocation: its name, its process and the flags every
// command has.
type command struct {
	name   string
	env    Env
	url    string
	id     string
	secret string
	output string
	api    *client.Client
}

// flags returns a flag set with the common flags registered.
func (c *command) flags(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("berth "+c.name, flag.ContinueOnError)
	fs.SetOutput(c.env.Stderr)
	getenv := c.env.Getenv
	fs.StringVar(&c.url, "url", orDefault(getenv("BERTH_URL"), "http://127.0.0.1:8080"), "the berth server (BERTH_URL)")
	// The credentials' environment variables are read after parsing, so
	// that --help does not print them as defaults.
	fs.StringVar(&c.id, "client-id", "", "API client id (BERTH_CLIENT_ID)")
	fs.StringVar(&c.secret, "client-secret", "", "API client secret (BERTH_CLIENT_SECRET)")
	fs.StringVar(&c.output, "o", "table", "output: table, json or yaml")
	fs.StringVar(&c.output, "output", "table", "output: table, json or yaml")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags given before or after the positional arguments and
// returns the positional ones. ok is false when the command should exit
// with code (usage error, or 0 for --help).
func (c *command) parse(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ExitOK, false
			}
			return nil, ExitUsage, false
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch c.output {
	case "table", "json", "yaml":
	default:
		return nil, c.usageError("-o %q: want table, json or yaml", c.output), false
	}
	c.id = orDefault(c.id, c.env.Getenv("BERTH_CLIENT_ID"))
	c.secret = orDefault(c.secret, c.env.Getenv("BERTH_CLIENT_SECRET"))
	c.api = client.New(c.url, c.id, c.secret, c.env.HTTP)
	return positional, ExitOK, true
}

// usageError prints a usage error and returns ExitUsage.
func (c *command) usageError(format string, args ...any) int {
	fmt.Fprintf(c.env.Stderr, "berth %s: %s (see berth %s --help)\n", c.name, fmt.Sprintf(format, args...), c.name)
	return ExitUsage
}

// fail prints err and returns the exit code it calls for.
func (c *command) fail(err error) int {
	fmt.Fprintf(c.env.Stderr, "berth %s: %v\n", c.name, err)
	return exitCodeOf(err)
}

func exitCodeOf(err error) int {
	var notFound *notFoundError
	switch {
	case err == nil:
		return ExitOK
	case client.IsNotFound(err), errors.As(err, &notFound):
		return ExitNotFound
	}
	return ExitError
}

// worse combines the exit codes of several operations: an error beats a
// missing object, which beats success.
func worse(a, b int) int {
	if a == ExitError || b == ExitError {
		return ExitError
	}
	return max(a, b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// isTerminal reports whether w is a terminal (for the progress bar).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// sleep waits d or until ctx is done, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// joinNonEmpty joins the non-empty strings with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
