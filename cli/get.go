package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

const getUsage = `berth get KIND [ID...] [-b BLUEPRINT] [-o table|json|yaml]

Lists the objects of a kind, or shows the ones named. KIND is blueprints,
actions (self-service), automations, entities (with -b BLUEPRINT, or IDs
written BLUEPRINT/ID) or runs. -o yaml prints what berth apply takes back.
Exit status: 0 shown, 1 error, 2 usage error, 3 an ID does not exist (or
names an action of the other kind).`

func get(ctx context.Context, c *command, args []string) int {
	fs := c.flags(getUsage)
	blueprint := fs.String("b", "", "the `blueprint` of the entities")
	fs.StringVar(blueprint, "blueprint", "", "same as -b")
	rest, code, ok := c.parse(fs, args)
	if !ok {
		return code
	}
	if len(rest) == 0 {
		return c.usageError("name a KIND: blueprints, actions, automations, entities or runs")
	}
	kind, known := kindAliases[rest[0]]
	if !known {
		return c.usageError("unknown kind %q: want blueprints, actions, automations, entities or runs", rest[0])
	}
	ids := rest[1:]
	if kind == kindEntity && *blueprint == "" && len(ids) == 0 {
		return c.usageError("entities: name the blueprint with -b BLUEPRINT")
	}
	columns, row := columnsOf(kind)
	if len(ids) == 0 {
		objs, raw, err := list(ctx, c, kind, *blueprint, nil)
		if err != nil {
			return c.fail(err)
		}
		if err := c.printValue(raw, objs, columns, row); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	var objs []obj
	var raws []json.RawMessage
	worst := ExitOK
	for _, id := range ids {
		bp, id := splitEntityRef(id, *blueprint)
		if kind == kindEntity && bp == "" {
			return c.usageError("entity %q: name its blueprint with -b or write BLUEPRINT/%s", id, id)
		}
		o, raw, err := getOne(ctx, c, kind, bp, id)
		if err != nil {
			worst = worse(worst, c.fail(err))
			continue
		}
		objs, raws = append(objs, o), append(raws, raw)
	}
	v := jsonArray(raws)
	if len(ids) == 1 && len(raws) == 1 {
		v = raws[0]
	}
	if len(objs) > 0 {
		if err := c.printValue(v, objs, columns, row); err != nil {
			return c.fail(err)
		}
	}
	return worst
}

// list returns every object of a kind (query adds filters), decoded and
// as the server wrote them (a JSON array).
func list(ctx context.Context, c *command, kind, blueprint string, query map[string][]string) ([]obj, json.RawMessage, error) {
	coll := collectionOf(kind, blueprint)
	q := coll.query
	for k, v := range query {
		if q == nil {
			q = map[string][]string{}
		}
		q[k] = v
	}
	resp, err := c.api.Do(ctx, http.MethodGet, coll.path, q, nil)
	if err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	if err := resp.Decode(coll.listKey, &raw); err != nil {
		return nil, nil, err
	}
	objs := []obj{}
	if err := json.Unmarshal(raw, &objs); err != nil {
		return nil, nil, err
	}
	if len(objs) == 0 {
		raw = json.RawMessage("[]")
	}
	return objs, raw, nil
}

// fetch returns one object, decoded and as the server wrote it.
func fetch(ctx context.Context, c *command, kind, blueprint, id string) (obj, json.RawMessage, error) {
	resp, err := c.api.Do(ctx, http.MethodGet, objectPath(kind, blueprint, id), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	var raw json.RawMessage
	if err := resp.Decode(collectionOf(kind, blueprint).objectKey, &raw); err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	var o obj
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return o, raw, nil
}

// getOne is fetch for what a command names by kind: self-service actions
// and automations share the server's /v1/actions, so an automation named
// as an action (or the other way round) is not found.
func getOne(ctx context.Context, c *command, kind, blueprint, id string) (obj, json.RawMessage, error) {
	o, raw, err := fetch(ctx, c, kind, blueprint, id)
	if err != nil {
		return nil, nil, err
	}
	if err := checkActionKind(kind, id, o); err != nil {
		return nil, nil, err
	}
	return o, raw, nil
}

// actionKind is what a stored action is: kindAutomation or kindAction (a
// self-service action).
func actionKind(a obj) string {
	if str(a, "trigger", "type") == "automation" {
		return kindAutomation
	}
	return kindAction
}

// checkActionKind returns a not-found error when kind is kindAction or
// kindAutomation and the action a (named id) is of the other kind.
func checkActionKind(kind, id string, a obj) error {
	if kind != kindAction && kind != kindAutomation {
		return nil
	}
	if actual := actionKind(a); actual != kind {
		return &notFoundError{fmt.Sprintf("%s %q was not found: %s is %s", kindTitle(kind), id, id, aKind(actual))}
	}
	return nil
}

// kindTitle names an action kind for messages.
func kindTitle(kind string) string {
	if kind == kindAction {
		return "self-service action"
	}
	return kind
}

// aKind is kindTitle with its article: "a self-service action".
func aKind(kind string) string {
	if kind == kindAutomation {
		return "an automation"
	}
	return "a " + kindTitle(kind)
}

// notFoundError is a not-found the client finds itself: it exits
// ExitNotFound like the server's 404.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
