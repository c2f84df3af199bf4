package service

import (
	"bytes"
	"encoding/json"
	"errors"
)

// setTopLevel returns the JSON object raw with key set to value: replaced
// where it stands, or appended. The other members keep their text and
// order (documents keep their author's key order; templates see it).
func setTopLevel(raw json.RawMessage, key string, value json.RawMessage) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out bytes.Buffer
	out.WriteByte('{')
	found := false
	writeMember := func(k string, v json.RawMessage) {
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(v)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if k == key {
			v, found = value, true
		}
		writeMember(k, v)
	}
	if !found {
		writeMember(key, value)
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}
