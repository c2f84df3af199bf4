package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/berthdev/berth"
)

// Blueprint returns the blueprint with the given identifier.
// Errors: not_found.
func (q *Queries) Blueprint(ctx context.Context, id string) (*berth.Blueprint, error) {
	var doc string
	err := q.queryRow(ctx, "SELECT doc FROM blueprints WHERE identifier = ?", id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, berth.Errorf(berth.CodeNotFound, "blueprint %q was not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: blueprint %q: %w", id, err)
	}
	return decodeDoc[berth.Blueprint](doc)
}

// BlueprintVersion returns a blueprint's updatedAt, which changes with every
// write of it. Errors: not_found.
func (q *Queries) BlueprintVersion(ctx context.Context, id string) (string, error) {
	var v string
	err := q.queryRow(ctx, "SELECT updated_at FROM blueprints WHERE identifier = ?", id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", berth.Errorf(berth.CodeNotFound, "blueprint %q was not found", id)
	}
	return v, wrap(err, "blueprint version")
}

// Blueprints returns every blueprint, ordered by identifier.
func (q *Queries) Blueprints(ctx context.Context) ([]*berth.Blueprint, error) {
	rows, err := q.query(ctx, "SELECT doc FROM blueprints ORDER BY identifier")
	if err != nil {
		return nil, fmt.Errorf("store: blueprints: %w", err)
	}
	return scanDocs[berth.Blueprint](rows)
}

// InsertBlueprint stores a new blueprint. Errors: conflict.
func (q *Queries) InsertBlueprint(ctx context.Context, bp *berth.Blueprint) error {
	doc, err := json.Marshal(bp)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO blueprints (identifier, doc, created_at, updated_at) VALUES (?, ?, ?, ?)",
		bp.Identifier, string(doc), bp.CreatedAt, bp.UpdatedAt)
	if q.d.isUniqueViolation(err) {
		return berth.Errorf(berth.CodeConflict, "a blueprint with identifier %q already exists", bp.Identifier)
	}
	return wrap(err, "insert blueprint")
}

// UpdateBlueprint replaces a stored blueprint. Errors: not_found.
func (q *Queries) UpdateBlueprint(ctx context.Context, bp *berth.Blueprint) error {
	doc, err := json.Marshal(bp)
	if err != nil {
		return err
	}
	res, err := q.exec(ctx, "UPDATE blueprints SET doc = ?, updated_at = ? WHERE identifier = ?",
		string(doc), bp.UpdatedAt, bp.Identifier)
	return affectedOne(res, err, "blueprint", bp.Identifier)
}

// DeleteBlueprint removes a blueprint. Errors: not_found.
func (q *Queries) DeleteBlueprint(ctx context.Context, id string) error {
	res, err := q.exec(ctx, "DELETE FROM blueprints WHERE identifier = ?", id)
	return affectedOne(res, err, "blueprint", id)
}

// CountEntities returns how many entities a blueprint has.
func (q *Queries) CountEntities(ctx context.Context, blueprint string) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT count(*) FROM entities WHERE blueprint = ?", blueprint).Scan(&n)
	return n, wrap(err, "count entities")
}

// Entity returns one entity. Errors: not_found.
func (q *Queries) Entity(ctx context.Context, blueprint, id string) (*berth.Entity, error) {
	var doc string
	err := q.queryRow(ctx, "SELECT doc FROM entities WHERE blueprint = ? AND identifier = ?", blueprint, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, berth.Errorf(berth.CodeNotFound, "entity %q of blueprint %q was not found", id, blueprint)
	}
	if err != nil {
		return nil, fmt.Errorf("store: entity %q/%q: %w", blueprint, id, err)
	}
	return decodeDoc[berth.Entity](doc)
}

// Entities returns the entities of the given blueprints (all blueprints when
// none are given), ordered by blueprint and identifier.
func (q *Queries) Entities(ctx context.Context, blueprints ...string) ([]*berth.Entity, error) {
	query := "SELECT doc FROM entities"
	args := make([]any, len(blueprints))
	if len(blueprints) > 0 {
		query += " WHERE blueprint IN (" + strings.TrimSuffix(strings.Repeat("?,", len(blueprints)), ",") + ")"
		for i, b := range blueprints {
			args[i] = b
		}
	}
	rows, err := q.query(ctx, query+" ORDER BY blueprint, identifier", args...)
	if err != nil {
		return nil, fmt.Errorf("store: entities: %w", err)
	}
	return scanDocs[berth.Entity](rows)
}

// MissingEntities returns those of ids that name no entity of blueprint.
func (q *Queries) MissingEntities(ctx context.Context, blueprint string, ids []string) ([]string, error) {
	var missing []string
	for _, id := range ids {
		var n int
		err := q.queryRow(ctx, "SELECT count(*) FROM entities WHERE blueprint = ? AND identifier = ?", blueprint, id).Scan(&n)
		if err != nil {
			return nil, wrap(err, "check entity")
		}
		if n == 0 {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// InsertEntity stores a new entity and returns the document it stored (for
// the event that records the change, so it is encoded once).
// Errors: conflict.
func (q *Queries) InsertEntity(ctx context.Context, e *berth.Entity) (json.RawMessage, error) {
	doc, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	_, err = q.exec(ctx, "INSERT INTO entities (blueprint, identifier, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
		e.Blueprint, e.Identifier, string(doc), e.CreatedAt, e.UpdatedAt)
	if q.d.isUniqueViolation(err) {
		return nil, berth.Errorf(berth.CodeConflict, "an entity with identifier %q already exists in blueprint %q", e.Identifier, e.Blueprint)
	}
	return doc, wrap(err, "insert entity")
}

// UpdateEntity replaces a stored entity and returns the document it stored.
// Errors: not_found.
func (q *Queries) UpdateEntity(ctx context.Context, e *berth.Entity) (json.RawMessage, error) {
	doc, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	res, err := q.exec(ctx, "UPDATE entities SET doc = ?, updated_at = ? WHERE blueprint = ? AND identifier = ?",
		string(doc), e.UpdatedAt, e.Blueprint, e.Identifier)
	return doc, affectedOne(res, err, "entity", e.Identifier)
}

// DeleteEntity removes an entity. Errors: not_found.
func (q *Queries) DeleteEntity(ctx context.Context, blueprint, id string) error {
	res, err := q.exec(ctx, "DELETE FROM entities WHERE blueprint = ? AND identifier = ?", blueprint, id)
	return affectedOne(res, err, "entity", id)
}

func decodeDoc[T any](doc string) (*T, error) {
	v := new(T)
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return nil, fmt.Errorf("store: corrupt document: %w", err)
	}
	return v, nil
}

func scanDocs[T any](rows *sql.Rows) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		v, err := decodeDoc[T](doc)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func affectedOne(res sql.Result, err error, kind, id string) error {
	if err != nil {
		return fmt.Errorf("store: %s %q: %w", kind, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return berth.Errorf(berth.CodeNotFound, "%s %q was not found", kind, id)
	}
	return nil
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", what, err)
}
