package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

const executeUsage = `berth execute ACTION [--input NAME=VALUE ...] [--inputs FILE] [--entity E] [--run-as EMAIL] [--wait] [-o table|json|yaml]

Executes a self-service action and prints the run it created. A VALUE is
sent as a string for the action's string inputs; for the others, a VALUE
that is valid JSON (3, true, ["a"], {"k": 1}) is sent as that JSON value,
anything else as a string. --inputs reads the inputs from a JSON or
YAML object. --wait prints the run's log until it ends. Exit status: 0 run
created (with --wait: ended SUCCESS), 1 refused (the bad inputs are
listed), 2 usage error, 3 the action or entity does not exist, 4 with
--wait the run ended FAILURE or DECLINED.`

func execute(ctx context.Context, c *command, args []string) int {
	fs := c.flags(executeUsage)
	var inputs multiFlag
	fs.Var(&inputs, "input", "an input as `NAME=VALUE` (repeatable)")
	inputsFile := fs.String("inputs", "", "a JSON or YAML `file` holding an object of inputs")
	entity := fs.String("entity", "", "the entity to run a DAY-2 or DELETE action on")
	runAs := fs.String("run-as", "", "execute as this user (organization credentials only)")
	wait := fs.Bool("wait", false, "print the run's log until it ends")
	interval := fs.Duration("interval", time.Second, "--wait: how often to look")
	rest, code, ok := c.parse(fs, args)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return c.usageError("name one ACTION")
	}
	types, err := inputTypes(ctx, c, rest[0])
	if err != nil {
		return c.fail(err)
	}
	props, err := readInputs(*inputsFile, inputs, types)
	if err != nil {
		return c.usageError("%v", err)
	}
	body := map[string]any{"properties": props}
	if *entity != "" {
		body["entity"] = *entity
	}
	var q url.Values
	if *runAs != "" {
		q = url.Values{"run_as": {*runAs}}
	}
	resp, err := c.api.Do(ctx, http.MethodPost, "/v1/actions/"+url.PathEscape(rest[0])+"/runs", q, body)
	if err != nil {
		return c.fail(err)
	}
	var run obj
	if err := resp.Decode("run", &run); err != nil {
		return c.fail(err)
	}
	if !*wait {
		columns, row := columnsOf(kindRun)
		if err := c.printValue(run, []obj{run}, columns, row); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	fmt.Fprintf(c.env.Stderr, "run %s %s\n", str(run, "id"), str(run, "status"))
	f := &logFollower{c: c, id: str(run, "id"), interval: *interval}
	exit := f.run(ctx, true, c.output == "table")
	if c.output != "table" && (exit == ExitOK || exit == ExitRunFailed) {
		final, err := getOne(ctx, c, kindRun, "", f.id)
		if err != nil {
			return c.fail(err)
		}
		if err := c.printValue(final, nil, nil, nil); err != nil {
			return c.fail(err)
		}
	}
	return exit
}

// inputTypes returns the type of each of an action's inputs.
func inputTypes(ctx context.Context, c *command, action string) (map[string]string, error) {
	a, err := getOne(ctx, c, kindAction, "", action)
	if err != nil {
		return nil, err
	}
	props, _ := a["trigger"].(map[string]any)["userInputs"].(map[string]any)["properties"].(map[string]any)
	types := make(map[string]string, len(props))
	for name := range props {
		types[name] = str(a, "trigger", "userInputs", "properties", name, "type")
	}
	return types, nil
}

// readInputs merges the inputs of file (if any) and of NAME=VALUE pairs.
// A VALUE is a string for string inputs, else JSON when it parses as JSON.
func readInputs(file string, pairs []string, types map[string]string) (map[string]any, error) {
	props := map[string]any{}
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		docs, err := decodeDocuments(raw, strings.HasSuffix(strings.ToLower(file), ".json"))
		if err != nil {
			return nil, fmt.Errorf("--inputs %s: %w", file, err)
		}
		m, ok := any(nil), false
		if len(docs) == 1 {
			m = docs[0]
			_, ok = m.(map[string]any)
		}
		if !ok {
			return nil, fmt.Errorf("--inputs %s: want one object of inputs", file)
		}
		props = m.(map[string]any)
	}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--input %q: want NAME=VALUE", p)
		}
		var v any = value
		if types[name] != "string" {
			var parsed any
			if json.Unmarshal([]byte(value), &parsed) == nil {
				v = parsed
			}
		}
		props[name] = v
	}
	return props, nil
}
