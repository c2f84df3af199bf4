package catalog_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
)

// The flow of an entity write: decode the blueprint once, compile it once,
// then decode, default and validate each entity.
func Example() {
	bp, err := catalog.DecodeBlueprint([]byte(`{
		"identifier": "service", "title": "Service",
		"schema": {"properties": {
			"language": {"type": "string", "enum": ["Go", "Python"]},
			"replicas": {"type": "number", "minimum": 0, "default": 1}},
			"required": ["language"]}}`))
	if err != nil {
		panic(err)
	}
	schema, err := catalog.CompileEntitySchema(bp)
	if err != nil {
		panic(err)
	}

	e, err := catalog.DecodeEntity([]byte(`{"identifier": "svc-a", "properties": {"language": "Rust", "colour": "red"}}`), "service")
	if err != nil {
		panic(err)
	}
	catalog.ApplyDefaults(bp, e)
	var invalid *berth.Error
	if errors.As(schema.Validate(e), &invalid) {
		for _, f := range invalid.Fields {
			fmt.Printf("%s: %s\n", f.Field, f.Message)
		}
	}
	fmt.Println("replicas:", e.Properties["replicas"])

	q, err := catalog.ParseQuery([]byte(`{"combinator": "and", "rules": [
		{"property": "$blueprint", "operator": "=", "value": "service"},
		{"property": "replicas", "operator": ">=", "value": 1}]}`))
	if err != nil {
		panic(err)
	}
	fmt.Println("scan:", q.Blueprints(), "match:", q.Match(e, bp, time.Now()))
	// Output:
	// /properties/colour: is not a property of blueprint "service"
	// /properties/language: must be one of "Go", "Python"
	// replicas: 1
	// scan: [service] match: true
}
