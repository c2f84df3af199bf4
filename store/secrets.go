package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/berthdev/berth"
)

const secretColumns = "name, description, created_at, created_by, updated_at, updated_by, value"

// Secrets returns every organization secret with its sealed value, by name.
func (q *Queries) Secrets(ctx context.Context) ([]*berth.Secret, []string, error) {
	rows, err := q.query(ctx, "SELECT "+secretColumns+" FROM secrets ORDER BY name")
	if err != nil {
		return nil, nil, wrap(err, "secrets")
	}
	defer rows.Close()
	var list []*berth.Secret
	var sealed []string
	for rows.Next() {
		s, v, err := scanSecret(rows)
		if err != nil {
			return nil, nil, err
		}
		list, sealed = append(list, s), append(sealed, v)
	}
	return list, sealed, rows.Err()
}

// Secret returns one secret and its sealed value. Errors: not_found.
func (q *Queries) Secret(ctx context.Context, name string) (*berth.Secret, string, error) {
	s, v, err := scanSecret(q.queryRow(ctx, "SELECT "+secretColumns+" FROM secrets WHERE name = ?", name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", berth.Errorf(berth.CodeNotFound, "secret %q was not found", name)
	}
	return s, v, err
}

// InsertSecret stores a new secret with its sealed value. Errors: conflict.
func (q *Queries) InsertSecret(ctx context.Context, s *berth.Secret, sealed string) error {
	_, err := q.exec(ctx, "INSERT INTO secrets ("+secretColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		s.Name, s.Description, s.CreatedAt, s.CreatedBy, s.UpdatedAt, s.UpdatedBy, sealed)
	if q.d.isUniqueViolation(err) {
		return berth.Errorf(berth.CodeConflict, "a secret named %q already exists", s.Name)
	}
	return wrap(err, "insert secret")
}

// UpdateSecret replaces a secret's description and sealed value.
// Errors: not_found.
func (q *Queries) UpdateSecret(ctx context.Context, s *berth.Secret, sealed string) error {
	res, err := q.exec(ctx, "UPDATE secrets SET description = ?, value = ?, updated_at = ?, updated_by = ? WHERE name = ?",
		s.Description, sealed, s.UpdatedAt, s.UpdatedBy, s.Name)
	return affectedOne(res, err, "secret", s.Name)
}

// DeleteSecret removes a secret. Errors: not_found.
func (q *Queries) DeleteSecret(ctx context.Context, name string) error {
	res, err := q.exec(ctx, "DELETE FROM secrets WHERE name = ?", name)
	return affectedOne(res, err, "secret", name)
}

func scanSecret(s scanner) (*berth.Secret, string, error) {
	var sec berth.Secret
	var sealed string
	err := s.Scan(&sec.Name, &sec.Description, &sec.CreatedAt, &sec.CreatedBy, &sec.UpdatedAt, &sec.UpdatedBy, &sealed)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, "", err
		}
		return nil, "", wrap(err, "scan secret")
	}
	return &sec, sealed, nil
}
