package service

import (
	"context"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/store"
)

// Secrets is the use cases of organization secrets (spec 8.6, 11.8): values
// sealed at rest with the secrets key, never returned, read by templates as
// .secrets.<name>. Only admins (the organization's credentials, users with
// the Admin role) manage them.
type Secrets struct {
	db  *store.DB
	key *seal.Key
	now func() time.Time
}

// NewSecrets returns the secret use cases over db, sealing with key.
func NewSecrets(db *store.DB, key *seal.Key) *Secrets {
	return &Secrets{db: db, key: key, now: time.Now}
}

// SecretInput is the body of POST and PATCH /v1/organization/secrets.
type SecretInput struct {
	Name        *string `json:"secretName"`
	Value       *string `json:"secretValue"`
	Description *string `json:"description"`
}

var secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

// List returns every secret's metadata. Errors: forbidden.
func (s *Secrets) List(ctx context.Context, ch Change) ([]*berth.Secret, error) {
	r := s.db.Read()
	if err := requireAdmin(ctx, r, ch); err != nil {
		return nil, err
	}
	list, _, err := r.Secrets(ctx)
	return list, err
}

// Get returns one secret's metadata. Errors: forbidden, not_found.
func (s *Secrets) Get(ctx context.Context, ch Change, name string) (*berth.Secret, error) {
	r := s.db.Read()
	if err := requireAdmin(ctx, r, ch); err != nil {
		return nil, err
	}
	sec, _, err := r.Secret(ctx, name)
	return sec, err
}

// Create stores a new secret. Errors: forbidden, unprocessable, conflict.
func (s *Secrets) Create(ctx context.Context, ch Change, in SecretInput) (*berth.Secret, error) {
	var fields []berth.FieldError
	switch {
	case in.Name == nil:
		fields = append(fields, berth.FieldError{Field: "/secretName", Message: "is required"})
	case !secretNamePattern.MatchString(*in.Name):
		fields = append(fields, berth.FieldError{Field: "/secretName", Message: "must be 1 to 100 letters, digits, - and _"})
	}
	if in.Value == nil || *in.Value == "" {
		fields = append(fields, berth.FieldError{Field: "/secretValue", Message: "is required and must not be empty"})
	}
	fields = append(fields, checkSecretDescription(in.Description)...)
	if len(fields) > 0 {
		return nil, berth.Invalid("the secret is invalid: "+fields[0].Field+" "+fields[0].Message, fields...)
	}
	now, by := berth.FormatTime(s.now()), ch.by()
	sec := &berth.Secret{Name: *in.Name, Description: in.Description, CreatedAt: now, CreatedBy: by, UpdatedAt: now, UpdatedBy: by}
	err := s.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		return q.InsertSecret(ctx, sec, s.key.Seal([]byte(*in.Value)))
	})
	return sec, err
}

// Update replaces a secret's value or description (PATCH).
// Errors: forbidden, unprocessable, not_found.
func (s *Secrets) Update(ctx context.Context, ch Change, name string, in SecretInput) (*berth.Secret, error) {
	fields := checkSecretDescription(in.Description)
	if in.Name != nil && *in.Name != name {
		fields = append(fields, berth.FieldError{Field: "/secretName", Message: "cannot be changed; create a new secret instead"})
	}
	if in.Value != nil && *in.Value == "" {
		fields = append(fields, berth.FieldError{Field: "/secretValue", Message: "must not be empty"})
	}
	if len(fields) > 0 {
		return nil, berth.Invalid("the secret is invalid: "+fields[0].Field+" "+fields[0].Message, fields...)
	}
	var out *berth.Secret
	err := s.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		sec, sealed, err := q.Secret(ctx, name)
		if err != nil {
			return err
		}
		if in.Value != nil {
			sealed = s.key.Seal([]byte(*in.Value))
		}
		if in.Description != nil {
			sec.Description = in.Description
		}
		sec.UpdatedAt, sec.UpdatedBy = berth.FormatTime(s.now()), ch.by()
		out = sec
		return q.UpdateSecret(ctx, sec, sealed)
	})
	return out, err
}

// Delete removes a secret. Errors: forbidden, not_found.
func (s *Secrets) Delete(ctx context.Context, ch Change, name string) error {
	return s.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		return q.DeleteSecret(ctx, name)
	})
}

func checkSecretDescription(d *string) []berth.FieldError {
	if d != nil && utf8.RuneCountInString(*d) > 200 {
		return []berth.FieldError{{Field: "/description", Message: "must be at most 200 characters"}}
	}
	return nil
}

// secretValues opens every organization secret: name → value, what
// templates read as .secrets.
func secretValues(ctx context.Context, q *store.Queries, key *seal.Key) (map[string]string, error) {
	list, sealed, err := q.Secrets(ctx)
	if err != nil {
		return nil, err
	}
	values := make(map[string]string, len(list))
	for i, sec := range list {
		v, err := key.Open(sealed[i])
		if err != nil {
			return nil, err
		}
		values[sec.Name] = string(v)
	}
	return values, nil
}
