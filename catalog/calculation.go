package catalog

import (
	"context"
	"encoding/json"
	"math/big"
	"slices"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/jqtemplate"
)

// CalculationTimeout bounds one calculation property's jq for one entity:
// a calculation is a small expression over one entity, and reads compute
// them for every entity they return.
const CalculationTimeout = 100 * time.Millisecond

// calculation is one compiled calculation property of a blueprint.
type calculation struct {
	id   string
	typ  string           // the property's declared type
	expr *jqtemplate.Expr // nil when the jq does not compile (stored before it was checked)
}

// compileCalculations compiles bp's calculation properties, in identifier
// order.
func compileCalculations(bp *berth.Blueprint) []calculation {
	var out []calculation
	for _, id := range sortedKeys(bp.CalculationProperties) {
		var def struct {
			Type        string `json:"type"`
			Calculation string `json:"calculation"`
		}
		json.Unmarshal(bp.CalculationProperties[id], &def)
		c := calculation{id: id, typ: def.Type}
		c.expr, _ = jqtemplate.CompileExpr(def.Calculation)
		out = append(out, c)
	}
	return out
}

// HasCalculations reports whether the blueprint has calculation properties.
func (s *EntitySchema) HasCalculations() bool { return len(s.calculations) > 0 }

// Calculate returns e with the values of its blueprint's calculation
// properties in its properties (spec 10.1): each property's jq runs over
// the entity's JSON (identifier, title, properties, relations, team, meta
// fields) as stored, and its result is kept when it is of the property's
// type; a result of another type, no result, or an expression that fails
// (CalculationTimeout, or ctx done) give null. When the blueprint has none,
// Calculate returns e itself; otherwise a copy, so what is stored never
// holds computed values.
func (s *EntitySchema) Calculate(ctx context.Context, e *berth.Entity) *berth.Entity {
	if e == nil || len(s.calculations) == 0 {
		return e
	}
	out := e.WithOwnProperties()
	var data *jqtemplate.Data
	if raw, err := json.Marshal(e); err == nil {
		data, _ = jqtemplate.ParseData(raw)
	}
	for _, c := range s.calculations {
		var v any
		if c.expr != nil && data != nil {
			if r, err := c.expr.Eval(ctx, data, CalculationTimeout); err == nil && ofType(c.typ, r) {
				v = r
			}
		}
		out.Properties[c.id] = v
	}
	return out
}

// DropComputed removes from e's properties the values of mirror,
// calculation and aggregation properties: they are computed on read, so a
// client that writes back an entity it read (with them in it) is not
// refused; what it sent for them is ignored.
func (s *EntitySchema) DropComputed(e *berth.Entity) {
	for id := range e.Properties {
		if _, declared := s.properties[id]; !declared && s.computed[id] != "" {
			delete(e.Properties, id)
		}
	}
}

// ofType reports whether a jq result v is of the JSON type typ (a blueprint
// property type). An unknown type accepts any value.
func ofType(typ string, v any) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		switch v.(type) {
		case int, float64, *big.Int, json.Number:
			return true
		}
		return false
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		switch v.(type) {
		case map[string]any, *jqtemplate.Object:
			return true
		}
		return false
	}
	return !slices.Contains([]string{"string", "number", "boolean", "array", "object"}, typ)
}
