package automation

import "github.com/berthdev/berth"

// Reasons loop protection gives for not firing an automation.
const (
	SkipOwnRun   = "the event was caused by this automation's own run (automations never fire on their own changes)"
	SkipTooDeep  = "the event is at the automation chain depth limit (BERTH_MAX_CHAIN_DEPTH)"
	SkipTooEarly = "the event happened before the automation was created"
)

// LoopGuard says why loop protection keeps automation id from firing on ev,
// or "" when it does not: automations never fire on changes their own runs
// caused, and chains stop at maxDepth.
func LoopGuard(ev *berth.Event, id string, maxDepth int) string {
	switch {
	case ev.CausedBy == id:
		return SkipOwnRun
	case ev.Depth >= maxDepth:
		return SkipTooDeep
	}
	return ""
}

// Predates reports whether ev happened before automation a was created:
// an automation fires on changes made from its creation on, not on older
// changes still waiting to be matched. Both times are berth.TimeFormat, so
// they compare as strings. A timer event's time is the expiry (as Port's
// change log shows it), which may lie before the automation existed while
// the timer fires after: timer events are recorded when they fire, so they
// never predate an automation that exists when they are matched.
func Predates(ev *berth.Event, a *berth.Action) bool {
	return ev.Action != berth.ActionTimerExpired && ev.Trigger.At < a.CreatedAt
}
