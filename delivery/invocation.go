package delivery

import (
	"bytes"
	"encoding/json"
	"strings"
)

// InvocationType returns the "type" of an invocation. It reads only as far
// as that key: invocations are written type first, and the rest (a whole
// rendered body) need not be scanned on every delivery.
func InvocationType(payload json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return ""
		}
		if k, _ := key.(string); strings.EqualFold(k, "type") {
			var typ string
			dec.Decode(&typ)
			return typ
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}
