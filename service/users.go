package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// Users is the use cases of users and teams, which are entities of the
// system blueprints _user and _team (spec 11.7, 11.10): /v1/users and
// /v1/teams are views of them, and their writes are entity writes with
// their events. A user's teams are the user entity's team field. Users can
// be given API credentials that act as them. Only admins write.
type Users struct {
	db      *store.DB
	catalog *Catalog
	now     func() time.Time
}

// NewUsers returns the user and team use cases, writing through catalog.
func NewUsers(db *store.DB, catalog *Catalog) *Users {
	return &Users{db: db, catalog: catalog, now: time.Now}
}

// User statuses (the status property of _user).
const (
	UserActive   = "ACTIVE"
	UserDisabled = "DISABLED"
)

// NameRef names a role or a team of a user.
type NameRef struct {
	Name string `json:"name"`
}

// UserView is a user as /v1/users shows it: the user object of trigger
// data (spec 4.1) with the user's role, teams and type.
type UserView struct {
	berth.User
	Roles []NameRef `json:"roles"`
	Teams []NameRef `json:"teams"`
	Type  string    `json:"type"`
}

// UserInput is the body of POST /v1/users/invite ("invitee") and
// PATCH /v1/users/{email}. Nil fields are left as they are (or defaulted).
type UserInput struct {
	Email     string    `json:"email"`
	FirstName *string   `json:"firstName"`
	LastName  *string   `json:"lastName"`
	Roles     *[]string `json:"roles"`
	Teams     *[]string `json:"teams"`
	Status    *string   `json:"status"`
}

// userOf is the user object of a _user entity: the identifier is the email
// (and the user id), the title the name.
func userOf(e *berth.Entity) berth.User {
	var first, last string
	if e.Title != nil {
		first, last, _ = strings.Cut(strings.TrimSpace(*e.Title), " ")
	}
	return berth.User{Email: e.Identifier, FirstName: first, LastName: strings.TrimSpace(last), Providers: []string{},
		Status: stringProp(e, "status", UserActive), ID: e.Identifier, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func viewOf(e *berth.Entity) *UserView {
	v := &UserView{User: userOf(e), Roles: []NameRef{{roleOf(e)}}, Teams: []NameRef{}, Type: stringProp(e, "port_type", "Standard")}
	for _, t := range e.Team {
		v.Teams = append(v.Teams, NameRef{t})
	}
	return v
}

func roleOf(e *berth.Entity) string { return stringProp(e, "port_role", berth.RoleMember) }

func stringProp(e *berth.Entity, name, def string) string {
	if s, ok := e.Properties[name].(string); ok && s != "" {
		return s
	}
	return def
}

// requireAdmin allows the organization's own credentials and users with the
// Admin role. Errors: forbidden.
func requireAdmin(ctx context.Context, q *store.Queries, ch Change) error {
	if ch.Actor.User == nil {
		return nil
	}
	e, err := q.Entity(ctx, catalog.UserBlueprint, ch.Actor.UserID)
	if err != nil && !berth.IsNotFound(err) {
		return err
	}
	if e == nil || roleOf(e) != berth.RoleAdmin {
		return berth.Errorf(berth.CodeForbidden, "only admins (the organization's credentials, or users with the Admin role) may do this")
	}
	return nil
}

// List returns every user, by email.
func (u *Users) List(ctx context.Context) ([]*UserView, error) {
	all, err := u.db.Read().Entities(ctx, catalog.UserBlueprint)
	if err != nil {
		return nil, err
	}
	out := make([]*UserView, len(all))
	for i, e := range all {
		out[i] = viewOf(e)
	}
	return out, nil
}

// Get returns one user. Errors: not_found.
func (u *Users) Get(ctx context.Context, email string) (*UserView, error) {
	e, err := userEntity(ctx, u.db.Read(), email)
	if err != nil {
		return nil, err
	}
	return viewOf(e), nil
}

func userEntity(ctx context.Context, q *store.Queries, email string) (*berth.Entity, error) {
	e, err := q.Entity(ctx, catalog.UserBlueprint, email)
	if berth.IsNotFound(err) {
		return nil, berth.Errorf(berth.CodeNotFound, "user %q was not found", email)
	}
	return e, err
}

// Invite creates a user (berth sends no invitation: the user exists, ACTIVE,
// at once). Errors: forbidden, unprocessable, conflict.
func (u *Users) Invite(ctx context.Context, ch Change, in UserInput) (*UserView, error) {
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		return nil, berth.Invalid("the invitee needs an email address", berth.FieldError{Field: "/invitee/email", Message: "must be an email address, like jane@example.com"})
	}
	var out *berth.Entity
	err := u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		if old, err := existing(ctx, q, catalog.UserBlueprint, in.Email); err != nil || old != nil {
			if err == nil {
				err = berth.Errorf(berth.CodeConflict, "user %q already exists", in.Email)
			}
			return err
		}
		e := &berth.Entity{Identifier: in.Email, Blueprint: catalog.UserBlueprint, Team: []string{},
			Properties: map[string]any{"status": UserActive, "port_role": berth.RoleMember, "port_type": "Standard"}, Relations: map[string]any{}}
		if err := applyUserInput(ctx, q, e, in, "/invitee"); err != nil {
			return err
		}
		var err error
		out, err = u.putEntity(ctx, q, ch, nil, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return viewOf(out), nil
}

// Update changes a user's name, role, teams or status.
// Errors: forbidden, not_found, unprocessable.
func (u *Users) Update(ctx context.Context, ch Change, email string, in UserInput) (*UserView, error) {
	var out *berth.Entity
	err := u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		old, err := userEntity(ctx, q, email)
		if err != nil {
			return err
		}
		if in.Email != "" && in.Email != email {
			return berth.Invalid("a user's email cannot be changed", berth.FieldError{Field: "/email", Message: "must be " + email})
		}
		e := cloneEntity(old)
		if err := applyUserInput(ctx, q, e, in, ""); err != nil {
			return err
		}
		out, err = u.putEntity(ctx, q, ch, old, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return viewOf(out), nil
}

// Delete deletes a user and the user's credentials. Errors: forbidden, not_found.
func (u *Users) Delete(ctx context.Context, ch Change, email string) error {
	return u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		if _, err := userEntity(ctx, q, email); err != nil {
			return err
		}
		return u.catalog.deleteEntity(ctx, q, ch, catalog.UserBlueprint, email, false)
	})
}

func (u *Users) putEntity(ctx context.Context, q *store.Queries, ch Change, old, e *berth.Entity) (*berth.Entity, error) {
	bp, err := q.Blueprint(ctx, e.Blueprint)
	if err != nil {
		return nil, err
	}
	return u.catalog.put(ctx, q, ch, bp, old, e, WriteOptions{})
}

// applyUserInput sets the fields in supplies on a user entity, checking
// that its role is known and its teams exist.
func applyUserInput(ctx context.Context, q *store.Queries, e *berth.Entity, in UserInput, at string) error {
	if in.FirstName != nil || in.LastName != nil {
		u := userOf(e)
		first, last := u.FirstName, u.LastName
		if in.FirstName != nil {
			first = strings.TrimSpace(*in.FirstName)
		}
		if in.LastName != nil {
			last = strings.TrimSpace(*in.LastName)
		}
		title := strings.TrimSpace(first + " " + last)
		e.Title = &title
	}
	var fields []berth.FieldError
	if in.Roles != nil {
		roles := *in.Roles
		valid := []string{berth.RoleAdmin, berth.RoleModerator, berth.RoleMember}
		if len(roles) != 1 || !slices.Contains(valid, roles[0]) {
			fields = append(fields, berth.FieldError{Field: at + "/roles", Message: "must name one role: Admin, Moderator or Member"})
		} else {
			e.Properties["port_role"] = roles[0]
		}
	}
	if in.Status != nil {
		if *in.Status != UserActive && *in.Status != UserDisabled {
			fields = append(fields, berth.FieldError{Field: at + "/status", Message: "must be ACTIVE or DISABLED"})
		}
		e.Properties["status"] = *in.Status
	}
	if in.Teams != nil {
		missing, err := q.MissingEntities(ctx, catalog.TeamBlueprint, *in.Teams)
		if err != nil {
			return err
		}
		for _, t := range missing {
			fields = append(fields, berth.FieldError{Field: at + "/teams", Message: "team " + quote(t) + " does not exist"})
		}
		e.Team = append([]string{}, *in.Teams...)
	}
	if len(fields) > 0 {
		return berth.Invalid("the user is invalid: "+fields[0].Field+" "+fields[0].Message, fields...)
	}
	return nil
}

func cloneEntity(e *berth.Entity) *berth.Entity {
	c := *e
	c.Team = append([]string{}, e.Team...)
	c.Properties = make(map[string]any, len(e.Properties))
	for k, v := range e.Properties {
		c.Properties[k] = v
	}
	c.Relations = make(map[string]any, len(e.Relations))
	for k, v := range e.Relations {
		c.Relations[k] = v
	}
	return &c
}

// Credentials is a new API credential of a user: the secret is shown this
// once and only its hash is kept.
type Credentials struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	UserID       string `json:"userId"`
	CreatedAt    string `json:"createdAt"`
}

// CreateCredentials gives a user a new credential pair for
// POST /v1/auth/access_token; its tokens act as the user.
// Errors: forbidden, not_found.
func (u *Users) CreateCredentials(ctx context.Context, ch Change, email string) (*Credentials, error) {
	c := &Credentials{ClientID: berth.NewID("uc_", 24), ClientSecret: berth.RandomSecret(48), UserID: email,
		CreatedAt: berth.FormatTime(u.now())}
	err := u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		if _, err := userEntity(ctx, q, email); err != nil {
			return err
		}
		return q.InsertUserCredential(ctx, &store.UserCredential{ClientID: c.ClientID, UserID: email,
			SecretHash: hashSecret(c.ClientSecret), CreatedAt: c.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ListCredentials returns a user's credentials, without secrets.
// Errors: forbidden, not_found.
func (u *Users) ListCredentials(ctx context.Context, ch Change, email string) ([]*store.UserCredential, error) {
	r := u.db.Read()
	if err := requireAdmin(ctx, r, ch); err != nil {
		return nil, err
	}
	if _, err := userEntity(ctx, r, email); err != nil {
		return nil, err
	}
	return r.UserCredentials(ctx, email)
}

// DeleteCredentials revokes a user's credential; tokens issued for it stop
// working at once. Errors: forbidden, not_found.
func (u *Users) DeleteCredentials(ctx context.Context, ch Change, email, clientID string) error {
	return u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		return q.DeleteUserCredential(ctx, email, clientID)
	})
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

var errBadCredentials = berth.Errorf(berth.CodeUnauthorized, "the client id or client secret is wrong")

// Authenticate checks a user credential pair and returns the user's id
// (email). Errors: unauthorized.
func (u *Users) Authenticate(ctx context.Context, clientID, clientSecret string) (string, error) {
	c, err := u.db.Read().UserCredential(ctx, clientID)
	if berth.IsNotFound(err) {
		return "", errBadCredentials
	}
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(clientSecret)), []byte(c.SecretHash)) != 1 {
		return "", errBadCredentials
	}
	if _, err := u.Principal(ctx, clientID, c.UserID); err != nil {
		return "", err
	}
	return c.UserID, nil
}

// Principal returns the user a user token acts as, checking that its
// credential still exists and the user is not disabled. Errors: unauthorized.
func (u *Users) Principal(ctx context.Context, clientID, userID string) (*berth.User, error) {
	r := u.db.Read()
	c, err := r.UserCredential(ctx, clientID)
	if berth.IsNotFound(err) || (err == nil && c.UserID != userID) {
		return nil, berth.Errorf(berth.CodeUnauthorized, "the credentials of this token were revoked")
	}
	if err != nil {
		return nil, err
	}
	e, err := userEntity(ctx, r, userID)
	if berth.IsNotFound(err) {
		return nil, berth.Errorf(berth.CodeUnauthorized, "the user of this token no longer exists")
	}
	if err != nil {
		return nil, err
	}
	user := userOf(e)
	if user.Status == UserDisabled {
		return nil, berth.Errorf(berth.CodeUnauthorized, "user %s is disabled", userID)
	}
	return &user, nil
}
