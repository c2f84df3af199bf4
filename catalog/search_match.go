package catalog

import (
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth"
)

func (r *rule) match(c *matchContext) bool {
	return r.test(c) != r.not
}

// test evaluates the positive form of the rule.
func (r *rule) test(c *matchContext) bool {
	if r.op == "relatedTo" {
		return r.related(c)
	}
	v := lookup(c.e, r.property)
	switch r.op {
	case "=":
		if r.dates != nil {
			return r.dates.contains(v, c.now)
		}
		return jsonEqual(v, r.value)
	case "contains":
		return someString(v, func(s string) bool { return strings.Contains(s, r.text) })
	case "beginsWith":
		return someString(v, func(s string) bool { return strings.HasPrefix(s, r.text) })
	case "endsWith":
		return someString(v, func(s string) bool { return strings.HasSuffix(s, r.text) })
	case "containsAny":
		return containsAny(v, r.list)
	case "in":
		return in(v, r.list)
	case ">", ">=", "<", "<=":
		return r.compare(v)
	case "between":
		return r.dates.contains(v, c.now)
	case "isEmpty":
		return isEmptyValue(v)
	case "isExpired":
		t, ok := timeOf(v)
		return ok && !t.After(c.now)
	}
	return false
}

func (r *rule) pins() ([]string, bool) {
	if r.property != "$blueprint" || r.not {
		return nil, false
	}
	switch r.op {
	case "=":
		if s, ok := r.value.(string); ok {
			return []string{s}, true
		}
	case "in":
		ids := make([]string, 0, len(r.list))
		for _, x := range r.list {
			if s, ok := x.(string); ok {
				ids = append(ids, s)
			}
		}
		return ids, true
	}
	return nil, false
}

// lookup returns the value a rule's property names on e, nil when unset.
func lookup(e *berth.Entity, property string) any {
	switch property {
	case "$identifier":
		return e.Identifier
	case "$title":
		return deref(e.Title)
	case "$icon":
		return deref(e.Icon)
	case "$blueprint":
		return e.Blueprint
	case "$team":
		team := make([]any, len(e.Team))
		for i, t := range e.Team {
			team[i] = t
		}
		return team
	case "$createdAt":
		return nonEmpty(e.CreatedAt)
	case "$updatedAt":
		return nonEmpty(e.UpdatedAt)
	case "$createdBy":
		return nonEmpty(e.CreatedBy)
	case "$updatedBy":
		return nonEmpty(e.UpdatedBy)
	}
	return e.Properties[property]
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// someString applies f to v if it is a string, or to each string item of v
// if it is an array.
func someString(v any, f func(string) bool) bool {
	if s, ok := v.(string); ok {
		return f(s)
	}
	a, _ := toArray(v)
	for _, x := range a {
		if s, ok := x.(string); ok && f(s) {
			return true
		}
	}
	return false
}

func containsAny(v any, list []any) bool {
	if s, ok := v.(string); ok {
		return slices.ContainsFunc(list, func(x any) bool {
			sub, _ := x.(string)
			return strings.Contains(s, sub)
		})
	}
	return in(v, list)
}

// in reports whether v, or an item of v if it is an array, is in list.
func in(v any, list []any) bool {
	member := func(x any) bool {
		return slices.ContainsFunc(list, func(y any) bool { return jsonEqual(x, y) })
	}
	if a, ok := toArray(v); ok {
		return slices.ContainsFunc(a, member)
	}
	return member(v)
}

func (r *rule) compare(v any) bool {
	var c int
	if r.bound.isTime {
		t, ok := timeOf(v)
		if !ok {
			return false
		}
		c = t.Compare(r.bound.t)
	} else {
		f, ok := toNumber(v)
		if !ok {
			return false
		}
		c = cmpFloat(f, r.bound.num)
	}
	switch r.op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	}
	return c <= 0 // "<="
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	}
	a, ok := toArray(v)
	return ok && len(a) == 0
}

// timeOf reads a date-time (or date) string value.
func timeOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	return parseSearchTime(s)
}

// related is the direct case of relatedTo: one of e's relations to the
// rule's blueprint holds one of the rule's identifiers.
func (r *rule) related(c *matchContext) bool {
	if c.bp == nil {
		return false
	}
	for id, rel := range c.bp.Relations {
		if rel.Target != r.blueprint || (r.required != nil && rel.Required != *r.required) {
			continue
		}
		for _, target := range RelationIDs(c.e.Relations[id]) {
			if slices.Contains(r.ids, target) {
				return true
			}
		}
	}
	return false
}
