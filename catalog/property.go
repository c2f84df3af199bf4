package catalog

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// propertyTypes are the types a blueprint property may have (spec 10.1).
var propertyTypes = []string{"string", "number", "boolean", "object", "array"}

// propertyKeys are the keys a property definition may have (spec 10.1).
var propertyKeys = map[string]bool{
	"type": true, "title": true, "description": true, "icon": true,
	"default": true, "enum": true, "enumColors": true, "items": true,
	"minLength": true, "maxLength": true, "pattern": true,
	"minimum": true, "maximum": true, "minItems": true, "maxItems": true,
	"format": true, "spec": true, "specAuthentication": true,
}

var specKinds = []string{"open-api", "embedded-url", "async-api"}

var specAuthKeys = map[string]bool{
	"clientId": true, "authorizationUrl": true, "tokenUrl": true, "authorizationScope": true,
}

// MaxTitle is the longest title of a blueprint or property (spec 12).
const MaxTitle = 100

// compileProperty checks a property definition found at the JSON pointer at
// and compiles it. It reports every problem and returns nil when the
// definition is too broken to check values with.
func compileProperty(p *problems, at string, def any) *valueSchema {
	m, ok := def.(map[string]any)
	if !ok {
		p.add(at, `must be an object defining the property, like {"type": "string"}`)
		return nil
	}
	checkPropertyKeys(p, at, m)
	typ := propertyType(p, at, m["type"])
	if typ == "" {
		return nil
	}
	s := newValueSchema(typ)
	compileFormat(p, at, m, s)
	compileLengths(p, at, m, s)
	compileRange(p, at, m, s)
	compilePattern(p, at, m, s)
	compileItems(p, at, m, s)
	checkSpec(p, at, m)
	compileEnum(p, at, m, s)
	if d, ok := m["default"]; ok {
		s.check(p, at, "default", d)
	}
	return s
}

func checkPropertyKeys(p *problems, at string, m map[string]any) {
	for _, k := range sortedKeys(m) {
		if !propertyKeys[k] {
			p.add(ptr(at, k), "is not a property setting; allowed: %s", strings.Join(sortedKeys(propertyKeys), ", "))
		}
	}
	if t, ok := m["title"]; ok {
		checkTitle(p, ptr(at, "title"), t, false)
	}
	for _, k := range []string{"description", "icon"} {
		if v, ok := m[k]; ok && v != nil {
			if _, ok := v.(string); !ok {
				p.add(ptr(at, k), "must be a string")
			}
		}
	}
}

// checkTitle checks a title of at most MaxTitle characters.
func checkTitle(p *problems, at string, v any, required bool) string {
	s, ok := v.(string)
	switch {
	case v == nil && !required:
		return ""
	case v == nil:
		p.add(at, "is required")
	case !ok:
		p.add(at, "must be a string")
	case required && s == "":
		p.add(at, "must not be empty")
	case utf8.RuneCountInString(s) > MaxTitle:
		p.add(at, "must be at most %d characters long (is %d)", MaxTitle, utf8.RuneCountInString(s))
	}
	return s
}

func propertyType(p *problems, at string, v any) string {
	s, ok := v.(string)
	switch {
	case v == nil:
		p.add(ptr(at, "type"), "is required; one of %s", strings.Join(propertyTypes, ", "))
	case !ok || !slices.Contains(propertyTypes, s):
		p.add(ptr(at, "type"), "must be one of %s, not %s", strings.Join(propertyTypes, ", "), show(v))
	default:
		return s
	}
	return ""
}

func compileFormat(p *problems, at string, m map[string]any, s *valueSchema) {
	v, ok := m["format"]
	if !ok || v == nil {
		return
	}
	f, _ := v.(string)
	want, known := formatType[f]
	switch {
	case !known:
		p.add(ptr(at, "format"), "must be one of %s, not %s", strings.Join(sortedKeys(formatType), ", "), show(v))
	case want != s.typ:
		p.add(ptr(at, "format"), "%q applies to %s properties, and this one is %s", f, want, withArticle(s.typ))
	default:
		s.format = f
	}
}

// applies checks that keyword k is used on a property of type want.
func applies(p *problems, at string, m map[string]any, k, want, typ string) bool {
	v, ok := m[k]
	if !ok || v == nil {
		return false
	}
	if typ != want {
		p.add(ptr(at, k), "applies to %s properties only, and this one is %s", want, withArticle(typ))
		return false
	}
	return true
}

// count reads a non-negative whole number keyword, or -1.
func count(p *problems, at string, m map[string]any, k, want, typ string) int {
	if !applies(p, at, m, k, want, typ) {
		return -1
	}
	f, ok := toNumber(m[k])
	if !ok || !isNonNegInt(f) {
		p.add(ptr(at, k), "must be a whole number of at least 0")
		return -1
	}
	return int(f)
}

func compileLengths(p *problems, at string, m map[string]any, s *valueSchema) {
	s.minLength = count(p, at, m, "minLength", "string", s.typ)
	s.maxLength = count(p, at, m, "maxLength", "string", s.typ)
	if s.maxLength >= 0 && s.minLength > s.maxLength {
		p.add(ptr(at, "minLength"), "must not be greater than maxLength (%d)", s.maxLength)
	}
	s.minItems = count(p, at, m, "minItems", "array", s.typ)
	s.maxItems = count(p, at, m, "maxItems", "array", s.typ)
	if s.maxItems >= 0 && s.minItems > s.maxItems {
		p.add(ptr(at, "minItems"), "must not be greater than maxItems (%d)", s.maxItems)
	}
}

func compileRange(p *problems, at string, m map[string]any, s *valueSchema) {
	bound := func(k string) *float64 {
		if !applies(p, at, m, k, "number", s.typ) {
			return nil
		}
		f, ok := toNumber(m[k])
		if !ok {
			p.add(ptr(at, k), "must be a number")
			return nil
		}
		return &f
	}
	s.minimum, s.maximum = bound("minimum"), bound("maximum")
	if s.minimum != nil && s.maximum != nil && *s.minimum > *s.maximum {
		p.add(ptr(at, "minimum"), "must not be greater than maximum (%v)", *s.maximum)
	}
}

func compilePattern(p *problems, at string, m map[string]any, s *valueSchema) {
	if !applies(p, at, m, "pattern", "string", s.typ) {
		return
	}
	src, ok := m["pattern"].(string)
	if !ok {
		p.add(ptr(at, "pattern"), "must be a string holding a regular expression")
		return
	}
	re, err := regexp.Compile(src)
	if err != nil {
		p.add(ptr(at, "pattern"), "is not a regular expression berth supports (RE2 syntax; no lookaround or backreferences): %v", err)
		return
	}
	s.pattern = re
}

func compileItems(p *problems, at string, m map[string]any, s *valueSchema) {
	if applies(p, at, m, "items", "array", s.typ) {
		s.items = compileProperty(p, ptr(at, "items"), m["items"])
	}
}

func checkSpec(p *problems, at string, m map[string]any) {
	v, ok := m["spec"]
	if ok && v != nil {
		if s, _ := v.(string); !slices.Contains(specKinds, s) {
			p.add(ptr(at, "spec"), "must be one of %s, not %s", strings.Join(specKinds, ", "), show(v))
		}
	}
	a, ok := m["specAuthentication"]
	if !ok || a == nil {
		return
	}
	obj, isObj := a.(map[string]any)
	if !isObj {
		p.add(ptr(at, "specAuthentication"), "must be an object with clientId, authorizationUrl, tokenUrl and authorizationScope")
		return
	}
	for _, k := range sortedKeys(obj) {
		if !specAuthKeys[k] {
			p.add(ptr(at, "specAuthentication", k), "is not a specAuthentication setting; allowed: %s", strings.Join(sortedKeys(specAuthKeys), ", "))
		}
	}
}

// compileEnum checks that every enum member is a valid value of the
// property before the enum itself takes effect.
func compileEnum(p *problems, at string, m map[string]any, s *valueSchema) {
	if c, ok := m["enumColors"]; ok && c != nil {
		checkEnumColors(p, ptr(at, "enumColors"), c)
	}
	v, ok := m["enum"]
	if !ok || v == nil {
		return
	}
	members, isArr := toArray(v)
	if !isArr || len(members) == 0 {
		p.add(ptr(at, "enum"), "must be a non-empty array of allowed values")
		return
	}
	before := len(*p)
	for i, x := range members {
		if x == nil {
			continue
		}
		if msg := s.problem(x); msg != "" {
			p.add(index(ptr(at, "enum"), i), "%s", msg)
		}
	}
	if len(*p) == before {
		s.enum = members
	}
}

func checkEnumColors(p *problems, at string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		p.add(at, `must be an object mapping enum values to colors, like {"Go": "blue"}`)
		return
	}
	for _, k := range sortedKeys(m) {
		if _, ok := m[k].(string); !ok {
			p.add(ptr(at, k), "must be a color name (a string)")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
