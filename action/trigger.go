package action

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/jqtemplate"
)

// Operations are the operations of self-service actions (spec 3.2).
var Operations = []string{"CREATE", "DAY-2", "DELETE"}

// eventKeys lists, per automation event type, the keys its event must have
// (spec 2.2); no others are allowed.
var eventKeys = map[string][]string{
	berth.EventEntityCreated:        {"type", "blueprintIdentifier"},
	berth.EventEntityUpdated:        {"type", "blueprintIdentifier"},
	berth.EventEntityDeleted:        {"type", "blueprintIdentifier"},
	berth.EventAnyEntityChange:      {"type", "blueprintIdentifier"},
	berth.EventTimerPropertyExpired: {"type", "blueprintIdentifier", "propertyIdentifier"},
	berth.EventRunCreated:           {"type", "actionIdentifier"},
	berth.EventRunUpdated:           {"type", "actionIdentifier"},
	berth.EventAnyRunChange:         {"type", "actionIdentifier"},
}

// EventTypes are the automation event types, in the spec's order.
var EventTypes = []string{berth.EventEntityCreated, berth.EventEntityUpdated, berth.EventEntityDeleted,
	berth.EventAnyEntityChange, berth.EventTimerPropertyExpired, berth.EventRunCreated, berth.EventRunUpdated,
	berth.EventAnyRunChange}

func decodeTrigger(p *problems, raw json.RawMessage, a *berth.Action, refs Refs) {
	t, ok := p.isObject("/trigger", raw)
	if !ok {
		return
	}
	switch a.TriggerType = p.enumStr("/trigger", t, "type", berth.TriggerAutomation, berth.TriggerSelfService); a.TriggerType {
	case berth.TriggerAutomation:
		p.checkKeys("/trigger", t, spec{required: []string{"type", "event"}, optional: []string{"condition"}})
		if ev, ok := t.get("event"); ok {
			decodeEvent(p, ev, a, refs)
		}
		if c, ok := t.get("condition"); ok {
			checkCondition(p, c)
		}
	case berth.TriggerSelfService:
		decodeSelfService(p, t, a, refs)
	case "":
		if _, ok := t.get("type"); !ok {
			p.add("/trigger/type", `is required: "automation" or "self-service"`)
		}
	}
}

func decodeEvent(p *problems, raw json.RawMessage, a *berth.Action, refs Refs) {
	ev, ok := p.isObject("/trigger/event", raw)
	if !ok {
		return
	}
	a.EventType = p.enumStr("/trigger/event", ev, "type", EventTypes...)
	keys, ok := eventKeys[a.EventType]
	if !ok {
		if _, has := ev.get("type"); !has {
			p.add("/trigger/event/type", "is required")
		}
		return
	}
	p.checkKeys("/trigger/event", ev, spec{required: keys})
	if raw, ok := ev.get("blueprintIdentifier"); ok {
		if a.Blueprint, ok = p.str("/trigger/event/blueprintIdentifier", raw); ok && !refs.Blueprint(a.Blueprint) {
			p.add("/trigger/event/blueprintIdentifier", "names blueprint %q, which does not exist", a.Blueprint)
		}
	}
	if raw, ok := ev.get("actionIdentifier"); ok {
		if a.ActionRef, ok = p.str("/trigger/event/actionIdentifier", raw); ok && a.ActionRef != a.Identifier && !refs.Action(a.ActionRef) {
			p.add("/trigger/event/actionIdentifier", "names action %q, which does not exist", a.ActionRef)
		}
	}
	if raw, ok := ev.get("propertyIdentifier"); ok {
		var isStr bool
		a.Property, isStr = p.str("/trigger/event/propertyIdentifier", raw)
		if isStr && a.Blueprint != "" && refs.Timers != nil && refs.Blueprint(a.Blueprint) {
			if timers := refs.Timers(a.Blueprint); !slices.Contains(timers, a.Property) {
				p.add("/trigger/event/propertyIdentifier", "names %q, which is not a timer property of blueprint %q (its timer properties: %s)",
					a.Property, a.Blueprint, timerList(timers))
			}
		}
	}
}

// checkCondition validates an automation's jq condition and compiles it.
func checkCondition(p *problems, raw json.RawMessage) {
	c, ok := p.isObject("/trigger/condition", raw)
	if !ok {
		return
	}
	p.checkKeys("/trigger/condition", c, spec{required: []string{"type", "expressions"}, optional: []string{"combinator"}})
	p.enumStr("/trigger/condition", c, "type", "JQ")
	p.enumStr("/trigger/condition", c, "combinator", "and", "or")
	exprs, ok := c.get("expressions")
	if !ok {
		return
	}
	var list []json.RawMessage
	if kind(exprs) != "array" || json.Unmarshal(exprs, &list) != nil {
		p.add("/trigger/condition/expressions", "must be an array of jq expressions")
		return
	}
	for i, e := range list {
		path := "/trigger/condition/expressions/" + itoa(i)
		s, ok := p.str(path, e)
		if !ok {
			continue
		}
		if _, err := (jqtemplate.ConditionSpec{Type: "JQ", Expressions: []string{s}}).Compile(); err != nil {
			p.add(path, "does not compile: %v", jqError(err))
		}
	}
}

var buttonText = regexp.MustCompile(`^[^\s](.*[^\s])?$`)

func decodeSelfService(p *problems, t object, a *berth.Action, refs Refs) {
	p.checkKeys("/trigger", t, spec{
		required: []string{"type", "operation", "userInputs"},
		optional: []string{"blueprintIdentifier", "actionCardButtonText", "executeActionButtonText", "condition"},
	})
	a.Operation = p.enumStr("/trigger", t, "operation", Operations...)
	if raw, ok := t.get("blueprintIdentifier"); ok && kind(raw) != "null" {
		if a.Blueprint, ok = p.str("/trigger/blueprintIdentifier", raw); ok && !refs.Blueprint(a.Blueprint) {
			p.add("/trigger/blueprintIdentifier", "names blueprint %q, which does not exist", a.Blueprint)
		}
	}
	for _, key := range []string{"actionCardButtonText", "executeActionButtonText"} {
		if raw, ok := t.get(key); ok {
			if s, ok := p.str("/trigger/"+key, raw); ok && (utf8.RuneCountInString(s) > 15 || !buttonText.MatchString(s)) {
				p.add("/trigger/"+key, "must be 1 to 15 characters without leading or trailing spaces")
			}
		}
	}
	if raw, ok := t.get("userInputs"); ok {
		checkUserInputs(p, raw, refs)
	}
	if raw, ok := t.get("condition"); ok {
		switch {
		case a.Operation == "CREATE":
			p.add("/trigger/condition", "is only allowed on DAY-2 and DELETE actions")
		case a.Blueprint == "":
			p.add("/trigger/condition", "needs trigger.blueprintIdentifier")
		default:
			checkSearchCondition(p, raw)
		}
	}
}

func checkSearchCondition(p *problems, raw json.RawMessage) {
	c, ok := p.isObject("/trigger/condition", raw)
	if !ok {
		return
	}
	p.checkKeys("/trigger/condition", c, spec{required: []string{"type", "rules"}, optional: []string{"combinator"}})
	p.enumStr("/trigger/condition", c, "type", "SEARCH")
	p.enumStr("/trigger/condition", c, "combinator", "and", "or")
	if rules, ok := c.get("rules"); ok && kind(rules) != "array" {
		p.add("/trigger/condition/rules", "must be an array of search rules")
	}
}

// timerList names timers for a message.
func timerList(timers []string) string {
	if len(timers) == 0 {
		return "none"
	}
	return strings.Join(timers, ", ")
}
