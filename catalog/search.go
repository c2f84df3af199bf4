package catalog

import (
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth"
)

// MaxQueryDepth is how deeply queries may nest inside one another.
const MaxQueryDepth = 20

// Query is a parsed search query (spec 10.6):
//
//	{"combinator": "and" | "or", "rules": [rule | query, ...]}
//
// An "and" of no rules matches every entity, an "or" of none matches no
// entity. A Query is immutable and safe for concurrent use.
//
// Rules name a meta property ($identifier, $title, $team, $icon,
// $blueprint, $createdAt, $updatedAt, $createdBy, $updatedBy) or a
// property identifier, looked up in the entity's properties (put mirror
// and calculation values there before matching if they should be
// searchable). Supported operators and their meaning:
//
//   - "=", "!=": equal as JSON values; with a {"from","to"} or {"preset"}
//     value, "=" means "between".
//   - "contains", "beginsWith", "endsWith" and their "doesNot..." forms:
//     case-sensitive on a string; on an array, true when some string item
//     qualifies.
//   - "containsAny": a string containing any of the given strings, or an
//     array with an item equal to any of them.
//   - "in", "notIn": the value (or, for an array such as $team, some item)
//     is in the list.
//   - ">", ">=", "<", "<=": numbers against a number, date-times against a
//     date-time (RFC 3339, or a date such as 2024-06-09 meaning midnight UTC).
//   - "between", "notBetween": a date-time within {"from","to"} (inclusive)
//     or a {"preset"}: today, tomorrow, yesterday (calendar days in UTC),
//     lastDay, lastWeek, last2Weeks, lastMonth, last3Months, last6Months,
//     last12Months (from that long before now until now).
//   - "isEmpty", "isNotEmpty": absent, null, "", [] or {}.
//   - "isExpired", "isNotExpired": a timer whose date-time is not after
//     now; an unset timer is not expired.
//   - "relatedTo" {"blueprint", "value": id or ids, "required"?,
//     "direction"?}: only the direct case — the entity has a relation to a
//     blueprint of that identifier holding one of the ids (Port's
//     "downstream" direction, restricted to one hop). "upstream" and
//     multi-hop relations need other entities and are refused at parse time.
//
// Every negated operator is the exact negation of its positive form, so it
// matches entities that lack the property.
//
// Not supported (a 422 says so): matchAny, propertySchema rules,
// property objects ({"property", "context"} or relation paths) and
// {"jqQuery"} values.
type Query struct {
	or    bool
	nodes []node
}

// node is a rule or a nested query.
type node interface {
	match(c *matchContext) bool
	// pins returns the blueprints the node restricts matches to; ok is
	// false when it does not restrict them.
	pins() (ids []string, ok bool)
}

type matchContext struct {
	e   *berth.Entity
	bp  *berth.Blueprint
	now time.Time
}

// Match reports whether e matches q at time now (used by date presets and
// timers). bp is e's blueprint; only relatedTo rules need it, to know which
// relations point at which blueprint, and they match nothing when bp is nil.
func (q *Query) Match(e *berth.Entity, bp *berth.Blueprint, now time.Time) bool {
	return q.match(&matchContext{e: e, bp: bp, now: now})
}

func (q *Query) match(c *matchContext) bool {
	for _, n := range q.nodes {
		if n.match(c) == q.or {
			return q.or
		}
	}
	return !q.or
}

// Blueprints returns, sorted, the blueprint identifiers outside of which q
// matches nothing, taken from "$blueprint" rules with "=" or "in", so that
// a caller can scan only those blueprints. It returns nil when q does not
// restrict the blueprint (then every blueprint must be scanned).
func (q *Query) Blueprints() []string {
	ids, ok := q.pins()
	if !ok || len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (q *Query) pins() ([]string, bool) {
	if q.or {
		return q.unionPins()
	}
	var acc []string
	pinned := false
	for _, n := range q.nodes {
		ids, ok := n.pins()
		switch {
		case !ok:
		case !pinned:
			acc, pinned = ids, true
		default:
			acc = slices.DeleteFunc(slices.Clone(acc), func(id string) bool { return !slices.Contains(ids, id) })
		}
	}
	return acc, pinned
}

func (q *Query) unionPins() ([]string, bool) {
	if len(q.nodes) == 0 {
		return nil, false
	}
	var all []string
	for _, n := range q.nodes {
		ids, ok := n.pins()
		if !ok {
			return nil, false
		}
		all = append(all, ids...)
	}
	return all, true
}

// ParseQuery parses and checks a search query. It returns berth.CodeInvalid
// when raw is not JSON and berth.CodeUnprocessable naming each bad part by
// its JSON pointer ("/rules/1/operator") otherwise.
func ParseQuery(raw []byte) (*Query, error) {
	if _, err := decodeObject(raw, "query"); err != nil {
		return nil, err
	}
	var p problems
	q := parseQuery(&p, "", toAny(raw).(map[string]any), 1)
	if err := p.err("query"); err != nil {
		return nil, err
	}
	return q, nil
}

var queryFields = map[string]bool{"combinator": true, "rules": true}

func parseQuery(p *problems, at string, m map[string]any, depth int) *Query {
	if depth > MaxQueryDepth {
		p.add(at, "queries may be nested at most %d deep", MaxQueryDepth)
		return nil
	}
	checkKeys(p, at, m, queryFields, "query")
	q := &Query{}
	switch m["combinator"] {
	case "and":
	case "or":
		q.or = true
	default:
		p.add(ptr(at, "combinator"), `must be "and" or "or", not %s`, show(m["combinator"]))
	}
	rules, ok := m["rules"].([]any)
	if !ok {
		p.add(ptr(at, "rules"), "is required: an array of rules and nested queries")
		return q
	}
	for i, r := range rules {
		if n := parseNode(p, index(ptr(at, "rules"), i), r, depth); n != nil {
			q.nodes = append(q.nodes, n)
		}
	}
	return q
}

func parseNode(p *problems, at string, v any, depth int) node {
	m, ok := v.(map[string]any)
	if !ok {
		p.add(at, `must be a rule like {"property": "$identifier", "operator": "=", "value": "x"} or a nested query`)
		return nil
	}
	if _, nested := m["combinator"]; nested {
		if q := parseQuery(p, at, m, depth+1); q != nil {
			return q
		}
		return nil
	}
	if r := parseRule(p, at, m); r != nil {
		return r
	}
	return nil
}

// metaProperties are the $-prefixed properties every entity has.
var metaProperties = []string{
	"$identifier", "$title", "$team", "$icon", "$blueprint",
	"$createdAt", "$updatedAt", "$createdBy", "$updatedBy",
}

func checkRuleProperty(p *problems, at string, v any) string {
	s, ok := v.(string)
	switch {
	case v == nil:
		p.add(at, "is required: a property identifier or one of %s", strings.Join(metaProperties, ", "))
	case !ok:
		p.add(at, "must be a property identifier; property objects (context, relation paths) are not supported")
	case strings.HasPrefix(s, "$") && !slices.Contains(metaProperties, s):
		p.add(at, "%q is not a meta property; they are %s", s, strings.Join(metaProperties, ", "))
	case !strings.HasPrefix(s, "$") && propertyIDProblem(s) != "":
		p.add(at, "%q is not a property identifier: %s", s, propertyIDProblem(s))
	}
	return s
}
