package catalog

import (
	"slices"
	"strings"
	"time"
)

// datePresets are the named ranges of date rules (spec 10.6).
var datePresets = []string{
	"today", "tomorrow", "yesterday", "lastDay", "lastWeek", "last2Weeks",
	"lastMonth", "last3Months", "last6Months", "last12Months",
}

// dateRange is a fixed {from, to} range or a preset resolved at match time.
type dateRange struct {
	from, to time.Time
	preset   string
}

func isDateRange(m map[string]any) bool {
	_, from := m["from"]
	_, to := m["to"]
	_, preset := m["preset"]
	return from || to || preset
}

func parseDateRange(p *problems, at string, v any) *dateRange {
	const want = `must be {"from": date-time, "to": date-time} or {"preset": name}`
	m, ok := v.(map[string]any)
	if !ok {
		p.add(at, want)
		return nil
	}
	if preset, ok := m["preset"]; ok {
		name, _ := preset.(string)
		if !slices.Contains(datePresets, name) {
			p.add(ptr(at, "preset"), "must be one of %s", strings.Join(datePresets, ", "))
		}
		checkKeys(p, at, m, map[string]bool{"preset": true}, "date preset")
		return &dateRange{preset: name}
	}
	checkKeys(p, at, m, map[string]bool{"from": true, "to": true}, "date range")
	r := &dateRange{}
	var okFrom, okTo bool
	if s, isStr := m["from"].(string); isStr {
		r.from, okFrom = parseSearchTime(s)
	}
	if s, isStr := m["to"].(string); isStr {
		r.to, okTo = parseSearchTime(s)
	}
	if !okFrom {
		p.add(ptr(at, "from"), "is required: a date-time like 2024-06-09T00:00:00Z")
	}
	if !okTo {
		p.add(ptr(at, "to"), "is required: a date-time like 2024-06-10T00:00:00Z")
	}
	return r
}

// contains reports whether v is a date-time within the range (inclusive).
func (r *dateRange) contains(v any, now time.Time) bool {
	t, ok := timeOf(v)
	if !ok {
		return false
	}
	from, to := r.from, r.to
	if r.preset != "" {
		from, to = presetRange(r.preset, now)
	}
	return !t.Before(from) && !t.After(to)
}

// presetRange resolves a preset against now. Calendar days are UTC days;
// "last..." presets end at now.
func presetRange(preset string, now time.Time) (from, to time.Time) {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	wholeDay := func(start time.Time) (time.Time, time.Time) {
		return start, start.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	switch preset {
	case "today":
		return wholeDay(day)
	case "tomorrow":
		return wholeDay(day.AddDate(0, 0, 1))
	case "yesterday":
		return wholeDay(day.AddDate(0, 0, -1))
	case "lastDay":
		return now.AddDate(0, 0, -1), now
	case "lastWeek":
		return now.AddDate(0, 0, -7), now
	case "last2Weeks":
		return now.AddDate(0, 0, -14), now
	case "lastMonth":
		return now.AddDate(0, -1, 0), now
	case "last3Months":
		return now.AddDate(0, -3, 0), now
	case "last6Months":
		return now.AddDate(0, -6, 0), now
	}
	return now.AddDate(-1, 0, 0), now // last12Months
}

// parseSearchTime reads an RFC 3339 date-time or a plain date (midnight UTC).
func parseSearchTime(s string) (time.Time, bool) {
	if t, ok := parseDateTime(s); ok {
		return t, true
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}
