// Package automation decides which automations an event fires and builds
// what their runs see: the event object conditions are evaluated against
// (spec 2.3) and the trigger data templates are rendered with (spec 4).
package automation

import (
	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
)

// key indexes automations by what they listen to.
type key struct {
	eventType string
	target    string // blueprint identifier, or action identifier for run events
}

// Index holds the published automations by (event type, blueprint or
// action), so an event is only compared with automations that can match it.
type Index struct {
	byKey map[key][]*action.Compiled
}

// NewIndex indexes the published automations among actions.
func NewIndex(actions []*action.Compiled) *Index {
	ix := &Index{byKey: map[key][]*action.Compiled{}}
	for _, a := range actions {
		if a.TriggerType != berth.TriggerAutomation || !a.Published {
			continue
		}
		target := a.Blueprint
		if a.ActionRef != "" {
			target = a.ActionRef
		}
		k := key{a.EventType, target}
		ix.byKey[k] = append(ix.byKey[k], a)
	}
	return ix
}

// Candidates returns the automations listening to ev's kind of event, in
// identifier order, before conditions are evaluated.
func (ix *Index) Candidates(ev *berth.Event) []*action.Compiled {
	var out []*action.Compiled
	target := ev.Blueprint
	if ev.ResourceType == berth.ResourceRun {
		target = ev.ActionIdentifier
	}
	for _, t := range eventTypes(ev) {
		for _, a := range ix.byKey[key{t, target}] {
			if t == berth.EventTimerPropertyExpired && a.Property != ev.Property {
				continue
			}
			out = append(out, a)
		}
	}
	return out
}

// eventTypes returns the automation event types a change-log event is.
func eventTypes(ev *berth.Event) []string {
	switch ev.ResourceType {
	case berth.ResourceEntity:
		switch ev.Action {
		case berth.ActionCreate:
			return []string{berth.EventEntityCreated, berth.EventAnyEntityChange}
		case berth.ActionUpdate:
			return []string{berth.EventEntityUpdated, berth.EventAnyEntityChange}
		case berth.ActionDelete:
			return []string{berth.EventEntityDeleted, berth.EventAnyEntityChange}
		case berth.ActionTimerExpired:
			return []string{berth.EventTimerPropertyExpired}
		}
	case berth.ResourceRun:
		switch ev.Action {
		case berth.ActionCreate:
			return []string{berth.EventRunCreated, berth.EventAnyRunChange}
		case berth.ActionUpdate:
			return []string{berth.EventRunUpdated, berth.EventAnyRunChange}
		}
	}
	return nil
}

// ListensToRuns reports whether any published automation fires on run
// events of the given action, so run changes nobody listens to need not be
// matched.
func (ix *Index) ListensToRuns(action string) bool {
	for _, t := range []string{berth.EventRunCreated, berth.EventRunUpdated, berth.EventAnyRunChange} {
		if len(ix.byKey[key{t, action}]) > 0 {
			return true
		}
	}
	return false
}
