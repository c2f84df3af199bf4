package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/berthdev/berth"
)

func readAll(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// decodeStrict decodes buf into v refusing unknown fields; errors are 422s
// naming the field, or 400 for JSON that is not an object of the right shape.
func decodeStrict(buf []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := "/" + strings.ReplaceAll(typeErr.Field, ".", "/")
		return berth.Invalid("the json provided does not match the route's schema",
			berth.FieldError{Field: field, Message: "must be " + jsonTypeName(typeErr.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return berth.Invalid("the json provided does not match the route's schema",
			berth.FieldError{Field: "/" + name, Message: "is not a known field"})
	default:
		return berth.Errorf(berth.CodeInvalid, "the request body is not valid JSON")
	}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	default:
		return "a number"
	}
}
