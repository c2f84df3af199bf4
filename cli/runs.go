package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const runsUsage = `berth runs list [--action A] [--status S] [--entity E] [--source SRC] [--limit N] [-o table|json|yaml]
       berth runs logs RUN [--follow] [-o table|json]

list shows runs, newest first. logs prints a run's log lines; --follow
keeps printing new ones until the run ends, then says how it ended.
Exit status: 0 done (a followed run ended SUCCESS), 1 error, 2 usage error,
3 the run does not exist, 4 a followed run ended FAILURE or DECLINED.`

func runs(ctx context.Context, c *command, args []string) int {
	fs := c.flags(runsUsage)
	var statuses, sources multiFlag
	action := fs.String("action", "", "only runs of this action or automation")
	fs.Var(&statuses, "status", "only runs in this `status` (repeatable): WAITING_FOR_APPROVAL, IN_PROGRESS, SUCCESS, FAILURE, DECLINED")
	fs.Var(&sources, "source", "only runs from this `origin` (repeatable): UI, API, AUTOMATION")
	entity := fs.String("entity", "", "only runs on this entity")
	limit := fs.Int("limit", 0, "at most this many runs (1-1000; the server's default when 0)")
	follow := fs.Bool("follow", false, "logs: keep printing until the run ends")
	interval := fs.Duration("interval", time.Second, "logs --follow: how often to look")
	rest, code, ok := c.parse(fs, args)
	if !ok {
		return code
	}
	if len(rest) == 0 {
		return c.usageError("want list or logs")
	}
	switch rest[0] {
	case "list", "ls":
		if len(rest) > 1 {
			return c.usageError("list takes no arguments; filter with --action, --status, --entity, --source")
		}
		q := url.Values{}
		if *action != "" {
			q.Set("action", *action)
		}
		if *entity != "" {
			q.Set("entity", *entity)
		}
		if *limit > 0 {
			q.Set("limit", strconv.Itoa(*limit))
		}
		q["status"], q["source"] = statuses, sources
		objs, raw, err := list(ctx, c, kindRun, "", q)
		if err != nil {
			return c.fail(err)
		}
		columns, row := columnsOf(kindRun)
		if err := c.printValue(raw, objs, columns, row); err != nil {
			return c.fail(err)
		}
		return ExitOK
	case "logs", "log":
		if len(rest) != 2 {
			return c.usageError("logs takes one RUN id")
		}
		return (&logFollower{c: c, id: rest[1], interval: *interval}).run(ctx, *follow, true)
	}
	return c.usageError("unknown runs command %q: want list or logs", rest[0])
}

// logFollower prints a run's log lines, and follows them until it ends.
type logFollower struct {
	c        *command
	id       string // the run's
	interval time.Duration
	printed  int
}

// run prints the log lines when printLogs is set and, with follow, waits
// for the run's end; it returns the exit code.
func (f *logFollower) run(ctx context.Context, follow, printLogs bool) int {
	for {
		var run obj
		if follow {
			var err error
			if run, _, err = fetch(ctx, f.c, kindRun, "", f.id); err != nil {
				return f.c.fail(err)
			}
		}
		if printLogs {
			if err := f.printNew(ctx); err != nil {
				return f.c.fail(err)
			}
		}
		if !follow {
			return ExitOK
		}
		if status := str(run, "status"); status == "SUCCESS" || status == "FAILURE" || status == "DECLINED" {
			return f.ended(run)
		}
		if !sleep(ctx, f.interval) {
			return f.c.fail(ctx.Err())
		}
	}
}

// printNew prints the log lines not printed yet.
func (f *logFollower) printNew(ctx context.Context) error {
	const page = 50
	for {
		q := url.Values{"limit": {strconv.Itoa(page)}, "offset": {strconv.Itoa(f.printed)}}
		resp, err := f.c.api.Do(ctx, http.MethodGet, objectPath(kindRun, "", f.id)+"/logs", q, nil)
		if err != nil {
			return err
		}
		var logs []json.RawMessage
		if err := resp.Decode("runLogs", &logs); err != nil {
			return err
		}
		for _, raw := range logs {
			if f.c.output == "table" {
				var l obj
				if err := json.Unmarshal(raw, &l); err != nil {
					return err
				}
				fmt.Fprintf(f.c.env.Stdout, "%s  %s\n", str(l, "createdAt"), strings.TrimRight(str(l, "message"), "\n"))
				continue
			}
			l, err := decodeOrdered(raw) // one line, keys as the server wrote them
			if err != nil {
				return err
			}
			b, err := marshalJSON(l)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.c.env.Stdout, "%s\n", b)
		}
		f.printed += len(logs)
		if len(logs) < page {
			return nil
		}
	}
}

// ended says how the run ended and returns the exit code it calls for.
func (f *logFollower) ended(run obj) int {
	status := str(run, "status")
	msg := fmt.Sprintf("run %s ended %s", f.id, status)
	if s := str(run, "summary"); s != "" {
		msg += ": " + s
	}
	fmt.Fprintln(f.c.env.Stderr, msg)
	if status == "SUCCESS" {
		return ExitOK
	}
	return ExitRunFailed
}
