package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/berthdev/berth/client"
)

const applyUsage = `berth apply -f FILE|DIR [-f ...] [--dry-run] [-o table|json]

Creates or updates the blueprints, actions, automations and entities the
files describe (JSON or YAML; see docs/CLI.md), in dependency order. Objects
that already are as described are left alone, so applying twice changes
nothing the second time. Nothing is deleted. Stops at the first object the
server refuses. Exit status: 0 applied, 1 a file or an object was refused,
2 usage error, 3 something an object names does not exist.`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func apply(ctx context.Context, c *command, args []string) int {
	fs := c.flags(applyUsage)
	var files multiFlag
	fs.Var(&files, "f", "a `file` or directory to apply (repeatable; - for standard input)")
	fs.Var(&files, "filename", "same as -f")
	dryRun := fs.Bool("dry-run", false, "only say what would change")
	rest, code, ok := c.parse(fs, args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return c.usageError("unexpected arguments %q: name files with -f", rest)
	}
	if len(files) == 0 {
		return c.usageError("-f is required")
	}
	if c.output == "yaml" {
		return c.usageError("-o yaml: apply prints table or json")
	}
	items, err := readManifests(files, c.env.Stdin)
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "berth apply: %v\n", err)
		return ExitError
	}
	a := &applier{c: c, plan: order(items), dryRun: *dryRun, blueprints: map[string]map[string]any{},
		created: map[*item]bool{}}
	if isTerminal(c.env.Stderr) && len(items) > 20 {
		a.progress = &progressBar{w: c.env.Stderr, total: len(items)}
	}
	err = a.run(ctx)
	return a.report(err)
}

// applier applies a plan and keeps the tally.
type applier struct {
	c          *command
	plan       plan
	dryRun     bool
	progress   *progressBar
	blueprints map[string]map[string]any // as stored, for entity defaults
	created    map[*item]bool            // bootstrapped before the plan ran
	result     applyResult
}

type applyResult struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
	DryRun    bool     `json:"dryRun"`
	Error     string   `json:"error,omitempty"`
}

func (a *applier) run(ctx context.Context) error {
	if err := a.bootstrap(ctx); err != nil {
		return err
	}
	for i, it := range a.plan.items {
		a.progress.show(i, it.name())
		outcome, err := a.applyOne(ctx, it)
		if err != nil {
			return fmt.Errorf("%s (%s): %w", it.name(), it.source, err)
		}
		switch outcome {
		case "created":
			a.result.Created = append(a.result.Created, it.name())
		case "updated":
			a.result.Updated = append(a.result.Updated, it.name())
		default:
			a.result.Unchanged = append(a.result.Unchanged, it.name())
		}
		if outcome != "unchanged" && a.c.output == "table" {
			a.progress.clear()
			verb := outcome
			if a.dryRun {
				verb = "would be " + outcome
			}
			fmt.Fprintf(a.c.env.Stdout, "%s %s\n", it.name(), verb)
		}
	}
	a.progress.clear()
	return nil
}

// bootstrap creates the missing blueprints of relation cycles without
// their relations (and what depends on them), so that the plan can then
// write each in full, and notes which entities of cycles are new.
func (a *applier) bootstrap(ctx context.Context) error {
	for _, it := range a.plan.items {
		if !a.plan.cyclic[it] || it.kind != kindBlueprint && it.kind != kindEntity {
			continue
		}
		_, err := a.c.api.Do(ctx, http.MethodGet, objectPath(it.kind, it.blueprint, it.identifier), nil, nil)
		if !client.IsNotFound(err) {
			if err != nil {
				return fmt.Errorf("%s: %w", it.name(), err)
			}
			continue
		}
		a.created[it] = true // entities: created as a stub by the first of their cycle
		if a.dryRun || it.kind == kindEntity {
			continue
		}
		bare, err := marshalJSON(it.body.without("relations", "mirrorProperties", "aggregationProperties", "calculationProperties"))
		if err != nil {
			return fmt.Errorf("%s (%s): %w", it.name(), it.source, err)
		}
		if _, err := a.c.api.Do(ctx, http.MethodPost, "/v1/blueprints", nil, bare); err != nil {
			return fmt.Errorf("%s (%s), created without its relations first: %w", it.name(), it.source, err)
		}
	}
	return nil
}

// applyOne creates it, updates it, or leaves it as it is.
func (a *applier) applyOne(ctx context.Context, it *item) (string, error) {
	path := objectPath(it.kind, it.blueprint, it.identifier)
	coll := collectionOf(it.kind, it.blueprint)
	var query url.Values
	if it.kind == kindEntity && a.plan.cyclic[it] {
		query = url.Values{"create_missing_related_entities": {"true"}}
	}
	body, err := marshalJSON(it.body)
	if err != nil {
		return "", err
	}
	resp, err := a.c.api.Do(ctx, http.MethodGet, path, nil, nil)
	if client.IsNotFound(err) {
		if !a.dryRun {
			if _, err := a.c.api.Do(ctx, http.MethodPost, coll.path, query, body); err != nil {
				return "", err
			}
		}
		return "created", nil
	}
	if err != nil {
		return "", err
	}
	var raw json.RawMessage
	if err := resp.Decode(coll.objectKey, &raw); err != nil {
		return "", err
	}
	var current map[string]any
	if err := json.Unmarshal(raw, &current); err != nil {
		return "", err
	}
	if it.kind == kindEntity {
		bp, err := a.blueprint(ctx, it.blueprint)
		if err != nil {
			return "", err
		}
		current = withoutDefaults(current, it.doc, bp)
	}
	outcome := "updated"
	if a.created[it] {
		outcome = "created"
	}
	if same(it.doc, current) && a.sameOrder(it, raw) {
		if a.created[it] {
			return outcome, nil
		}
		return "unchanged", nil
	}
	if !a.dryRun {
		if _, err := a.c.api.Do(ctx, http.MethodPut, path, query, body); err != nil {
			return "", err
		}
	}
	return outcome, nil
}

// sameOrder reports whether the server holds it with its keys in the
// file's order. Only actions and automations are compared so: the server
// keeps their definitions as they were written, and the order of a
// template's keys decides which wins around a spreadValue(). Blueprints and
// entities come back with sorted keys, and their order means nothing.
func (a *applier) sameOrder(it *item, current json.RawMessage) bool {
	if it.kind != kindAction && it.kind != kindAutomation {
		return true
	}
	c, err := decodeOrdered(current)
	return err == nil && sameOrder(it.body, c)
}

// blueprint returns a blueprint as stored (or, in a dry run, as this apply
// would write it when it is not stored yet).
func (a *applier) blueprint(ctx context.Context, id string) (map[string]any, error) {
	if bp, ok := a.blueprints[id]; ok {
		return bp, nil
	}
	var bp map[string]any
	resp, err := a.c.api.Do(ctx, http.MethodGet, objectPath(kindBlueprint, "", id), nil, nil)
	switch {
	case err == nil:
		err = resp.Decode("blueprint", &bp)
	case client.IsNotFound(err) && a.dryRun:
		for _, it := range a.plan.items {
			if it.kind == kindBlueprint && it.identifier == id {
				bp, err = it.doc, nil
			}
		}
	}
	if err != nil {
		return nil, err
	}
	a.blueprints[id] = bp
	return bp, nil
}

// report prints the summary and returns the exit code.
func (a *applier) report(err error) int {
	r := &a.result
	r.DryRun = a.dryRun
	if err != nil {
		r.Error = err.Error()
	}
	if a.c.output == "json" {
		for _, l := range []*[]string{&r.Created, &r.Updated, &r.Unchanged} {
			if *l == nil {
				*l = []string{}
			}
		}
		enc := json.NewEncoder(a.c.env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(r)
	} else {
		summary := fmt.Sprintf("%d created, %d updated, %d unchanged", len(r.Created), len(r.Updated), len(r.Unchanged))
		if a.dryRun {
			summary += " (dry run: nothing was written)"
		}
		fmt.Fprintln(a.c.env.Stdout, summary)
	}
	if err != nil {
		fmt.Fprintf(a.c.env.Stderr, "berth apply: %v\n", err)
	}
	return exitCodeOf(err)
}
