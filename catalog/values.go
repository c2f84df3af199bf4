package catalog

import (
	"encoding/json"
	"math"
	"strings"
)

// Values handled here are what encoding/json produces when decoding into
// any (float64, string, bool, nil, []any, map[string]any). Callers that
// build entities by hand may also use ints, json.Number and []string; the
// helpers accept those too.

// kindOf names the JSON type of v for messages: "string", "number",
// "boolean", "object", "array" or "null".
func kindOf(v any) string {
	if _, ok := toNumber(v); ok {
		return "number"
	}
	if _, ok := toArray(v); ok {
		return "array"
	}
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func toArray(v any) ([]any, bool) {
	switch a := v.(type) {
	case []any:
		return a, true
	case []string:
		out := make([]any, len(a))
		for i, s := range a {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// toStrings returns v as strings when it is an array of strings.
func toStrings(v any) ([]string, bool) {
	if s, ok := v.([]string); ok {
		return s, true
	}
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(a))
	for i, x := range a {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// isNonNegInt reports whether f is a whole number usable as a length.
func isNonNegInt(f float64) bool {
	return f >= 0 && f <= math.MaxInt32 && f == math.Trunc(f)
}

// jsonEqual compares two decoded JSON values as JSON values: numbers by
// value, arrays in order, objects key by key.
func jsonEqual(a, b any) bool {
	if x, ok := toNumber(a); ok {
		y, ok := toNumber(b)
		return ok && x == y
	}
	if x, ok := toArray(a); ok {
		y, ok := toArray(b)
		return ok && arraysEqual(x, y)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && objectsEqual(x, y)
	}
	return false
}

func arraysEqual(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !jsonEqual(x[i], y[i]) {
			return false
		}
	}
	return true
}

func objectsEqual(x, y map[string]any) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !jsonEqual(v, w) {
			return false
		}
	}
	return true
}

// deepCopy copies maps and slices so that a default value put into an
// entity does not alias the blueprint's definition.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, w := range x {
			out[k] = deepCopy(w)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, w := range x {
			out[i] = deepCopy(w)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	}
	return v
}

// show renders a value for an error message, shortened when long.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// showList renders values as a comma-separated list for messages.
func showList(vs []any) string {
	parts := make([]string, 0, len(vs))
	for i, v := range vs {
		if i == 10 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, show(v))
	}
	return strings.Join(parts, ", ")
}
