package catalog

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// valueSchema is a compiled property definition: it checks one property
// value of an entity (or a default, or an enum member) without allocating
// unless the value is wrong. Limits are -1 or nil when unset.
type valueSchema struct {
	typ                  string
	format               string
	enum                 []any
	minLength, maxLength int
	minItems, maxItems   int
	minimum, maximum     *float64
	pattern              *regexp.Regexp
	items                *valueSchema
}

func newValueSchema(typ string) *valueSchema {
	return &valueSchema{typ: typ, minLength: -1, maxLength: -1, minItems: -1, maxItems: -1}
}

// check reports the problems of v, the value found at ptr(base, key). A
// null value is not checked: whether one is allowed is the caller's
// business (required properties). Pointers are only built for problems, so
// checking a valid value allocates nothing.
func (s *valueSchema) check(p *problems, base, key string, v any) {
	if v == nil {
		return
	}
	if msg := s.problem(v); msg != "" {
		p.add(ptr(base, key), "%s", msg)
	}
	a, isArray := toArray(v)
	if s.items == nil || !isArray || s.typ != "array" {
		return
	}
	for i, x := range a {
		switch {
		case x == nil:
			p.add(index(ptr(base, key), i), "must not be null")
		case s.items.items != nil || s.items.problem(x) != "":
			s.items.check(p, ptr(base, key), strconv.Itoa(i), x)
		}
	}
}

// problem returns the first thing wrong with v itself (not its items).
func (s *valueSchema) problem(v any) string {
	if k := kindOf(v); k != s.typ {
		return fmt.Sprintf("must be %s, not %s", withArticle(s.typ), withArticle(k))
	}
	var msg string
	switch s.typ {
	case "string":
		msg = s.stringProblem(v.(string))
	case "number":
		f, _ := toNumber(v)
		msg = s.numberProblem(f)
	case "array":
		a, _ := toArray(v)
		msg = s.arrayProblem(len(a))
	case "object":
		if s.format == "labeled-url" {
			msg = labeledURLProblem(v.(map[string]any))
		}
	}
	if msg == "" && s.enum != nil && !s.inEnum(v) {
		msg = "must be one of " + showList(s.enum)
	}
	return msg
}

func (s *valueSchema) stringProblem(v string) string {
	n := -1
	if s.minLength >= 0 || s.maxLength >= 0 {
		n = utf8.RuneCountInString(v)
	}
	switch {
	case s.minLength >= 0 && n < s.minLength:
		return fmt.Sprintf("must be at least %d characters long (is %d)", s.minLength, n)
	case s.maxLength >= 0 && n > s.maxLength:
		return fmt.Sprintf("must be at most %d characters long (is %d)", s.maxLength, n)
	case s.pattern != nil && !s.pattern.MatchString(v):
		return fmt.Sprintf("must match the pattern %s", s.pattern)
	}
	return formatProblem(s.format, v)
}

func (s *valueSchema) numberProblem(f float64) string {
	switch {
	case s.minimum != nil && f < *s.minimum:
		return fmt.Sprintf("must be at least %v", *s.minimum)
	case s.maximum != nil && f > *s.maximum:
		return fmt.Sprintf("must be at most %v", *s.maximum)
	}
	return ""
}

func (s *valueSchema) arrayProblem(n int) string {
	switch {
	case s.minItems >= 0 && n < s.minItems:
		return fmt.Sprintf("must have at least %d items (has %d)", s.minItems, n)
	case s.maxItems >= 0 && n > s.maxItems:
		return fmt.Sprintf("must have at most %d items (has %d)", s.maxItems, n)
	}
	return ""
}

func (s *valueSchema) inEnum(v any) bool {
	for _, e := range s.enum {
		if jsonEqual(e, v) {
			return true
		}
	}
	return false
}

// withArticle puts "a" or "an" before a JSON kind name ("an array").
func withArticle(kind string) string {
	switch kind {
	case "array", "object", "unknown":
		return "an " + kind
	case "null":
		return kind
	}
	return "a " + kind
}
