package catalog

import (
	"maps"
	"strings"

	"github.com/berthdev/berth"
)

// entityFields are the writable fields of an entity body; "blueprint" is
// accepted when it names the blueprint of the URL.
var entityFields = map[string]bool{
	"identifier": true, "title": true, "icon": true, "blueprint": true,
	"team": true, "properties": true, "relations": true,
}

// DecodeEntity decodes the body of an entity create or replace (spec 10.2,
// 10.3) for the blueprint named in the URL. It checks the body's shape and
// identifiers; property values and relation names are checked against the
// blueprint by EntitySchema.Validate.
//
// The identifier may be absent, null or "": the result's Identifier is then "", and
// the caller supplies one (Port generates one on create; PUT takes it from
// the URL). Team accepts a string or an array of strings; properties and
// relations come back as non-nil maps, relation values as a string, an
// []any of strings or nil. Read-only fields (createdAt, ...) are ignored.
//
// It returns berth.CodeInvalid when raw is not JSON, and
// berth.CodeUnprocessable listing every problem otherwise.
func DecodeEntity(raw []byte, blueprint string) (*berth.Entity, error) {
	e, _, err := decodeEntity(raw, blueprint)
	if err != nil {
		return nil, err
	}
	if e.Team == nil {
		e.Team = []string{}
	}
	if e.Properties == nil {
		e.Properties = map[string]any{}
	}
	if e.Relations == nil {
		e.Relations = map[string]any{}
	}
	return e, nil
}

// decodeEntity decodes the supplied fields of an entity body and reports
// which top-level fields were present.
func decodeEntity(raw []byte, blueprint string) (*berth.Entity, map[string]bool, error) {
	top, err := decodeObject(raw, "entity")
	if err != nil {
		return nil, nil, err
	}
	var p problems
	e := &berth.Entity{Blueprint: blueprint}
	supplied := make(map[string]bool)
	for _, k := range sortedKeys(top) {
		switch {
		case entityFields[k]:
			supplied[k] = true
			decodeEntityField(&p, e, k, toAny(top[k]))
		case !readOnlyFields[k]:
			p.add(ptr("", k), "is not an entity field; allowed: %s", strings.Join(sortedKeys(entityFields), ", "))
		}
	}
	if err := p.err("entity"); err != nil {
		return nil, nil, err
	}
	return e, supplied, nil
}

func decodeEntityField(p *problems, e *berth.Entity, k string, v any) {
	switch k {
	case "identifier":
		e.Identifier = entityIdentifier(p, v)
	case "title":
		e.Title = optionalString(p, "/title", v, 0)
	case "icon":
		e.Icon = optionalString(p, "/icon", v, 0)
	case "blueprint":
		if s, ok := v.(string); v != nil && (!ok || s != e.Blueprint) {
			p.add("/blueprint", "is %s, but the entity is being written to blueprint %q", show(v), e.Blueprint)
		}
	case "team":
		e.Team = decodeTeam(p, v)
	case "properties":
		e.Properties = decodeEntityProperties(p, v)
	case "relations":
		e.Relations = decodeEntityRelations(p, v)
	}
}

// entityIdentifier reads an identifier; null and "" mean absent.
func entityIdentifier(p *problems, v any) string {
	if v == nil || v == "" {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.add("/identifier", "must be a string")
		return ""
	}
	if msg := entityIDProblem(s); msg != "" {
		p.add("/identifier", "%s", msg)
	}
	return s
}

func decodeTeam(p *problems, v any) []string {
	switch t := v.(type) {
	case nil:
		return []string{}
	case string:
		if t == "" {
			p.add("/team", "must not be empty")
		}
		return []string{t}
	}
	teams, ok := toStrings(v)
	if !ok {
		p.add("/team", "must be a team identifier or an array of them")
		return []string{}
	}
	for i, t := range teams {
		if t == "" {
			p.add(index("/team", i), "must not be empty")
		}
	}
	return teams
}

func decodeEntityProperties(p *problems, v any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.add("/properties", "must be an object keyed by property identifier")
		return map[string]any{}
	}
	return m
}

func decodeEntityRelations(p *problems, v any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	m, ok := v.(map[string]any)
	if !ok {
		p.add("/relations", "must be an object keyed by relation identifier")
		return map[string]any{}
	}
	for _, k := range sortedKeys(m) {
		checkRelationValue(p, ptr("/relations", k), m[k])
	}
	return m
}

// validRelationValue reports, without allocating, whether checkRelationValue
// would find nothing wrong.
func validRelationValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return entityIDProblem(x) == ""
	case []any:
		for _, item := range x {
			if s, ok := item.(string); !ok || entityIDProblem(s) != "" {
				return false
			}
		}
		return true
	}
	return false
}

// checkRelationValue checks the shape of one relation value: an entity
// identifier, an array of them, or null.
func checkRelationValue(p *problems, at string, v any) {
	switch x := v.(type) {
	case nil:
		return
	case string:
		if msg := entityIDProblem(x); msg != "" {
			p.add(at, "is not a valid entity identifier: %s", msg)
		}
		return
	case map[string]any:
		p.add(at, "must be an entity identifier or an array of them; search queries as relation values are not supported")
		return
	}
	a, ok := toArray(v)
	if !ok {
		p.add(at, "must be an entity identifier, an array of them, or null")
		return
	}
	for i, x := range a {
		s, ok := x.(string)
		if !ok {
			p.add(index(at, i), "must be an entity identifier (a string)")
			continue
		}
		if msg := entityIDProblem(s); msg != "" {
			p.add(index(at, i), "is not a valid entity identifier: %s", msg)
		}
	}
}

// EntityPatch is a decoded PATCH body (or a POST with upsert and merge):
// only the fields it supplied change.
type EntityPatch struct {
	supplied map[string]bool
	e        *berth.Entity
}

// DecodeEntityPatch decodes a partial entity body for the blueprint named
// in the URL, with the checks and errors of DecodeEntity.
func DecodeEntityPatch(raw []byte, blueprint string) (*EntityPatch, error) {
	e, supplied, err := decodeEntity(raw, blueprint)
	if err != nil {
		return nil, err
	}
	return &EntityPatch{supplied: supplied, e: e}, nil
}

// Identifier returns the identifier the patch supplies, or "" if none. On
// PATCH a different identifier renames the entity; on an upsert it names
// the entity to merge into.
func (p *EntityPatch) Identifier() string { return p.e.Identifier }

// Apply returns old with the patch applied; old is not modified and may be
// nil (an upsert creating the entity). Supplied fields replace the stored
// ones, except properties and relations, which are merged key by key: a key
// set to null is stored as null (no value), keys not mentioned are kept.
// Meta is kept from old. Validate the result with EntitySchema.Validate.
func (p *EntityPatch) Apply(old *berth.Entity) *berth.Entity {
	out := &berth.Entity{Blueprint: p.e.Blueprint, Team: []string{}}
	if old != nil {
		*out = *old
		out.Team = append([]string{}, old.Team...)
	}
	out.Properties = maps.Clone(out.Properties)
	out.Relations = maps.Clone(out.Relations)
	if out.Properties == nil {
		out.Properties = map[string]any{}
	}
	if out.Relations == nil {
		out.Relations = map[string]any{}
	}
	p.applyTo(out)
	return out
}

func (p *EntityPatch) applyTo(out *berth.Entity) {
	if p.supplied["identifier"] && p.e.Identifier != "" {
		out.Identifier = p.e.Identifier
	}
	if p.supplied["title"] {
		out.Title = p.e.Title
	}
	if p.supplied["icon"] {
		out.Icon = p.e.Icon
	}
	if p.supplied["team"] {
		out.Team = append([]string{}, p.e.Team...)
	}
	maps.Copy(out.Properties, p.e.Properties)
	maps.Copy(out.Relations, p.e.Relations)
}
