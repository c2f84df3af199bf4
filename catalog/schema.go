package catalog

import (
	"maps"
	"slices"
	"strings"

	"github.com/berthdev/berth"
)

// EntitySchema is a blueprint compiled for validating its entities. Compile
// it once per blueprint version and reuse it: Validate allocates only to
// report problems (and to parse url and email values). It is safe for
// concurrent use.
type EntitySchema struct {
	blueprint  string
	properties map[string]*valueSchema
	required   []string
	relations  map[string]berth.Relation
	computed   map[string]string // mirror, calculation and aggregation ids → kind
	// calculations are the compiled calculation properties (Calculate).
	calculations []calculation
}

// CompileEntitySchema compiles bp's property definitions. It returns a 422
// naming the broken definitions when bp would not pass DecodeBlueprint.
func CompileEntitySchema(bp *berth.Blueprint) (*EntitySchema, error) {
	var p problems
	s := &EntitySchema{
		blueprint:  bp.Identifier,
		properties: make(map[string]*valueSchema, len(bp.Schema.Properties)),
		required:   slices.Sorted(slices.Values(bp.Schema.Required)),
		relations:  maps.Clone(bp.Relations),
		computed:   make(map[string]string),
	}
	for _, id := range sortedKeys(bp.Schema.Properties) {
		if vs := compileProperty(&p, ptr("/schema/properties", id), map[string]any(bp.Schema.Properties[id])); vs != nil {
			s.properties[id] = vs
		}
	}
	for id := range bp.MirrorProperties {
		s.computed[id] = "mirror"
	}
	for id := range bp.CalculationProperties {
		s.computed[id] = "calculation"
	}
	for id := range bp.AggregationProperties {
		s.computed[id] = "aggregation"
	}
	s.calculations = compileCalculations(bp)
	if err := p.err("blueprint " + bp.Identifier); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate checks e against the blueprint: identifier present and valid;
// blueprint matching; property values of the declared types, formats,
// enums and limits; required properties present and not null; no
// undeclared properties (mirror, calculation and aggregation properties are
// computed and cannot be written: see DropComputed); only declared relations, a single
// relation holding an identifier or null, a many relation an array of
// identifiers (or null); required relations set. It returns a 422 naming
// every offending field ("/properties/replicas", "/relations/domain").
//
// A null property value means "no value": it passes unless the property is
// required. Validate does not check that related entities exist (see
// RelationTargets).
func (s *EntitySchema) Validate(e *berth.Entity) error {
	var p problems
	switch {
	case e.Identifier == "":
		p.add("/identifier", "is required")
	case entityIDProblem(e.Identifier) != "":
		p.add("/identifier", "%s", entityIDProblem(e.Identifier))
	}
	if e.Blueprint != s.blueprint {
		p.add("/blueprint", "is %q, but this schema is for blueprint %q", e.Blueprint, s.blueprint)
	}
	for i, t := range e.Team {
		if t == "" {
			p.add(index("/team", i), "must not be empty")
		}
	}
	s.checkProperties(&p, e.Properties)
	s.checkRelations(&p, e.Relations)
	// Maps are walked in random order; sorting keeps reports stable.
	slices.SortStableFunc(p, func(a, b berth.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return p.err("entity")
}

func (s *EntitySchema) checkProperties(p *problems, props map[string]any) {
	for id, v := range props {
		vs, ok := s.properties[id]
		switch {
		case ok:
			vs.check(p, "/properties", id, v)
		case s.computed[id] != "":
			p.add(ptr("/properties", id), "is a %s property of blueprint %q: it is computed and cannot be written", s.computed[id], s.blueprint)
		default:
			p.add(ptr("/properties", id), "is not a property of blueprint %q", s.blueprint)
		}
	}
	for _, id := range s.required {
		if props[id] == nil {
			p.add(ptr("/properties", id), "is required")
		}
	}
}

func (s *EntitySchema) checkRelations(p *problems, rels map[string]any) {
	for id, v := range rels {
		r, ok := s.relations[id]
		if !ok {
			p.add(ptr("/relations", id), "is not a relation of blueprint %q", s.blueprint)
			continue
		}
		checkRelationCardinality(p, id, r, v)
	}
	for id, r := range s.relations {
		if r.Required && isEmptyRelation(rels[id]) {
			p.add(ptr("/relations", id), "is required: the identifier of a %q entity", r.Target)
		}
	}
}

// checkRelationCardinality checks the value of a declared relation id.
func checkRelationCardinality(p *problems, id string, r berth.Relation, v any) {
	if v == nil {
		return
	}
	_, isString := v.(string)
	switch {
	case r.Many && isString:
		p.add(ptr("/relations", id), "must be an array of %q entity identifiers (the relation is many)", r.Target)
	case !r.Many && !isString:
		p.add(ptr("/relations", id), "must be one %q entity identifier or null (the relation is not many)", r.Target)
	case !validRelationValue(v):
		checkRelationValue(p, ptr("/relations", id), v)
	}
}

func isEmptyRelation(v any) bool {
	if v == nil {
		return true
	}
	if s, ok := v.(string); ok {
		return s == ""
	}
	a, ok := toArray(v)
	return ok && len(a) == 0
}

// ApplyDefaults sets every property of bp that e lacks and that has a
// non-null default to (a copy of) that default. A property present with
// the value null is left alone: the client asked for no value. Call it
// when creating or replacing an entity, before Validate.
func ApplyDefaults(bp *berth.Blueprint, e *berth.Entity) {
	for id, def := range bp.Schema.Properties {
		d, ok := def["default"]
		if !ok || d == nil {
			continue
		}
		if _, set := e.Properties[id]; set {
			continue
		}
		if e.Properties == nil {
			e.Properties = make(map[string]any)
		}
		e.Properties[id] = deepCopy(d)
	}
}

// RelationTarget is one entity an entity's relation points to.
type RelationTarget struct {
	Relation        string // relation identifier on the entity's blueprint
	TargetBlueprint string // blueprint of the related entity
	Identifier      string // identifier of the related entity
}

// RelationTargets lists the entities e's relations point to, for the
// caller to check they exist (or create stubs), ordered by relation and
// then as given. Relations bp does not declare, nulls and non-string
// values are skipped.
func RelationTargets(bp *berth.Blueprint, e *berth.Entity) []RelationTarget {
	var out []RelationTarget
	for _, id := range sortedKeys(e.Relations) {
		r, ok := bp.Relations[id]
		if !ok {
			continue
		}
		for _, target := range RelationIDs(e.Relations[id]) {
			out = append(out, RelationTarget{Relation: id, TargetBlueprint: r.Target, Identifier: target})
		}
	}
	return out
}

// RelationIDs returns the identifiers held by a relation value.
func RelationIDs(v any) []string {
	if s, ok := v.(string); ok {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	a, _ := toArray(v)
	ids := make([]string, 0, len(a))
	for _, x := range a {
		if s, ok := x.(string); ok && s != "" {
			ids = append(ids, s)
		}
	}
	return ids
}
