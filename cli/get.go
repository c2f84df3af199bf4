package cli

import (
	"context"
	"fmt"
	"net/http"
)

const getUsage = `berth get KIND [ID...] [-b BLUEPRINT] [-o table|json|yaml]

Lists the objects of a kind, or shows the ones named. KIND is blueprints,
actions (self-service), automations, entities (with -b BLUEPRINT, or IDs
written BLUEPRINT/ID) or runs. -o yaml prints what berth apply takes back.
Exit status: 0 shown, 1 error, 2 usage error, 3 an ID does not exist.`

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
		objs, err := list(ctx, c, kind, *blueprint, nil)
		if err != nil {
			return c.fail(err)
		}
		if err := c.printValue(objs, objs, columns, row); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	var objs []obj
	worst := ExitOK
	for _, id := range ids {
		bp, id := splitEntityRef(id, *blueprint)
		if kind == kindEntity && bp == "" {
			return c.usageError("entity %q: name its blueprint with -b or write BLUEPRINT/%s", id, id)
		}
		o, err := getOne(ctx, c, kind, bp, id)
		if err != nil {
			worst = worse(worst, c.fail(err))
			continue
		}
		objs = append(objs, o)
	}
	var v any = objs
	if len(ids) == 1 && len(objs) == 1 {
		v = objs[0]
	}
	if len(objs) > 0 {
		if err := c.printValue(v, objs, columns, row); err != nil {
			return c.fail(err)
		}
	}
	return worst
}

// list returns every object of a kind (query adds filters).
func list(ctx context.Context, c *command, kind, blueprint string, query map[string][]string) ([]obj, error) {
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
		return nil, err
	}
	objs := []obj{}
	if err := resp.Decode(coll.listKey, &objs); err != nil {
		return nil, err
	}
	return objs, nil
}

func getOne(ctx context.Context, c *command, kind, blueprint, id string) (obj, error) {
	resp, err := c.api.Do(ctx, http.MethodGet, objectPath(kind, blueprint, id), nil, nil)
	if err != nil {
		return nil, err
	}
	var o obj
	if err := resp.Decode(collectionOf(kind, blueprint).objectKey, &o); err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, id, err)
	}
	return o, nil
}
