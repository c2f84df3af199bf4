// Package service holds berth's use cases: what happens when a blueprint or
// entity is written, read or searched. It validates with package catalog,
// persists with package store — a change and the event it causes in one
// transaction — and returns *berth.Error values whose codes the API maps to
// HTTP statuses.
package service

import (
	"time"

	"github.com/berthdev/berth"
)

// Change says who makes a write, from where, and on behalf of what: it
// becomes the trigger and provenance of the events the write records.
type Change struct {
	Actor  berth.Actor
	Origin string // berth.OriginAPI, OriginUI or OriginAutomation
	// RunID links the write to a run (?run_id=, or an UPSERT_ENTITY run).
	RunID string
	// Depth and CausedBy carry automation provenance for loop protection:
	// the depth of the run that makes the write and its automation.
	Depth    int
	CausedBy string
}

func (c Change) trigger(now time.Time) berth.Trigger {
	origin := c.Origin
	if origin == "" {
		origin = berth.OriginAPI
	}
	return berth.Trigger{By: c.Actor, Origin: origin, At: berth.FormatTime(now)}
}

func (c Change) by() string {
	if c.Actor.UserID != "" {
		return c.Actor.UserID
	}
	return c.Actor.OrgID
}
