package delivery

import (
	"encoding/json"
	"strings"
)

// FlexBool decodes an invocation field that Port's schema types as
// "boolean or string", so that templates can set it: true, false, or a
// string that reads "true" (any case, surrounding spaces ignored). Any other
// string is false. Use *FlexBool where an absent field has a default.
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *FlexBool) UnmarshalJSON(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = FlexBool(v)
	case string:
		*b = FlexBool(strings.EqualFold(strings.TrimSpace(v), "true"))
	default:
		*b = false
	}
	return nil
}
