package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

const deleteUsage = `berth delete KIND ID... [-b BLUEPRINT] [--delete-dependents]
       berth delete entities -b BLUEPRINT --all

Deletes the objects named, without asking. KIND is blueprints, actions,
automations or entities (with -b BLUEPRINT, or IDs written BLUEPRINT/ID).
Without an ID nothing is deleted, except all the entities of one blueprint
with --all; actions deletes only self-service actions, automations only
automations. Exit status: 0 deleted, 1 refused, 2 usage error, 3 an ID does
not exist or is of the other kind (the others are still deleted).`

func deleteCmd(ctx context.Context, c *command, args []string) int {
	fs := c.flags(deleteUsage)
	blueprint := fs.String("b", "", "the `blueprint` of the entities")
	fs.StringVar(blueprint, "blueprint", "", "same as -b")
	all := fs.Bool("all", false, "delete every entity of the blueprint")
	dependents := fs.Bool("delete-dependents", false, "entities: also delete the entities that require this one")
	rest, code, ok := c.parse(fs, args)
	if !ok {
		return code
	}
	if len(rest) == 0 {
		return c.usageError("name a KIND and the IDs to delete")
	}
	kind, known := kindAliases[rest[0]]
	if !known || kind == kindRun {
		return c.usageError("cannot delete %q: want blueprints, actions, automations or entities", rest[0])
	}
	ids := rest[1:]
	switch {
	case *all && (kind != kindEntity || *blueprint == "" || len(ids) > 0):
		return c.usageError("--all deletes the entities of one blueprint: berth delete entities -b BLUEPRINT --all")
	case *all:
		if _, err := c.api.Do(ctx, http.MethodDelete, "/v1/blueprints/"+url.PathEscape(*blueprint)+"/all-entities", nil, nil); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.env.Stdout, "deleted every entity of blueprint %s\n", *blueprint)
		return ExitOK
	case len(ids) == 0:
		return c.usageError("name the IDs to delete (nothing is deleted without one)")
	}
	var query url.Values
	if *dependents {
		query = url.Values{"delete_dependents": {"true"}}
	}
	worst := ExitOK
	for _, ref := range ids {
		bp, id := splitEntityRef(ref, *blueprint)
		if kind == kindEntity && bp == "" {
			return c.usageError("entity %q: name its blueprint with -b or write BLUEPRINT/%s", id, id)
		}
		if kind == kindAction || kind == kindAutomation {
			// One /v1/actions holds both kinds: delete only the kind named.
			if _, _, err := getOne(ctx, c, kind, "", id); err != nil {
				worst = worse(worst, c.fail(err))
				continue
			}
		}
		if _, err := c.api.Do(ctx, http.MethodDelete, objectPath(kind, bp, id), query, nil); err != nil {
			worst = worse(worst, c.fail(err))
			continue
		}
		name := kind + " " + id
		if kind == kindEntity {
			name = kind + " " + bp + "/" + id
		}
		fmt.Fprintf(c.env.Stdout, "%s deleted\n", name)
	}
	return worst
}
