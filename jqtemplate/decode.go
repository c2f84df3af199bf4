package jqtemplate

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// decodeOrdered decodes one JSON value as JavaScript's JSON.parse would:
// objects become *Object (key order kept, a repeated key keeps its first
// position and its last value), numbers become float64 (±Inf when out of
// range).
//
// encoding/json validates the input; the decoding itself is a small parser
// for valid JSON, many times faster than json.Decoder.Token.
func decodeOrdered(raw []byte) (any, error) {
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v) // for a message with the offset
		if err == nil {
			err = errors.New("not valid JSON")
		}
		return nil, &jsonError{err}
	}
	p := parser{src: raw}
	return p.value(), nil
}

// jsonError is a JSON syntax error. It wraps the *json.SyntaxError, which
// gives the offset.
type jsonError struct{ err error }

func (e *jsonError) Error() string { return "invalid JSON: " + e.err.Error() }
func (e *jsonError) Unwrap() error { return e.err }

// parser decodes valid JSON.
type parser struct {
	src []byte
	pos int
}

func (p *parser) value() any {
	p.skipSpace()
	switch c := p.src[p.pos]; c {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		return p.string()
	case 't':
		p.pos += len("true")
		return true
	case 'f':
		p.pos += len("false")
		return false
	case 'n':
		p.pos += len("null")
		return nil
	}
	return p.number()
}

func (p *parser) object() *Object {
	o := NewObject(4)
	p.pos++ // {
	for {
		p.skipSpace()
		if p.src[p.pos] == '}' {
			p.pos++
			return o
		}
		if p.src[p.pos] == ',' {
			p.pos++
			p.skipSpace()
		}
		key := p.string()
		p.skipSpace()
		p.pos++ // :
		o.Set(key, p.value())
	}
}

func (p *parser) array() []any {
	a := []any{}
	p.pos++ // [
	for {
		p.skipSpace()
		switch p.src[p.pos] {
		case ']':
			p.pos++
			return a
		case ',':
			p.pos++
		}
		a = append(a, p.value())
	}
}

// string decodes the string at p.pos. Strings with escapes or invalid UTF-8
// go through encoding/json, which handles surrogate pairs and replaces bad
// bytes with U+FFFD.
func (p *parser) string() string {
	start := p.pos + 1
	simple := true
	i := start
	for ; p.src[i] != '"'; i++ {
		switch c := p.src[i]; {
		case c == '\\':
			simple = false
			i++
		case c >= utf8.RuneSelf:
			simple = false
		}
	}
	p.pos = i + 1
	if simple || utf8.Valid(p.src[start:i]) && !hasBackslash(p.src[start:i]) {
		return string(p.src[start:i])
	}
	var s string
	_ = json.Unmarshal(p.src[start-1:i+1], &s) // valid by construction
	return s
}

func hasBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

func (p *parser) number() float64 {
	start := p.pos
	for p.pos < len(p.src) && isNumberByte(p.src[p.pos]) {
		p.pos++
	}
	f, _ := strconv.ParseFloat(string(p.src[start:p.pos]), 64) // ErrRange gives ±Inf, as JSON.parse
	return f
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}
