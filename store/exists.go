package store

import (
	"context"
	"encoding/json"
)

// Refs names actions (and automations), blueprints and entities, to ask
// which of them exist.
type Refs struct {
	Actions    []string
	Blueprints []string
	Entities   []EntityKey
}

// EntityKey names an entity: its blueprint and its identifier.
type EntityKey struct{ Blueprint, Identifier string }

// Existence says which of the objects a Refs named exist.
type Existence struct {
	Actions    map[string]bool
	Blueprints map[string]bool
	Entities   map[EntityKey]bool
}

// existingQueries select, of the identifiers of actions (first argument),
// of blueprints (second) and the [blueprint, identifier] pairs of entities
// (third), each a JSON array, those that exist: one statement of one text
// however many are asked about, so that it is prepared once and lists of
// any length cost one round trip.
var existingQueries = map[string]string{
	EngineSQLite:   existingQuery("json_each(?)", "json_each(?)"),
	EnginePostgres: existingQuery("jsonb_array_elements_text(CAST(? AS jsonb))", "jsonb_array_elements(CAST(? AS jsonb))"),
}

// existingQuery is the query of existingQueries with the engine's table
// functions: texts yields the strings of a JSON array as "value", arrays
// the elements (JSON arrays themselves) of one.
func existingQuery(texts, arrays string) string {
	return `SELECT 'action', identifier, '' FROM actions WHERE identifier IN (SELECT value FROM ` + texts + `)
UNION ALL
SELECT 'blueprint', identifier, '' FROM blueprints WHERE identifier IN (SELECT value FROM ` + texts + `)
UNION ALL
SELECT 'entity', e.blueprint, e.identifier FROM ` + arrays + ` AS k
	JOIN entities e ON e.blueprint = k.value ->> 0 AND e.identifier = k.value ->> 1`
}

// Existing reports which of the objects refs names exist, with one
// statement whatever their number (no statement when refs names none).
func (q *Queries) Existing(ctx context.Context, refs Refs) (Existence, error) {
	found := Existence{Actions: map[string]bool{}, Blueprints: map[string]bool{}, Entities: map[EntityKey]bool{}}
	if len(refs.Actions)+len(refs.Blueprints)+len(refs.Entities) == 0 {
		return found, nil
	}
	pairs := make([][2]string, len(refs.Entities))
	for i, k := range refs.Entities {
		pairs[i] = [2]string{k.Blueprint, k.Identifier}
	}
	rows, err := q.query(ctx, existingQueries[q.d.name], jsonArray(refs.Actions), jsonArray(refs.Blueprints), jsonArray(pairs))
	if err != nil {
		return found, wrap(err, "existing")
	}
	defer rows.Close()
	for rows.Next() {
		var kind, a, b string
		if err := rows.Scan(&kind, &a, &b); err != nil {
			return found, wrap(err, "existing")
		}
		switch kind {
		case "action":
			found.Actions[a] = true
		case "blueprint":
			found.Blueprints[a] = true
		case "entity":
			found.Entities[EntityKey{Blueprint: a, Identifier: b}] = true
		}
	}
	return found, wrap(rows.Err(), "existing")
}

// jsonArray encodes vs as a JSON array ("[]" when there are none: never
// null, which PostgreSQL cannot take the elements of).
func jsonArray[T any](vs []T) string {
	if len(vs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(vs)
	return string(b)
}
