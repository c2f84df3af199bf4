package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthdev/berth"
)

// problems collects the field errors of one request, in the order found.
type problems []berth.FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, berth.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, else a 422 naming every field. The
// message repeats the first problem so that a client printing only the
// message still learns something useful.
func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	first := p[0]
	where := first.Field
	if where == "" {
		where = "body"
	}
	msg := fmt.Sprintf("invalid %s: %s: %s", what, where, first.Message)
	if n := len(p) - 1; n == 1 {
		msg += " (and 1 more problem)"
	} else if n > 1 {
		msg += fmt.Sprintf(" (and %d more problems)", n)
	}
	return berth.Invalid(msg, p...)
}

// ptr appends reference tokens to a JSON pointer, escaping "~" and "/" as
// RFC 6901 requires.
func ptr(base string, tokens ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

func index(base string, i int) string { return fmt.Sprintf("%s/%d", base, i) }

// decodeObject parses a request body that must be a JSON object. Bad JSON is
// a 400; JSON that is not an object is a 422.
func decodeObject(raw []byte, what string) (map[string]json.RawMessage, error) {
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		return nil, berth.Errorf(berth.CodeInvalid, "the %s is not valid JSON: %v", what, err)
	}
	var all any
	if err := json.Unmarshal(raw, &all); err != nil {
		// Valid JSON fails to decode only on numbers beyond float64.
		msg := "holds a number too large for berth to store (beyond ±1.8e308)"
		return nil, berth.Invalid(fmt.Sprintf("invalid %s: %s", what, msg), berth.FieldError{Field: "", Message: msg})
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, berth.Invalid(fmt.Sprintf("invalid %s: must be a JSON object", what),
			berth.FieldError{Field: "", Message: "must be a JSON object"})
	}
	return m, nil
}

// toAny decodes JSON that is already known to be valid.
func toAny(raw json.RawMessage) any {
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// compact returns raw without insignificant white space.
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
