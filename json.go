package berth

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON encodes v as json.Marshal does, except that "<", ">" and "&"
// stay literal rather than becoming \u003c, \u003e and \u0026, as
// JavaScript's JSON.stringify writes them. Documents whose bytes are later
// sent and signed (a run and its rendered payload) are encoded with it, so
// that a receiver that checks a signature over JSON.stringify(JSON.parse(body))
// accepts what berth sends (spec 8.2).
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
