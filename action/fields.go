package action

import (
	"bytes"
	"encoding/json"
	"fmt"
	neturl "net/url"
	"strings"
	"unicode/utf8"

	"github.com/berthdev/berth"
)

// field is one key of a JSON object, in the order it was written.
type field struct {
	Key   string
	Value json.RawMessage
}

// object is a decoded JSON object that remembers its key order.
type object []field

// parseObject decodes raw as a JSON object keeping key order, or returns
// ok=false when raw is not an object.
func parseObject(raw json.RawMessage) (object, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var obj object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		obj = append(obj, field{Key: tok.(string), Value: v})
	}
	return obj, true
}

func (o object) get(key string) (json.RawMessage, bool) {
	for _, f := range o {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// marshal writes the object back with its key order.
func (o object) marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// problems collects the validation errors of one document.
type problems struct{ fields []berth.FieldError }

func (p *problems) add(path, format string, args ...any) {
	p.fields = append(p.fields, berth.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return berth.Invalid("the action definition is invalid: "+p.fields[0].Field+" "+p.fields[0].Message, p.fields...)
}

// kind is the JSON type of a raw value.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "missing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// spec describes the keys an object may have.
type spec struct {
	required []string
	optional []string
}

// checkKeys reports missing required keys and keys the spec does not allow.
func (p *problems) checkKeys(path string, obj object, s spec) {
	allowed := map[string]bool{}
	for _, k := range append(s.required, s.optional...) {
		allowed[k] = true
	}
	for _, k := range s.required {
		if _, ok := obj.get(k); !ok {
			p.add(path+"/"+k, "is required")
		}
	}
	for _, f := range obj {
		if !allowed[f.Key] {
			p.add(path+"/"+f.Key, "is not a known field here (allowed: %s)", strings.Join(append(s.required, s.optional...), ", "))
		}
	}
}

// str decodes a string field, reporting a wrong type.
func (p *problems) str(path string, raw json.RawMessage) (string, bool) {
	var s string
	if kind(raw) != "string" || json.Unmarshal(raw, &s) != nil {
		p.add(path, "must be a string")
		return "", false
	}
	return s, true
}

// url checks that raw is a string and, unless it is a template (holds
// "{{"), an absolute http or https URL: one that cannot be is refused when
// the action is saved rather than failing every run.
func (p *problems) url(path string, raw json.RawMessage) {
	s, ok := p.str(path, raw)
	if !ok || strings.Contains(s, "{{") {
		return
	}
	if u, err := neturl.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(path, "must be an http or https URL (or a template that renders one), not %q", s)
	}
}

// optStr checks an optional string field of obj (null is allowed).
func (p *problems) optStr(path string, obj object, key string, maxLen int) {
	raw, ok := obj.get(key)
	if !ok || kind(raw) == "null" {
		return
	}
	if s, ok := p.str(path+"/"+key, raw); ok && maxLen > 0 && utf8.RuneCountInString(s) > maxLen {
		p.add(path+"/"+key, "must be at most %d characters", maxLen)
	}
}

// boolOrString checks a field the schema types as boolean or string (so a
// template can set it).
func (p *problems) boolOrString(path string, obj object, key string) {
	if raw, ok := obj.get(key); ok {
		if k := kind(raw); k != "boolean" && k != "string" {
			p.add(path+"/"+key, "must be a boolean or a string")
		}
	}
}

// enumStr checks a required or optional string field against allowed values.
func (p *problems) enumStr(path string, obj object, key string, values ...string) string {
	raw, ok := obj.get(key)
	if !ok {
		return ""
	}
	s, ok := p.str(path+"/"+key, raw)
	if !ok {
		return ""
	}
	for _, v := range values {
		if s == v {
			return s
		}
	}
	p.add(path+"/"+key, "must be one of %s, not %q", strings.Join(values, ", "), s)
	return ""
}

func (p *problems) isObject(path string, raw json.RawMessage) (object, bool) {
	obj, ok := parseObject(raw)
	if !ok {
		p.add(path, "must be an object")
	}
	return obj, ok
}
