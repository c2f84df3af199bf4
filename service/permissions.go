package service

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// Permissions returns an action's execute and approve permissions (spec
// 3.6), the defaults when none were set. Errors: not_found.
func (s *Actions) Permissions(ctx context.Context, id string) (berth.Permissions, error) {
	r := s.db.Read()
	if _, err := r.Action(ctx, id); err != nil {
		return berth.Permissions{}, err
	}
	return r.ActionPermissions(ctx, id)
}

// PatchPermissions changes a self-service action's permissions: each key
// given in "execute" or "approve" replaces the stored one ("policy": null
// removes the policy). Errors: invalid_request, forbidden, not_found,
// unprocessable.
func (s *Actions) PatchPermissions(ctx context.Context, ch Change, id string, raw []byte) (berth.Permissions, error) {
	var out berth.Permissions
	err := s.db.Write(ctx, func(q *store.Queries) error {
		if err := requireAdmin(ctx, q, ch); err != nil {
			return err
		}
		a, err := q.Action(ctx, id)
		if err != nil {
			return err
		}
		if a.TriggerType != berth.TriggerSelfService {
			return berth.Invalid("only self-service actions have permissions", berth.FieldError{Field: "action", Message: id + " is an automation"})
		}
		if out, err = q.ActionPermissions(ctx, id); err != nil {
			return err
		}
		if err := patchPermissions(&out, raw); err != nil {
			return err
		}
		return q.SetActionPermissions(ctx, id, out)
	})
	return out, err
}

// patchPermissions applies a PATCH body to p, reporting every bad field.
func patchPermissions(p *berth.Permissions, raw []byte) error {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return berth.Invalid("the permissions must be a JSON object", berth.FieldError{Field: "/", Message: `must be {"execute": {...}, "approve": {...}}`})
	}
	var fields []berth.FieldError
	for key, v := range body {
		switch key {
		case "execute":
			fields = append(fields, patchRule(&p.Execute.Rule, &p.Execute.OwnedByTeam, "/execute", v)...)
		case "approve":
			fields = append(fields, patchRule(&p.Approve, nil, "/approve", v)...)
		default:
			fields = append(fields, berth.FieldError{Field: "/" + key, Message: "is not a permission (execute, approve)"})
		}
	}
	if len(fields) > 0 {
		slices.SortFunc(fields, func(a, b berth.FieldError) int { return cmp.Compare(a.Field, b.Field) })
		return berth.Invalid("the permissions are invalid: "+fields[0].Field+" "+fields[0].Message, fields...)
	}
	return nil
}

func patchRule(r *berth.Rule, ownedByTeam *bool, at string, raw json.RawMessage) []berth.FieldError {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return []berth.FieldError{{Field: at, Message: "must be an object"}}
	}
	var fields []berth.FieldError
	list := func(dst *[]string, key string, v json.RawMessage) bool {
		var l []string
		if err := json.Unmarshal(v, &l); err != nil || l == nil || slices.Contains(l, "") {
			fields = append(fields, berth.FieldError{Field: at + "/" + key, Message: "must be an array of non-empty strings"})
			return false
		}
		*dst = l
		return true
	}
	for key, v := range body {
		switch {
		case key == "users":
			list(&r.Users, key, v)
		case key == "roles":
			if list(&r.Roles, key, v) {
				fields = append(fields, unknownRoles(r.Roles, at+"/roles")...)
			}
		case key == "teams":
			list(&r.Teams, key, v)
		case key == "policy":
			if t := bytes.TrimSpace(v); len(t) == 0 || (t[0] != '{' && string(t) != "null") {
				fields = append(fields, berth.FieldError{Field: at + "/policy", Message: "must be an object or null"})
				continue
			}
			r.Policy = v
		case key == "ownedByTeam" && ownedByTeam != nil:
			if err := json.Unmarshal(v, ownedByTeam); err != nil {
				fields = append(fields, berth.FieldError{Field: at + "/ownedByTeam", Message: "must be a boolean"})
			}
		default:
			fields = append(fields, berth.FieldError{Field: at + "/" + key, Message: "is not a permission setting"})
		}
	}
	return fields
}

// unknownRoles reports the roles that are not berth's (spec 11.10).
func unknownRoles(roles []string, at string) []berth.FieldError {
	var fields []berth.FieldError
	for i, role := range roles {
		if !slices.Contains(berth.Roles(), role) {
			fields = append(fields, berth.FieldError{Field: at + "/" + strconv.Itoa(i),
				Message: strconv.Quote(role) + " is not a role (" + strings.Join(berth.Roles(), ", ") + ")"})
		}
	}
	return fields
}

// member is a user as permissions see them.
type member struct {
	email string
	role  string
	teams []string
}

func memberOf(e *berth.Entity) member {
	return member{email: e.Identifier, role: roleOf(e), teams: e.Team}
}

// grants reports whether rule names m: by email, role or team.
func grants(rule berth.Rule, m member) bool {
	if slices.Contains(rule.Users, m.email) || slices.Contains(rule.Roles, m.role) {
		return true
	}
	for _, t := range m.teams {
		if slices.Contains(rule.Teams, t) {
			return true
		}
	}
	return false
}

// mayExecute reports whether user (nil: the organization's credentials,
// which may do anything) may execute an action with permissions p on entity
// (nil for CREATE).
func mayExecute(p berth.Permissions, user, entity *berth.Entity) bool {
	if user == nil {
		return true
	}
	m := memberOf(user)
	if grants(p.Execute.Rule, m) {
		return true
	}
	if p.Execute.OwnedByTeam && entity != nil {
		for _, t := range entity.Team {
			if slices.Contains(m.teams, t) {
				return true
			}
		}
	}
	return false
}

// approverSnapshot resolves who may approve a new run, from the approve
// rule and the users as they are now: the users it lists by email, the
// members of its teams and the holders of its roles. Users who are
// disabled or do not exist are left out, and so is the requester unless
// allowSelf (they may not decide on their own run). With mode ALL the
// users listed by email who are left are required. leftOut names the
// users listed by email who were left out, and why, for the run's log.
func approverSnapshot(rule berth.Rule, users []*berth.Entity, mode, requester string, allowSelf bool) (approvers []berth.Approver, leftOut []string) {
	byEmail := make(map[string]*berth.Entity, len(users))
	for _, e := range users {
		byEmail[e.Identifier] = e
	}
	required := map[string]bool{} // approver → required
	seen := map[string]bool{}
	for _, email := range rule.Users {
		if seen[email] {
			continue
		}
		seen[email] = true
		if why := ineligible(byEmail[email], requester, allowSelf); why != "" {
			leftOut = append(leftOut, email+" ("+why+")")
			continue
		}
		required[email] = mode == "ALL"
	}
	teamsAndRoles := berth.Rule{Roles: rule.Roles, Teams: rule.Teams}
	for _, e := range users {
		if _, listed := required[e.Identifier]; !listed && ineligible(e, requester, allowSelf) == "" && grants(teamsAndRoles, memberOf(e)) {
			required[e.Identifier] = false
		}
	}
	approvers = make([]berth.Approver, 0, len(required))
	for email, req := range required {
		approvers = append(approvers, berth.Approver{UserID: email, State: berth.ApprovalPending, Required: req})
	}
	slices.SortFunc(approvers, func(a, b berth.Approver) int { return cmp.Compare(a.UserID, b.UserID) })
	return approvers, leftOut
}

// ineligible says why user (nil: no such user) may not approve a run of
// requester, or "" when they may.
func ineligible(user *berth.Entity, requester string, allowSelf bool) string {
	switch {
	case user == nil:
		return "no such user"
	case stringProp(user, "status", UserActive) == UserDisabled:
		return "disabled"
	case user.Identifier == requester && !allowSelf:
		return "the requester"
	}
	return ""
}

// allUsers returns every user entity.
func allUsers(ctx context.Context, q *store.Queries) ([]*berth.Entity, error) {
	return q.Entities(ctx, catalog.UserBlueprint)
}
