package automation

import (
	"encoding/json"
	"github.com/berthdev/berth/jqtemplate"

	"github.com/berthdev/berth"
)

// EventObject is the JSON of an event as automations see it: what
// conditions are evaluated against and what trigger data holds as "event"
// (spec 4.3, 4.4). runAction is the definition of the action whose run
// changed (run events only; nil when it was deleted).
func EventObject(ev *berth.Event, runAction *berth.Action) (json.RawMessage, error) {
	type entityContext struct {
		Blueprint string  `json:"blueprintIdentifier"`
		Entity    string  `json:"entityIdentifier"`
		Property  *string `json:"propertyIdentifier"`
	}
	type runContext struct {
		Action json.RawMessage `json:"action"`
	}
	var context any
	if ev.ResourceType == berth.ResourceRun {
		def := json.RawMessage("null")
		if runAction != nil {
			def, _ = json.Marshal(runAction)
		}
		context = runContext{Action: def}
	} else {
		ec := entityContext{Blueprint: ev.Blueprint, Entity: ev.Entity}
		if ev.Property != "" {
			ec.Property = &ev.Property
		}
		context = ec
	}
	trigger := ev.Trigger
	trigger.By.User = nil // the event's own trigger names the actor, not the user object
	return json.Marshal(struct {
		ID           string        `json:"id"`
		Action       string        `json:"action"`
		ResourceType string        `json:"resourceType"`
		Trigger      berth.Trigger `json:"trigger"`
		Context      any           `json:"context"`
		Diff         diff          `json:"diff"`
	}{ev.ID, ev.Action, ev.ResourceType, trigger, context, diff{orNull(ev.Before), orNull(ev.After)}})
}

type diff struct {
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// TriggerData is the whole jq context of an automation's run (spec 4.3):
// no inputs, the actor whose change caused the event, the event itself, the
// automation and the new run's id. Secrets are added by the caller.
func TriggerData(ev *berth.Event, eventObject json.RawMessage, automation, runID, at string) (json.RawMessage, error) {
	trigger := berth.Trigger{By: ev.Trigger.By, Origin: berth.OriginAutomation, At: at}
	type ref struct {
		Identifier string `json:"identifier,omitempty"`
		ID         string `json:"id,omitempty"`
	}
	return json.Marshal(struct {
		Inputs  json.RawMessage `json:"inputs"`
		Trigger berth.Trigger   `json:"trigger"`
		Event   json.RawMessage `json:"event"`
		Entity  json.RawMessage `json:"entity"`
		Action  ref             `json:"action"`
		Run     ref             `json:"run"`
	}{json.RawMessage("null"), trigger, eventObject, json.RawMessage("null"), ref{Identifier: automation}, ref{ID: runID}})
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// PreparedTriggerData is TriggerData ready for rendering, sharing the event's
// prepared Data instead of parsing the event again for every run it fires.
// It holds the same members, in the same order, as TriggerData's JSON.
func PreparedTriggerData(ev *berth.Event, event *jqtemplate.Data, automation, runID, at string) (*jqtemplate.Data, error) {
	trigger := berth.Trigger{By: ev.Trigger.By, Origin: berth.OriginAutomation, At: at}
	by, err := jqtemplate.NewData(trigger)
	if err != nil {
		return nil, err
	}
	action := jqtemplate.NewObject(1)
	action.Set("identifier", automation)
	run := jqtemplate.NewObject(1)
	run.Set("id", runID)
	return jqtemplate.Compose([]string{"inputs", "trigger", "event", "entity", "action", "run"},
		[]any{nil, by, event, nil, action, run})
}
