package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/berthdev/berth"
)

// Documents keep their author's key order from the file to the server and
// from the server to the screen: the order of a template's keys decides
// which of two keys wins around a spreadValue() (spec 5.2), and the server
// stores an action exactly as it was sent. A Go map would sort the keys, so
// what is sent and printed is an ordered value: orderedObject for objects,
// []any for arrays, json.Number, string, bool or nil for the rest. Maps
// (map[string]any) are only used to look things up and to compare.

// member is one key of a JSON object and its value.
type member struct {
	key   string
	value any
}

// orderedObject is a JSON object with its keys in the order they were
// written.
type orderedObject []member

// without returns o without the given keys.
func (o orderedObject) without(keys ...string) orderedObject {
	out := make(orderedObject, 0, len(o))
	for _, m := range o {
		if !slices.Contains(keys, m.key) {
			out = append(out, m)
		}
	}
	return out
}

// set replaces the value of key, or adds key at the end.
func (o *orderedObject) set(key string, value any) {
	for i, m := range *o {
		if m.key == key {
			(*o)[i].value = value
			return
		}
	}
	*o = append(*o, member{key, value})
}

// MarshalJSON writes the object with its keys in order. Like JavaScript's
// JSON.stringify, it leaves "<", ">" and "&" as they are.
func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalJSON(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshalJSON(m.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalJSON encodes v (ordered objects in order) without escaping "<",
// ">" and "&".
func marshalJSON(v any) (json.RawMessage, error) { return berth.MarshalJSON(v) }

// decodeOrdered decodes one JSON value keeping the key order of its
// objects; numbers stay json.Number, exactly as written.
func decodeOrdered(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readOrdered(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

func readOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := orderedObject{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := readOrdered(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{k.(string), v})
		}
		_, err := dec.Token() // }
		return obj, err
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			v, err := readOrdered(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token() // ]
		return list, err
	}
	return tok, nil
}

// sameOrder reports whether the keys that an object of desired shares with
// the object at the same place in current come in the same order, at every
// depth. Keys only one of them has do not count.
func sameOrder(desired, current any) bool {
	switch d := desired.(type) {
	case orderedObject:
		c, ok := current.(orderedObject)
		if !ok {
			return true
		}
		at := make(map[string]int, len(c))
		for i, m := range c {
			if _, dup := at[m.key]; !dup {
				at[m.key] = i
			}
		}
		last, seen := -1, make(map[string]bool, len(d))
		for _, m := range d {
			i, shared := at[m.key]
			if !shared || seen[m.key] {
				continue
			}
			seen[m.key] = true
			if i < last || !sameOrder(m.value, c[i].value) {
				return false
			}
			last = i
		}
	case []any:
		c, ok := current.([]any)
		if !ok {
			return true
		}
		for i := range min(len(d), len(c)) {
			if !sameOrder(d[i], c[i]) {
				return false
			}
		}
	}
	return true
}
