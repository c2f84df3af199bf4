package catalog

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/jqtemplate"
)

var (
	mirrorFields      = map[string]bool{"path": true, "title": true}
	calculationFields = map[string]bool{
		"title": true, "description": true, "icon": true, "type": true, "format": true,
		"calculation": true, "colorized": true, "colors": true, "items": true,
	}
	ownershipFields = map[string]bool{"type": true, "path": true, "title": true}
	changelogFields = map[string]bool{"type": true, "url": true, "agent": true}
)

// checker validates one decoded object found at the JSON pointer at.
type checker func(p *problems, at string, m map[string]any)

// decodeRawMap reads an object keyed by property identifier whose values
// are objects kept as (compacted) raw JSON. check may be nil.
func decodeRawMap(p *problems, at string, raw json.RawMessage, check checker) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	if toAnyOrNil(raw) == nil {
		return out
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		p.add(at, "must be an object keyed by property identifier")
		return out
	}
	for _, id := range sortedKeys(m) {
		here := ptr(at, id)
		if msg := propertyIDProblem(id); msg != "" {
			p.add(here, "is not a valid property identifier: %s", msg)
		}
		obj, ok := toAny(m[id]).(map[string]any)
		if !ok {
			p.add(here, "must be an object")
			continue
		}
		if check != nil {
			check(p, here, obj)
		}
		out[id] = compact(m[id])
	}
	return out
}

// decodeRawObject reads an optional object kept as raw JSON; nil when absent
// or null.
func decodeRawObject(p *problems, at string, raw json.RawMessage, check checker) json.RawMessage {
	v := toAnyOrNil(raw)
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.add(at, "must be an object")
		return nil
	}
	check(p, at, m)
	return compact(raw)
}

// mirrorChecker checks {path, title?}; the path must start with one of the
// blueprint's relations. Later hops cross into other blueprints and are not
// checked here.
func mirrorChecker(relations map[string]berth.Relation) checker {
	return func(p *problems, at string, m map[string]any) {
		checkKeys(p, at, m, mirrorFields, "mirror property")
		checkTitle(p, ptr(at, "title"), m["title"], false)
		path, ok := m["path"].(string)
		if !ok {
			p.add(ptr(at, "path"), `is required: a string like "domain.owner" (relation, then property or $meta)`)
			return
		}
		hops := strings.Split(path, ".")
		switch {
		case len(hops) < 2 || slices.Contains(hops, ""):
			p.add(ptr(at, "path"), `must be "<relation>[.<relation>...].<property or $meta>", like "domain.owner"`)
		case !hasRelation(relations, hops[0]):
			p.add(ptr(at, "path"), "must start with a relation of this blueprint; %q is not one", hops[0])
		}
	}
}

func hasRelation(relations map[string]berth.Relation, id string) bool {
	_, ok := relations[id]
	return ok
}

// checkCalculation checks a calculation property. The jq program is stored,
// not compiled: evaluating it is the caller's job.
func checkCalculation(p *problems, at string, m map[string]any) {
	checkKeys(p, at, m, calculationFields, "calculation property")
	checkTitle(p, ptr(at, "title"), m["title"], false)
	typ := propertyType(p, at, m["type"])
	if f, ok := m["format"]; ok && f != nil && typ != "" {
		compileFormat(p, at, m, newValueSchema(typ))
	}
	if c, ok := m["calculation"].(string); !ok || strings.TrimSpace(c) == "" {
		p.add(ptr(at, "calculation"), `is required: a jq expression over the entity, like ".identifier"`)
	} else if err := jqtemplate.CheckExpr(c); err != nil {
		p.add(ptr(at, "calculation"), "is not a valid jq expression: %v", err)
	}
	if c, ok := m["colorized"]; ok {
		optionalBool(p, ptr(at, "colorized"), c)
	}
	for _, k := range []string{"colors", "items"} {
		if v, ok := m[k]; ok && v != nil {
			if _, ok := v.(map[string]any); !ok {
				p.add(ptr(at, k), "must be an object")
			}
		}
	}
	for _, k := range []string{"description", "icon"} {
		optionalString(p, ptr(at, k), m[k], 0)
	}
}

// checkOwnership checks {"type": "Direct"} or {"type": "Inherited", "path"}.
func checkOwnership(p *problems, at string, m map[string]any) {
	checkKeys(p, at, m, ownershipFields, "ownership")
	checkTitle(p, ptr(at, "title"), m["title"], false)
	path, hasPath := m["path"]
	switch m["type"] {
	case "Direct":
		if hasPath {
			p.add(ptr(at, "path"), `applies to "Inherited" ownership only`)
		}
	case "Inherited":
		if s, ok := path.(string); !ok || s == "" {
			p.add(ptr(at, "path"), `is required for "Inherited" ownership: the relation path to the owning entity, like "domain"`)
		}
	default:
		p.add(ptr(at, "type"), `must be "Direct" or "Inherited", not %s`, show(m["type"]))
	}
}

// checkChangelog checks {"type": "WEBHOOK", "url", "agent"?} or {"type": "KAFKA"}.
func checkChangelog(p *problems, at string, m map[string]any) {
	checkKeys(p, at, m, changelogFields, "changelogDestination")
	switch m["type"] {
	case "WEBHOOK":
		if u, ok := m["url"].(string); !ok || !isAbsoluteURL(u) {
			p.add(ptr(at, "url"), "is required for a WEBHOOK destination: an absolute URL, like https://example.com/changes")
		}
		if a, ok := m["agent"]; ok {
			optionalBool(p, ptr(at, "agent"), a)
		}
	case "KAFKA":
		for _, k := range []string{"url", "agent"} {
			if _, ok := m[k]; ok {
				p.add(ptr(at, k), "applies to WEBHOOK destinations only")
			}
		}
	default:
		p.add(ptr(at, "type"), `must be "WEBHOOK" or "KAFKA", not %s`, show(m["type"]))
	}
}
