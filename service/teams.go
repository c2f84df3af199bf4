package service

import (
	"context"
	"slices"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// TeamView is a team as /v1/teams shows it: a _team entity (identifier =
// name) and the users whose team field names it.
type TeamView struct {
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Users       []string `json:"users"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
}

// TeamInput is the body of POST, PUT and PATCH /v1/teams: users are emails.
type TeamInput struct {
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	Users       *[]string `json:"users"`
}

// Teams returns every team with its members, by name.
func (u *Users) Teams(ctx context.Context) ([]*TeamView, error) {
	r := u.db.Read()
	teams, err := r.Entities(ctx, catalog.TeamBlueprint)
	if err != nil {
		return nil, err
	}
	users, err := r.Entities(ctx, catalog.UserBlueprint)
	if err != nil {
		return nil, err
	}
	out := make([]*TeamView, len(teams))
	for i, t := range teams {
		out[i] = teamView(t, users)
	}
	return out, nil
}

// Team returns one team. Errors: not_found.
func (u *Users) Team(ctx context.Context, name string) (*TeamView, error) {
	r := u.db.Read()
	t, err := teamEntity(ctx, r, name)
	if err != nil {
		return nil, err
	}
	users, err := r.Entities(ctx, catalog.UserBlueprint)
	if err != nil {
		return nil, err
	}
	return teamView(t, users), nil
}

func teamEntity(ctx context.Context, q *store.Queries, name string) (*berth.Entity, error) {
	e, err := q.Entity(ctx, catalog.TeamBlueprint, name)
	if berth.IsNotFound(err) {
		return nil, berth.Errorf(berth.CodeNotFound, "team %q was not found", name)
	}
	return e, err
}

func teamView(t *berth.Entity, users []*berth.Entity) *TeamView {
	v := &TeamView{Name: t.Identifier, Users: []string{}, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if d, ok := t.Properties["description"].(string); ok {
		v.Description = &d
	}
	for _, e := range users {
		if slices.Contains(e.Team, t.Identifier) {
			v.Users = append(v.Users, e.Identifier)
		}
	}
	return v
}

// CreateTeam creates a team and makes the users it lists its members.
// Errors: forbidden, unprocessable, conflict.
func (u *Users) CreateTeam(ctx context.Context, ch Change, in TeamInput) (*TeamView, error) {
	if in.Name == "" {
		return nil, berth.Invalid("a team needs a name", berth.FieldError{Field: "/name", Message: "is required"})
	}
	return u.writeTeam(ctx, ch, in.Name, func(q *store.Queries, old *berth.Entity) (*berth.Entity, error) {
		if old != nil {
			return nil, berth.Errorf(berth.CodeConflict, "team %q already exists", in.Name)
		}
		t := &berth.Entity{Identifier: in.Name, Title: &in.Name, Blueprint: catalog.TeamBlueprint, Team: []string{},
			Properties: map[string]any{}, Relations: map[string]any{}}
		if in.Description != nil {
			t.Properties["description"] = *in.Description
		}
		return t, nil
	}, in.Users)
}

// UpdateTeam changes a team's description and members: replace sets both
// (PUT), otherwise only what in supplies changes (PATCH).
// Errors: forbidden, not_found, unprocessable.
func (u *Users) UpdateTeam(ctx context.Context, ch Change, name string, in TeamInput, replace bool) (*TeamView, error) {
	if in.Name != "" && in.Name != name {
		return nil, berth.Invalid("a team's name cannot be changed", berth.FieldError{Field: "/name", Message: "must be " + name})
	}
	members := in.Users
	if replace && members == nil {
		members = &[]string{}
	}
	return u.writeTeam(ctx, ch, name, func(q *store.Queries, old *berth.Entity) (*berth.Entity, error) {
		if old == nil {
			return nil, berth.Errorf(berth.CodeNotFound, "team %q was not found", name)
		}
		t := cloneEntity(old)
		switch {
		case in.Description != nil:
			t.Properties["description"] = *in.Description
		case replace:
			delete(t.Properties, "description")
		}
		return t, nil
	}, members)
}

// DeleteTeam deletes a team and takes it off its members.
// Errors: forbidden, not_found.
func (u *Users) DeleteTeam(ctx context.Context, ch Change, name string) error {
	return u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		if _, err := teamEntity(ctx, q, name); err != nil {
			return err
		}
		if err := u.setMembers(ctx, q, ch, name, []string{}); err != nil {
			return err
		}
		return u.catalog.deleteEntity(ctx, q, ch, catalog.TeamBlueprint, name, false)
	})
}

// writeTeam stores the team change makes from the current one (nil when
// there is none) and, when members is not nil, makes them its members.
func (u *Users) writeTeam(ctx context.Context, ch Change, name string,
	change func(q *store.Queries, old *berth.Entity) (*berth.Entity, error), members *[]string) (*TeamView, error) {
	var out *TeamView
	err := u.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		old, err := existing(ctx, q, catalog.TeamBlueprint, name)
		if err != nil {
			return err
		}
		t, err := change(q, old)
		if err != nil {
			return err
		}
		if t, err = u.putEntity(ctx, q, ch, old, t); err != nil {
			return err
		}
		if members != nil {
			if err := u.setMembers(ctx, q, ch, name, *members); err != nil {
				return err
			}
		}
		users, err := q.Entities(ctx, catalog.UserBlueprint)
		out = teamView(t, users)
		return err
	})
	return out, err
}

// setMembers makes exactly the users named members of team.
// Errors: unprocessable (a user does not exist).
func (u *Users) setMembers(ctx context.Context, q *store.Queries, ch Change, team string, members []string) error {
	missing, err := q.MissingEntities(ctx, catalog.UserBlueprint, members)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		fields := make([]berth.FieldError, len(missing))
		for i, m := range missing {
			fields[i] = berth.FieldError{Field: "/users", Message: "user " + quote(m) + " does not exist"}
		}
		return berth.Invalid("the team's users must exist: "+fields[0].Message, fields...)
	}
	users, err := q.Entities(ctx, catalog.UserBlueprint)
	if err != nil {
		return err
	}
	for _, e := range users {
		was, is := slices.Contains(e.Team, team), slices.Contains(members, e.Identifier)
		if was == is {
			continue
		}
		next := cloneEntity(e)
		if is {
			next.Team = append(next.Team, team)
		} else {
			next.Team = slices.DeleteFunc(next.Team, func(t string) bool { return t == team })
		}
		if _, err := u.putEntity(ctx, q, ch, e, next); err != nil {
			return err
		}
	}
	return nil
}
