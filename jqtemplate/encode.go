package jqtemplate

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Marshal encodes a rendered value as compact JSON, byte for byte as
// JavaScript's JSON.stringify would: no HTML escaping ("<", ">" and "&" stay
// literal), raw UTF-8, numbers in JavaScript notation (integers without
// ".0"), no trailing newline. Object members whose value is Undefined are
// omitted, Undefined array elements are written as null, and an Undefined
// top-level value is written as null.
//
// Besides the rendered value types, Marshal accepts map[string]any (keys
// sorted), Go integers and json.Number.
func Marshal(v any) ([]byte, error) {
	e := encoder{}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// MarshalIndent is like Marshal but puts each array element and object member
// on its own line, indented by indent per level, as JSON.stringify(v, null,
// indent) does.
func MarshalIndent(v any, indent string) ([]byte, error) {
	e := encoder{indent: indent}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

type encoder struct {
	buf    []byte
	indent string
}

func (e *encoder) value(v any, depth int) error {
	switch v := v.(type) {
	case nil, Undefined:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = appendBool(e.buf, v)
	case string:
		e.buf = appendString(e.buf, v)
	case *Object:
		if v == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.object(v, depth)
	case []any:
		return e.array(v, depth)
	case map[string]any:
		return e.object(sortedObject(v, nil), depth)
	default:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("jqtemplate: cannot encode %T as JSON", v)
		}
		if f == nil { // NaN
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = appendNumber(e.buf, f.(float64))
	}
	return nil
}

func (e *encoder) object(o *Object, depth int) error {
	e.buf = append(e.buf, '{')
	n := 0
	for _, m := range o.members {
		if m.val == (Undefined{}) {
			continue
		}
		if n > 0 {
			e.buf = append(e.buf, ',')
		}
		n++
		e.newline(depth + 1)
		e.buf = appendString(e.buf, m.key)
		e.buf = append(e.buf, ':')
		if e.indent != "" {
			e.buf = append(e.buf, ' ')
		}
		if err := e.value(m.val, depth+1); err != nil {
			return err
		}
	}
	if n > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) array(a []any, depth int) error {
	e.buf = append(e.buf, '[')
	for i, v := range a {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.newline(depth + 1)
		if err := e.value(v, depth+1); err != nil {
			return err
		}
	}
	if len(a) > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *encoder) newline(depth int) {
	if e.indent == "" {
		return
	}
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.indent...)
	}
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way JSON.stringify quotes it:
// only '"', '\\' and control characters are escaped. Invalid UTF-8 is written
// as U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
				start = i + 1
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendEscape(dst, c)
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// sortedObject converts a gojq object to an *Object. Keys come in the order
// recorded in order (the data's order) when it has them, else sorted.
func sortedObject(m map[string]any, order []string) *Object {
	o := NewObject(len(m))
	if len(order) != len(m) {
		order = make([]string, 0, len(m))
		for k := range m {
			order = append(order, k)
		}
		slices.Sort(order)
	}
	for _, k := range order {
		o.Set(k, m[k])
	}
	return o
}

// jsString converts a template value to a string as JavaScript's String()
// does; the reference puts it in its error messages.
func jsString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	case Undefined:
		return "undefined"
	case *Object:
		return "[object Object]"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if x != nil && x != (Undefined{}) {
				parts[i] = jsString(x)
			}
		}
		return strings.Join(parts, ",")
	}
	b, _ := Marshal(v)
	return string(b)
}

// stringify is JSON.stringify as the reference uses it in messages and
// interpolation: Undefined gives "undefined".
func stringify(v any) string {
	if v == (Undefined{}) {
		return "undefined"
	}
	b, err := Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
