package seal

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
)

// Mask is what a secret value is replaced with.
const Mask = "****"

// Masker replaces secret values with Mask. The zero value masks nothing.
type Masker struct {
	values []string // longest first, so a secret containing another is masked whole
}

// NewMasker returns a Masker for the given secret values; empty values are
// ignored.
func NewMasker(values ...string) Masker {
	var m Masker
	for _, v := range values {
		if v != "" && !slices.Contains(m.values, v) {
			m.values = append(m.values, v)
		}
	}
	slices.SortFunc(m.values, func(a, b string) int { return len(b) - len(a) })
	return m
}

// Values returns the secret values m masks.
func (m Masker) Values() []string { return m.values }

// Empty reports whether m masks nothing.
func (m Masker) Empty() bool { return len(m.values) == 0 }

// String returns s with every secret value replaced by Mask.
func (m Masker) String(s string) string {
	for _, v := range m.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	return s
}

// Strings masks each element of list in place and returns it.
func (m Masker) Strings(list []string) []string {
	for i, s := range list {
		list[i] = m.String(s)
	}
	return list
}

// JSON returns raw with every secret value masked inside its strings (object
// keys included), keeping its key order. Masking works on the decoded
// strings, so a secret is found whatever escapes the JSON text uses. Raw
// that is not JSON is masked as text.
func (m Masker) JSON(raw json.RawMessage) json.RawMessage {
	if m.Empty() || len(raw) == 0 {
		return raw
	}
	out, err := m.reencode(raw)
	if err != nil {
		return json.RawMessage(m.String(string(raw)))
	}
	return out
}

// reencode copies raw token by token, masking strings.
func (m Masker) reencode(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	type frame struct {
		object bool
		n      int // tokens written at this level (keys and values)
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			switch {
			case f.object && f.n%2 == 1:
				out.WriteByte(':')
			case f.n > 0:
				out.WriteByte(',')
			}
			f.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, frame{object: t == '{'})
		case string:
			writeString(&out, m.String(t))
		case json.Number:
			out.WriteString(t.String())
		case bool:
			if t {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
	}
	return out.Bytes(), nil
}

func writeString(out *bytes.Buffer, s string) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	out.Truncate(out.Len() - 1)
}
