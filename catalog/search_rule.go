package catalog

import (
	"slices"
	"strings"
	"time"
)

// rule is one parsed search rule. op is the positive operator; not is set
// for the negated forms ("!=", "notIn", "doesNotContains", ...).
type rule struct {
	property  string
	op        string
	not       bool
	value     any        // "="
	text      string     // contains, beginsWith, endsWith
	list      []any      // in, containsAny
	bound     bound      // >, >=, <, <=
	dates     *dateRange // between, and "=" with a range
	blueprint string     // relatedTo
	ids       []string   // relatedTo
	required  *bool      // relatedTo
}

// bound is the right-hand side of a comparison: a number or a time.
type bound struct {
	num    float64
	t      time.Time
	isTime bool
}

// operators maps each supported operator to its positive form.
var operators = map[string]string{
	"=": "=", "!=": "=",
	"contains": "contains", "doesNotContains": "contains",
	"beginsWith": "beginsWith", "doesNotBeginsWith": "beginsWith",
	"endsWith": "endsWith", "doesNotEndsWith": "endsWith",
	"containsAny": "containsAny",
	"in":          "in", "notIn": "in",
	">": ">", ">=": ">=", "<": "<", "<=": "<=",
	"between": "between", "notBetween": "between",
	"isEmpty": "isEmpty", "isNotEmpty": "isEmpty",
	"isExpired": "isExpired", "isNotExpired": "isExpired",
	"relatedTo": "relatedTo",
}

// knownUnsupported are Port operators berth does not implement.
var knownUnsupported = map[string]bool{"matchAny": true}

var ruleFields = map[string]bool{
	"property": true, "operator": true, "value": true,
	"blueprint": true, "direction": true, "required": true,
}

func parseRule(p *problems, at string, m map[string]any) *rule {
	before := len(*p)
	if _, ok := m["propertySchema"]; ok {
		p.add(ptr(at, "propertySchema"), "propertySchema rules are not supported by berth; name a property instead")
		delete(m, "propertySchema")
	}
	checkKeys(p, at, m, ruleFields, "rule")
	r := &rule{}
	name := ruleOperator(p, ptr(at, "operator"), m["operator"])
	r.op = operators[name]
	r.not = name != r.op
	if r.op == "relatedTo" {
		r.parseRelatedTo(p, at, m)
	} else if r.op != "" || m["property"] != nil {
		r.property = checkRuleProperty(p, ptr(at, "property"), m["property"])
		r.parseValue(p, ptr(at, "value"), m)
	}
	if len(*p) > before {
		return nil
	}
	return r
}

func ruleOperator(p *problems, at string, v any) string {
	s, ok := v.(string)
	switch {
	case v == nil:
		p.add(at, "is required")
	case !ok:
		p.add(at, "must be an operator name (a string)")
	case knownUnsupported[s]:
		p.add(at, "%q is not supported by berth; supported: %s", s, supportedOperators())
	case operators[s] == "":
		p.add(at, "%q is not a search operator; supported: %s", s, supportedOperators())
	default:
		return s
	}
	return ""
}

func supportedOperators() string {
	return strings.Join(sortedKeys(operators), " ")
}

// parseValue reads the rule's value according to its operator.
func (r *rule) parseValue(p *problems, at string, m map[string]any) {
	v, present := m["value"]
	if r.op == "" || r.op == "isEmpty" || r.op == "isExpired" {
		return // these take no value; one sent anyway is ignored
	}
	if obj, ok := v.(map[string]any); ok && obj["jqQuery"] != nil {
		p.add(at, "jqQuery values are not supported in searches")
		return
	}
	switch r.op {
	case "=":
		r.parseEqual(p, at, v, present)
	case "contains", "beginsWith", "endsWith":
		s, ok := v.(string)
		if !ok {
			p.add(at, "must be a string")
		}
		r.text = s
	case "in", "containsAny":
		r.list = parseList(p, at, v, r.op == "containsAny")
	case ">", ">=", "<", "<=":
		r.bound = parseBound(p, at, v)
	case "between":
		r.dates = parseDateRange(p, at, v)
	}
}

func (r *rule) parseEqual(p *problems, at string, v any, present bool) {
	if !present {
		p.add(at, "is required")
		return
	}
	if obj, ok := v.(map[string]any); ok && isDateRange(obj) {
		r.dates = parseDateRange(p, at, v)
		return
	}
	r.value = v
}

func parseList(p *problems, at string, v any, stringsOnly bool) []any {
	a, ok := v.([]any)
	if !ok {
		p.add(at, "must be an array of values")
		return nil
	}
	for i, x := range a {
		if _, isStr := x.(string); stringsOnly && !isStr {
			p.add(index(at, i), "must be a string")
		}
	}
	return a
}

func parseBound(p *problems, at string, v any) bound {
	if f, ok := toNumber(v); ok {
		return bound{num: f}
	}
	if s, ok := v.(string); ok {
		if t, ok := parseSearchTime(s); ok {
			return bound{t: t, isTime: true}
		}
	}
	p.add(at, "must be a number or a date-time like 2024-06-09T09:57:52.931Z")
	return bound{}
}

func (r *rule) parseRelatedTo(p *problems, at string, m map[string]any) {
	if _, ok := m["property"]; ok {
		p.add(ptr(at, "property"), "relatedTo rules take blueprint and value, not property")
	}
	bp, ok := m["blueprint"].(string)
	if !ok || blueprintIDProblem(bp) != "" {
		p.add(ptr(at, "blueprint"), "is required: the identifier of the related entity's blueprint")
	}
	r.blueprint = bp
	r.ids = relatedIDs(p, ptr(at, "value"), m["value"])
	switch m["direction"] {
	case nil, "downstream":
	case "upstream":
		p.add(ptr(at, "direction"), `"upstream" is not supported by berth: only entities whose own relations point at the given entity can be matched`)
	default:
		p.add(ptr(at, "direction"), `must be "upstream" or "downstream"`)
	}
	if req, ok := m["required"]; ok && req != nil {
		b, isBool := req.(bool)
		if !isBool {
			p.add(ptr(at, "required"), "must be true or false")
		}
		r.required = &b
	}
}

func relatedIDs(p *problems, at string, v any) []string {
	if s, ok := v.(string); ok && s != "" {
		return []string{s}
	}
	ids, ok := toStrings(v)
	if !ok || len(ids) == 0 || slices.Contains(ids, "") {
		p.add(at, "must be an entity identifier or a non-empty array of them")
	}
	return ids
}
