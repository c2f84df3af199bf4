package catalog

import (
	"fmt"

	"github.com/berthdev/berth"
)

// Identifiers of the system blueprints (spec 11.10).
const (
	UserBlueprint = "_user"
	TeamBlueprint = "_team"
)

// The built-in definitions. The spec names the properties but not their
// shapes; these are berth's choice, kept small:
//
//   - _user: identifier = email, title = name. status (ACTIVE, INVITED,
//     DISABLED — the values of the user object in trigger data, spec 11.7),
//     port_role (Admin, Moderator, Member), port_type (Standard, Service
//     Account) and moderated_blueprints (the blueprints a Moderator
//     moderates). A user's teams are the entity's own team field, so no
//     built-in relation is needed.
//   - _team: title = team name. description, and size (the member count;
//     stored as given, a view may recompute it from _user entities).
const (
	userBlueprintJSON = `{
  "identifier": "_user",
  "title": "User",
  "icon": "User",
  "description": "A member of the organization. The identifier is the user's email, the title their name, and the team field lists their teams.",
  "schema": {
    "properties": {
      "status": {"type": "string", "title": "Status", "enum": ["ACTIVE", "INVITED", "DISABLED"], "default": "ACTIVE"},
      "port_role": {"type": "string", "title": "Port role", "enum": ["Admin", "Moderator", "Member"], "default": "Member"},
      "port_type": {"type": "string", "title": "Type", "enum": ["Standard", "Service Account"], "default": "Standard"},
      "moderated_blueprints": {"type": "array", "title": "Moderated blueprints", "items": {"type": "string", "format": "blueprints"}}
    },
    "required": []
  }
}`
	teamBlueprintJSON = `{
  "identifier": "_team",
  "title": "Team",
  "icon": "Team",
  "description": "A team of the organization. Entities' team field and team-format properties refer to these entities.",
  "schema": {
    "properties": {
      "description": {"type": "string", "title": "Description"},
      "size": {"type": "number", "title": "Size", "minimum": 0}
    },
    "required": []
  }
}`
)

// SystemBlueprints returns fresh copies of the built-in blueprints _user and
// _team, which exist in every organization and cannot be deleted. Users may
// add properties and relations to them; CheckBlueprintUpdate keeps the
// built-in properties intact.
func SystemBlueprints() []*berth.Blueprint {
	return []*berth.Blueprint{mustDecode(userBlueprintJSON), mustDecode(teamBlueprintJSON)}
}

// IsSystemBlueprint reports whether id names a system blueprint.
func IsSystemBlueprint(id string) bool { return id == UserBlueprint || id == TeamBlueprint }

// builtinProperties returns the fixed properties of a system blueprint, or
// nil for any other blueprint.
func builtinProperties(id string) map[string]berth.Property {
	switch id {
	case UserBlueprint:
		return mustDecode(userBlueprintJSON).Schema.Properties
	case TeamBlueprint:
		return mustDecode(teamBlueprintJSON).Schema.Properties
	}
	return nil
}

func mustDecode(raw string) *berth.Blueprint {
	bp, err := DecodeBlueprint([]byte(raw))
	if err != nil {
		panic(fmt.Sprintf("catalog: built-in blueprint is invalid: %v", err))
	}
	return bp
}
