package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
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
listed; an automation; a bad --inputs file), 2 usage error, 3 the action or
entity does not exist, 4 with --wait the run ended FAILURE or DECLINED.`

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
	pairs, err := parseInputPairs(inputs)
	if err != nil {
		return c.usageError("%v", err)
	}
	fromFile, err := readInputsFile(*inputsFile)
	if err != nil {
		return c.fail(err) // a bad file, not a bad command line
	}
	types, err := inputTypes(ctx, c, rest[0])
	if err != nil {
		return c.fail(err)
	}
	body := orderedObject{{"properties", mergeInputs(fromFile, pairs, types)}}
	if *entity != "" {
		body = append(body, member{"entity", *entity})
	}
	payload, err := marshalJSON(body)
	if err != nil {
		return c.fail(err)
	}
	var q url.Values
	if *runAs != "" {
		q = url.Values{"run_as": {*runAs}}
	}
	resp, err := c.api.Do(ctx, http.MethodPost, "/v1/actions/"+url.PathEscape(rest[0])+"/runs", q, payload)
	if err != nil {
		return c.fail(err)
	}
	var raw json.RawMessage
	var run obj
	if err := resp.Decode("run", &raw); err != nil {
		return c.fail(err)
	}
	if err := json.Unmarshal(raw, &run); err != nil {
		return c.fail(err)
	}
	if !*wait {
		columns, row := columnsOf(kindRun)
		if err := c.printValue(raw, []obj{run}, columns, row); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	fmt.Fprintf(c.env.Stderr, "run %s %s\n", str(run, "id"), str(run, "status"))
	f := &logFollower{c: c, id: str(run, "id"), interval: *interval}
	exit := f.run(ctx, true, c.output == "table")
	if c.output != "table" && (exit == ExitOK || exit == ExitRunFailed) {
		_, final, err := fetch(ctx, c, kindRun, "", f.id)
		if err != nil {
			return c.fail(err)
		}
		if err := c.printValue(final, nil, nil, nil); err != nil {
			return c.fail(err)
		}
	}
	return exit
}

// inputTypes returns the type of each of an action's inputs. Automations
// are refused: only self-service actions are executed.
func inputTypes(ctx context.Context, c *command, action string) (map[string]string, error) {
	a, _, err := fetch(ctx, c, kindAction, "", action)
	if err != nil {
		return nil, err
	}
	if actionKind(a) == kindAutomation {
		return nil, fmt.Errorf("%s is an automation: only self-service actions can be executed", action)
	}
	trigger, _ := a["trigger"].(map[string]any)
	userInputs, _ := trigger["userInputs"].(map[string]any)
	props, _ := userInputs["properties"].(map[string]any)
	types := make(map[string]string, len(props))
	for name := range props {
		types[name] = str(a, "trigger", "userInputs", "properties", name, "type")
	}
	return types, nil
}

// inputPair is one --input NAME=VALUE.
type inputPair struct{ name, value string }

// parseInputPairs splits the --input flags.
func parseInputPairs(pairs []string) ([]inputPair, error) {
	out := make([]inputPair, 0, len(pairs))
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--input %q: want NAME=VALUE", p)
		}
		out = append(out, inputPair{name, value})
	}
	return out, nil
}

// readInputsFile reads the object of inputs of --inputs (JSON or YAML), in
// the order it was written; none without a file.
func readInputsFile(file string) (orderedObject, error) {
	if file == "" {
		return orderedObject{}, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--inputs: %w", err)
	}
	docs, err := decodeDocuments(raw, strings.HasSuffix(strings.ToLower(file), ".json"))
	if err != nil {
		return nil, fmt.Errorf("--inputs %s: %w", file, err)
	}
	if len(docs) == 1 {
		if m, ok := docs[0].(orderedObject); ok {
			return m, nil
		}
	}
	return nil, fmt.Errorf("--inputs %s: want one object of inputs", file)
}

// mergeInputs adds the NAME=VALUE pairs to the inputs of the file (a pair
// wins). A VALUE is a string for string inputs, else JSON when it parses
// as JSON.
func mergeInputs(fromFile orderedObject, pairs []inputPair, types map[string]string) orderedObject {
	props := slices.Clone(fromFile)
	if props == nil {
		props = orderedObject{}
	}
	for _, p := range pairs {
		var v any = p.value
		if types[p.name] != "string" {
			if parsed, err := decodeOrdered([]byte(p.value)); err == nil {
				v = parsed
			}
		}
		props.set(p.name, v)
	}
	return props
}
