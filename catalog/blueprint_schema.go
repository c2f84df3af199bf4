package catalog

import (
	"encoding/json"

	"github.com/berthdev/berth"
)

var (
	schemaFields   = map[string]bool{"properties": true, "required": true}
	relationFields = map[string]bool{"title": true, "description": true, "target": true, "required": true, "many": true}
)

// decodeSchema reads {"properties": {...}, "required": [...]}.
func decodeSchema(p *problems, v any) berth.BlueprintSchema {
	out := berth.BlueprintSchema{Properties: map[string]berth.Property{}, Required: []string{}}
	m, ok := v.(map[string]any)
	switch {
	case v == nil:
		p.add("/schema", `is required, like {"properties": {}, "required": []}`)
		return out
	case !ok:
		p.add("/schema", `must be an object, like {"properties": {}, "required": []}`)
		return out
	}
	checkKeys(p, "/schema", m, schemaFields, "schema")
	out.Properties = decodeProperties(p, m["properties"])
	out.Required = decodeRequired(p, m["required"], out.Properties)
	return out
}

func decodeProperties(p *problems, v any) map[string]berth.Property {
	out := map[string]berth.Property{}
	m, ok := v.(map[string]any)
	switch {
	case v == nil:
		p.add("/schema/properties", "is required (it may be empty: {})")
		return out
	case !ok:
		p.add("/schema/properties", "must be an object keyed by property identifier")
		return out
	}
	for _, id := range sortedKeys(m) {
		at := ptr("/schema/properties", id)
		if msg := propertyIDProblem(id); msg != "" {
			p.add(at, "is not a valid property identifier: %s", msg)
		}
		compileProperty(p, at, m[id])
		if def, ok := m[id].(map[string]any); ok {
			out[id] = berth.Property(def)
		}
	}
	return out
}

func decodeRequired(p *problems, v any, props map[string]berth.Property) []string {
	out := []string{}
	if v == nil {
		return out
	}
	a, ok := v.([]any)
	if !ok {
		p.add("/schema/required", "must be an array of property identifiers")
		return out
	}
	seen := make(map[string]bool)
	for i, x := range a {
		id, ok := x.(string)
		switch {
		case !ok:
			p.add(index("/schema/required", i), "must be a property identifier (a string)")
		case seen[id]:
			p.add(index("/schema/required", i), "lists %q twice", id)
		case props[id] == nil:
			p.add(index("/schema/required", i), "names %q, which is not in schema.properties", id)
		default:
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func decodeRelations(p *problems, raw json.RawMessage) map[string]berth.Relation {
	out := map[string]berth.Relation{}
	v := toAnyOrNil(raw)
	if v == nil {
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.add("/relations", "must be an object keyed by relation identifier")
		return out
	}
	for _, id := range sortedKeys(m) {
		at := ptr("/relations", id)
		if msg := propertyIDProblem(id); msg != "" {
			p.add(at, "is not a valid relation identifier: %s", msg)
		}
		if r, ok := decodeRelation(p, at, m[id]); ok {
			out[id] = r
		}
	}
	return out
}

func decodeRelation(p *problems, at string, v any) (berth.Relation, bool) {
	var r berth.Relation
	m, ok := v.(map[string]any)
	if !ok {
		p.add(at, `must be an object, like {"target": "domain", "many": false, "required": false}`)
		return r, false
	}
	checkKeys(p, at, m, relationFields, "relation")
	if t, ok := m["title"]; ok && t != nil {
		s := checkTitle(p, ptr(at, "title"), t, false)
		r.Title = &s
	}
	r.Description = optionalString(p, ptr(at, "description"), m["description"], 0)
	r.Target = relationTarget(p, ptr(at, "target"), m["target"])
	r.Required = optionalBool(p, ptr(at, "required"), m["required"])
	r.Many = optionalBool(p, ptr(at, "many"), m["many"])
	if r.Many && r.Required {
		p.add(ptr(at, "required"), "a relation cannot be both required and many")
	}
	return r, true
}

func relationTarget(p *problems, at string, v any) string {
	s, ok := v.(string)
	switch {
	case v == nil:
		p.add(at, "is required: the identifier of the blueprint the relation points to")
	case !ok:
		p.add(at, "must be a blueprint identifier (a string)")
	default:
		if msg := blueprintIDProblem(s); msg != "" {
			p.add(at, "is not a valid blueprint identifier: %s", msg)
		}
	}
	return s
}

func optionalBool(p *problems, at string, v any) bool {
	b, ok := v.(bool)
	if v != nil && !ok {
		p.add(at, "must be true or false")
	}
	return b
}

// toAnyOrNil decodes raw, treating an absent field like null.
func toAnyOrNil(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return toAny(raw)
}

// CheckRelationTargets returns a 422 naming every relation of bp whose
// target blueprint does not exist according to exists. A blueprint may
// relate to itself whatever exists says. Call it after DecodeBlueprint or
// PatchBlueprint, with the store's view of existing blueprints.
func CheckRelationTargets(bp *berth.Blueprint, exists func(identifier string) bool) error {
	var p problems
	for _, id := range sortedKeys(bp.Relations) {
		t := bp.Relations[id].Target
		if t != bp.Identifier && !exists(t) {
			p.add(ptr("/relations", id, "target"), "names blueprint %q, which does not exist", t)
		}
	}
	return p.err("blueprint")
}
