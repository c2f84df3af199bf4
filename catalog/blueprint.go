package catalog

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth"
)

// MaxBlueprintDescription is the longest blueprint description (spec 12).
const MaxBlueprintDescription = 200

// blueprintFields are the writable top-level fields of a blueprint body.
var blueprintFields = map[string]bool{
	"identifier": true, "title": true, "description": true, "icon": true,
	"schema": true, "relations": true, "mirrorProperties": true,
	"calculationProperties": true, "aggregationProperties": true,
	"ownership": true, "changelogDestination": true,
}

// readOnlyFields may appear in a body (a client sending back what it read)
// and are ignored.
var readOnlyFields = map[string]bool{
	"createdAt": true, "createdBy": true, "updatedAt": true, "updatedBy": true,
}

// DecodeBlueprint decodes and validates the body of a blueprint create or
// replace (POST /v1/blueprints, PUT /v1/blueprints/{id}) against the rules
// of spec 10.1. Read-only fields (createdAt, ...) are ignored and left
// empty; absent maps come back empty, not nil.
//
// It returns berth.CodeInvalid when raw is not JSON, and
// berth.CodeUnprocessable listing every problem otherwise. It does not check
// that relation targets exist (see CheckRelationTargets) nor what may change
// on an update (see CheckBlueprintUpdate).
func DecodeBlueprint(raw []byte) (*berth.Blueprint, error) {
	top, err := decodeObject(raw, "blueprint")
	if err != nil {
		return nil, err
	}
	var p problems
	bp := decodeBlueprint(&p, top)
	if err := p.err("blueprint"); err != nil {
		return nil, err
	}
	return bp, nil
}

func decodeBlueprint(p *problems, top map[string]json.RawMessage) *berth.Blueprint {
	bp := &berth.Blueprint{
		Identifier:  blueprintIdentifier(p, field(top, "identifier")),
		Title:       checkTitle(p, "/title", field(top, "title"), true),
		Description: optionalString(p, "/description", field(top, "description"), MaxBlueprintDescription),
		Icon:        optionalString(p, "/icon", field(top, "icon"), 0),
		Schema:      decodeSchema(p, field(top, "schema")),
		Relations:   decodeRelations(p, top["relations"]),
	}
	bp.MirrorProperties = decodeRawMap(p, "/mirrorProperties", top["mirrorProperties"], mirrorChecker(bp.Relations))
	bp.CalculationProperties = decodeRawMap(p, "/calculationProperties", top["calculationProperties"], checkCalculation)
	bp.AggregationProperties = decodeRawMap(p, "/aggregationProperties", top["aggregationProperties"], nil)
	checkPropertyClashes(p, bp)
	bp.Ownership = decodeRawObject(p, "/ownership", top["ownership"], checkOwnership)
	bp.ChangelogDestination = decodeRawObject(p, "/changelogDestination", top["changelogDestination"], checkChangelog)
	for _, k := range sortedKeys(top) {
		if !blueprintFields[k] && !readOnlyFields[k] {
			p.add(ptr("", k), "is not a blueprint field; allowed: %s", strings.Join(sortedKeys(blueprintFields), ", "))
		}
	}
	return bp
}

// field returns the decoded value of a top-level field, nil when absent.
func field(top map[string]json.RawMessage, k string) any {
	raw, ok := top[k]
	if !ok {
		return nil
	}
	return toAny(raw)
}

func blueprintIdentifier(p *problems, v any) string {
	s, ok := v.(string)
	switch {
	case v == nil:
		p.add("/identifier", "is required")
	case !ok:
		p.add("/identifier", "must be a string")
	default:
		if msg := blueprintIDProblem(s); msg != "" {
			p.add("/identifier", "%s", msg)
		}
	}
	return s
}

// optionalString reads a string that may be absent or null; limit > 0 caps
// its length in characters.
func optionalString(p *problems, at string, v any, limit int) *string {
	if v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		p.add(at, "must be a string")
		return nil
	}
	if n := utf8.RuneCountInString(s); limit > 0 && n > limit {
		p.add(at, "must be at most %d characters long (is %d)", limit, n)
	}
	return &s
}

// checkKeys reports keys of m that are not in allowed.
func checkKeys(p *problems, at string, m map[string]any, allowed map[string]bool, what string) {
	for _, k := range sortedKeys(m) {
		if !allowed[k] {
			p.add(ptr(at, k), "is not a %s field; allowed: %s", what, strings.Join(sortedKeys(allowed), ", "))
		}
	}
}

// checkPropertyClashes refuses an identifier used by two kinds of property:
// all of them appear side by side in an entity's properties on read.
func checkPropertyClashes(p *problems, bp *berth.Blueprint) {
	seen := make(map[string]string)
	for id := range bp.Schema.Properties {
		seen[id] = "schema.properties"
	}
	kinds := []struct {
		name string
		m    map[string]json.RawMessage
	}{
		{"mirrorProperties", bp.MirrorProperties},
		{"calculationProperties", bp.CalculationProperties},
		{"aggregationProperties", bp.AggregationProperties},
	}
	for _, kind := range kinds {
		for _, id := range sortedKeys(kind.m) {
			if other, ok := seen[id]; ok {
				p.add(ptr("/"+kind.name, id), "is already defined in %s; property identifiers must be unique across properties, mirror, calculation and aggregation properties", other)
				continue
			}
			seen[id] = kind.name
		}
	}
}
