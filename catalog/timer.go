package catalog

import (
	"slices"
	"time"

	"github.com/berthdev/berth"
)

// TimerProperties returns the identifiers of bp's timer properties
// ("type": "string", "format": "timer"; spec 9), sorted.
func TimerProperties(bp *berth.Blueprint) []string {
	var ids []string
	for id, def := range bp.Schema.Properties {
		if def.Type() == "string" && def.Format() == "timer" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// TimerExpiries returns when each of e's timer properties expires. Timers
// that are unset, null or not a valid date-time (RFC 3339, offsets allowed)
// are left out, so the result may be empty but is never nil.
func TimerExpiries(bp *berth.Blueprint, e *berth.Entity) map[string]time.Time {
	out := make(map[string]time.Time)
	for _, id := range TimerProperties(bp) {
		s, ok := e.Properties[id].(string)
		if !ok {
			continue
		}
		if t, ok := parseDateTime(s); ok {
			out[id] = t
		}
	}
	return out
}
