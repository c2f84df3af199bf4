package automation

import (
	"encoding/json"

	"github.com/berthdev/berth"
)

// SelfService is what the trigger data of a self-service run is made of.
type SelfService struct {
	// Inputs are the checked inputs: entity inputs resolved to entity
	// objects, defaults applied, secret inputs encrypted.
	Inputs map[string]any
	// Trigger says who executed the action (by.user for users), from where
	// and when, and the action's operation.
	Trigger berth.Trigger
	// Entity is the entity of a DAY-2 or DELETE run; nil for CREATE.
	Entity    *berth.Entity
	Action    string // the action's identifier
	Blueprint string // the action's blueprint, or ""
	// Encrypted lists the secret inputs (action.encryptedProperties).
	Encrypted []string
	RunID     string
}

// SelfServiceTriggerData is the whole jq context of a self-service run
// (spec 4.2): inputs, trigger, no event, the entity ({} for CREATE), the
// action and the run's id. Secrets are added by the caller.
func SelfServiceTriggerData(s SelfService) (json.RawMessage, error) {
	entity := any(map[string]any{})
	if s.Entity != nil {
		entity = s.Entity
	}
	inputs := s.Inputs
	if inputs == nil {
		inputs = map[string]any{}
	}
	encrypted := s.Encrypted
	if encrypted == nil {
		encrypted = []string{}
	}
	var blueprint *string
	if s.Blueprint != "" {
		blueprint = &s.Blueprint
	}
	type actionRef struct {
		Identifier          string   `json:"identifier"`
		Blueprint           *string  `json:"blueprint"`
		EncryptedProperties []string `json:"encryptedProperties"`
	}
	type runRef struct {
		ID string `json:"id"`
	}
	return json.Marshal(struct {
		Inputs  map[string]any  `json:"inputs"`
		Trigger berth.Trigger   `json:"trigger"`
		Event   json.RawMessage `json:"event"`
		Entity  any             `json:"entity"`
		Action  actionRef       `json:"action"`
		Run     runRef          `json:"run"`
	}{inputs, s.Trigger, json.RawMessage("null"), entity, actionRef{s.Action, blueprint, encrypted}, runRef{s.RunID}})
}
