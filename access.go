package berth

import "encoding/json"

// Roles of users (the port_role of a _user entity, spec 11.10).
const (
	RoleAdmin     = "Admin"
	RoleModerator = "Moderator"
	RoleMember    = "Member"
)

// Roles returns every role a user may have and a permission may name.
func Roles() []string { return []string{RoleAdmin, RoleModerator, RoleMember} }

// Permissions say who may execute a self-service action and who may
// approve its runs (spec 3.6). A user matches a rule when the rule lists
// the user's email, the user's role or one of the user's teams.
type Permissions struct {
	Execute ExecuteRule `json:"execute"`
	Approve Rule        `json:"approve"`
}

// Rule lists who a permission is granted to. Policy is kept as written and
// returned, but berth does not evaluate policies: the lists decide.
type Rule struct {
	Users  []string        `json:"users"`
	Roles  []string        `json:"roles"`
	Teams  []string        `json:"teams"`
	Policy json.RawMessage `json:"policy"`
}

// ExecuteRule is the execute permission: a Rule, plus the members of the
// teams that own the entity a DAY-2 or DELETE run is for when OwnedByTeam.
type ExecuteRule struct {
	Rule
	OwnedByTeam bool `json:"ownedByTeam"`
}

// DefaultPermissions are an action's permissions until they are changed:
// every role may execute ("everyone"), Admins approve.
func DefaultPermissions() Permissions {
	return Permissions{
		Execute: ExecuteRule{Rule: Rule{Users: []string{}, Roles: Roles(), Teams: []string{}, Policy: json.RawMessage("null")}},
		Approve: Rule{Users: []string{}, Roles: []string{RoleAdmin}, Teams: []string{}, Policy: json.RawMessage("null")},
	}
}

// Approval states of an approver (spec 7.7).
const (
	ApprovalPending  = "PENDING"
	ApprovalApproved = "APPROVED"
	ApprovalDeclined = "DECLINED"
)

// Approver is one user who may approve a run, and what they decided.
type Approver struct {
	UserID      string `json:"userId"`
	State       string `json:"state"`
	Description string `json:"description"`
	// Required marks the approvers an ALL approval waits for.
	Required  bool   `json:"-"`
	DecidedAt string `json:"-"`
}

// Secret is an organization secret as the API shows it (spec 11.8): its
// metadata. The value is never part of it.
type Secret struct {
	Name        string  `json:"secretName"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
	CreatedBy   string  `json:"-"`
	UpdatedBy   string  `json:"-"`
}
