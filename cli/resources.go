package cli

import (
	"net/url"
	"strings"
)

// kindAliases maps what users type to kinds; kindRun is only for get.
const kindRun = "run"

var kindAliases = map[string]string{
	"blueprint": kindBlueprint, "blueprints": kindBlueprint, "bp": kindBlueprint,
	"action": kindAction, "actions": kindAction,
	"automation": kindAutomation, "automations": kindAutomation,
	"entity": kindEntity, "entities": kindEntity,
	"run": kindRun, "runs": kindRun,
}

// objectPath is the API path of one object.
func objectPath(kind, blueprint, id string) string {
	switch kind {
	case kindBlueprint:
		return "/v1/blueprints/" + url.PathEscape(id)
	case kindEntity:
		return "/v1/blueprints/" + url.PathEscape(blueprint) + "/entities/" + url.PathEscape(id)
	case kindRun:
		return "/v1/actions/runs/" + url.PathEscape(id)
	}
	return "/v1/actions/" + url.PathEscape(id)
}

// collection is where objects of a kind are listed and created, and the
// keys of the answers that hold them.
type collection struct {
	path      string
	query     url.Values
	listKey   string
	objectKey string
}

func collectionOf(kind, blueprint string) collection {
	switch kind {
	case kindBlueprint:
		return collection{path: "/v1/blueprints", listKey: "blueprints", objectKey: "blueprint"}
	case kindEntity:
		return collection{path: "/v1/blueprints/" + url.PathEscape(blueprint) + "/entities", listKey: "entities", objectKey: "entity"}
	case kindRun:
		return collection{path: "/v1/actions/runs", query: url.Values{}, listKey: "runs", objectKey: "run"}
	case kindAutomation:
		return collection{path: "/v1/actions", query: url.Values{"trigger_type": {"automation"}}, listKey: "actions", objectKey: "action"}
	}
	return collection{path: "/v1/actions", query: url.Values{"trigger_type": {"self-service"}}, listKey: "actions", objectKey: "action"}
}

// splitEntityRef splits "blueprint/entity" as get and delete accept it.
func splitEntityRef(ref, blueprint string) (bp, id string) {
	if blueprint == "" {
		if b, e, ok := strings.Cut(ref, "/"); ok {
			return b, e
		}
	}
	return blueprint, ref
}
