package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/signing"
	"github.com/berthdev/berth/store"
)

// inputSpec is a self-service action's userInputs (spec 3.3) compiled for
// checking executions. Types, enums, lengths, ranges, patterns, item
// limits and the formats the catalog knows are checked by the catalog's
// property validation, as if the inputs were the properties of an entity;
// the action-only formats (entity, user, team, yaml) and secret inputs are
// handled here.
type inputSpec struct {
	schema *catalog.EntitySchema
	defs   map[string]inputDef
}

type inputDef struct {
	format     string // entity, user, team, yaml or ""
	blueprint  string // entity inputs: whose entities
	items      *inputDef
	encryption string // "aes256-gcm", "client-side" or ""
	def        any    // static default
	hasDefault bool
}

// catalogFormats are the input formats the catalog checks the same way.
var catalogFormats = map[string]bool{"date-time": true, "url": true, "email": true, "idn-email": true,
	"ipv4": true, "ipv6": true, "labeled-url": true}

// catalogKeys are the input schema keys the catalog checks.
var catalogKeys = []string{"type", "minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems"}

// compileInputs compiles the userInputs of a self-service action. Errors:
// unprocessable (a definition the catalog cannot check values against).
func compileInputs(a *berth.Action) (*inputSpec, error) {
	var doc struct {
		Trigger struct {
			UserInputs struct {
				Properties map[string]map[string]any `json:"properties"`
				Required   json.RawMessage           `json:"required"`
			} `json:"userInputs"`
		} `json:"trigger"`
	}
	if err := json.Unmarshal(a.Doc, &doc); err != nil {
		return nil, fmt.Errorf("action %s: %w", a.Identifier, err)
	}
	ui := doc.Trigger.UserInputs
	bp := &berth.Blueprint{Identifier: "inputs", Schema: berth.BlueprintSchema{Properties: map[string]berth.Property{}}}
	// required may also be {"jqQuery": ...}, evaluated by forms only.
	json.Unmarshal(ui.Required, &bp.Schema.Required)
	spec := &inputSpec{defs: map[string]inputDef{}}
	for id, in := range ui.Properties {
		def := inputDefOf(in)
		if enc, ok := in["encryption"]; ok {
			def.encryption = "client-side"
			if enc == "aes256-gcm" {
				def.encryption = "aes256-gcm"
			}
		}
		if d, ok := in["default"]; ok && !isJQQuery(d) {
			def.def, def.hasDefault = d, true
		}
		spec.defs[id] = def
		prop := catalogProperty(in)
		if def.encryption == "client-side" {
			prop = berth.Property{"type": "string"} // the client sends ciphertext
		}
		bp.Schema.Properties[id] = prop
	}
	schema, err := catalog.CompileEntitySchema(bp)
	if err != nil {
		return nil, berth.Errorf(berth.CodeUnprocessable, "the action's userInputs cannot be checked: %s", err.Error())
	}
	spec.schema = schema
	return spec, nil
}

func inputDefOf(in map[string]any) inputDef {
	var def inputDef
	switch f, _ := in["format"].(string); f {
	case "entity", "user", "team", "yaml":
		def.format = f
	}
	def.blueprint, _ = in["blueprint"].(string)
	if items, ok := in["items"].(map[string]any); ok {
		it := inputDefOf(items)
		def.items = &it
	}
	return def
}

// catalogProperty is the part of an input schema the catalog checks.
func catalogProperty(in map[string]any) berth.Property {
	p := berth.Property{}
	for _, k := range catalogKeys {
		if v, ok := in[k]; ok {
			p[k] = v
		}
	}
	if enum, ok := in["enum"].([]any); ok {
		p["enum"] = enum
	}
	if f, ok := in["format"].(string); ok && catalogFormats[f] {
		p["format"] = f
	}
	if items, ok := in["items"].(map[string]any); ok && in["type"] == "array" {
		p["items"] = catalogProperty(items)
	}
	return p
}

func isJQQuery(v any) bool {
	m, ok := v.(map[string]any)
	_, has := m["jqQuery"]
	return ok && has
}

// checkedInputs are an execution's inputs once checked.
type checkedInputs struct {
	raw        map[string]any // as submitted, secret inputs censored: the run's rawProperties
	properties map[string]any // with defaults, secret inputs censored: the run's properties
	data       map[string]any // what templates see: entities resolved, YAML parsed, secrets encrypted
	encrypted  []string       // ids of secret inputs
	masks      []string       // plaintext of secret inputs
}

// checkInputs checks submitted inputs against spec and returns them in
// their three shapes, or a 422 naming every bad input ("/properties/<id>").
// clientSecret encrypts secret inputs (spec 8.5).
func checkInputs(ctx context.Context, q *store.Queries, spec *inputSpec, submitted map[string]any, clientSecret string) (*checkedInputs, []berth.FieldError, error) {
	var fields []berth.FieldError
	values := map[string]any{}
	for id, v := range submitted {
		if _, ok := spec.defs[id]; !ok {
			fields = append(fields, berth.FieldError{Field: "/properties/" + id, Message: "is not an input of this action"})
			continue
		}
		values[id] = v
	}
	for id, def := range spec.defs {
		if _, given := values[id]; !given && def.hasDefault {
			values[id] = def.def
		}
		values[id] = identifierOf(def, values[id])
		if values[id] == nil {
			delete(values, id)
		}
	}
	err := spec.schema.Validate(&berth.Entity{Identifier: "inputs", Blueprint: "inputs", Properties: values, Relations: map[string]any{}})
	var invalid *berth.Error
	switch {
	case errors.As(err, &invalid):
		fields = append(fields, invalid.Fields...)
	case err != nil:
		return nil, nil, err
	}
	in := &checkedInputs{raw: map[string]any{}, properties: map[string]any{}, data: map[string]any{}, encrypted: []string{}}
	for _, id := range sortedIDs(spec.defs) {
		v, ok := values[id]
		if !ok || hasField(fields, "/properties/"+id) {
			continue
		}
		f, err := in.add(ctx, q, id, spec.defs[id], v, clientSecret)
		if err != nil {
			return nil, nil, err
		}
		fields = append(fields, f...)
	}
	for id, v := range submitted {
		in.raw[id] = v
		if spec.defs[id].encryption != "" {
			in.raw[id] = seal.Mask
		}
	}
	slices.SortStableFunc(fields, func(a, b berth.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return in, fields, nil
}

// add takes one valid input into in: resolved, parsed or encrypted.
func (in *checkedInputs) add(ctx context.Context, q *store.Queries, id string, def inputDef, v any, clientSecret string) ([]berth.FieldError, error) {
	at := "/properties/" + id
	in.properties[id] = v
	if def.encryption != "" {
		in.properties[id] = seal.Mask
		in.encrypted = append(in.encrypted, id)
		if def.encryption == "client-side" {
			in.data[id] = v // encrypted by the client already
			return nil, nil
		}
		return in.encrypt(id, v, clientSecret)
	}
	resolved, fields, err := resolveInput(ctx, q, at, def, v)
	in.data[id] = resolved
	return fields, err
}

// encrypt encrypts a Port-managed secret input (spec 8.5).
func (in *checkedInputs) encrypt(id string, v any, clientSecret string) ([]berth.FieldError, error) {
	plain, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		plain = string(b)
	}
	enc, err := signing.EncryptSecretInput(clientSecret, []byte(plain), nil)
	if err != nil {
		return nil, berth.Errorf(berth.CodeUnprocessable, "secret inputs cannot be encrypted: %v (the organization's client secret needs at least 32 characters)", err)
	}
	in.data[id] = enc
	in.masks = append(in.masks, plain)
	return nil, nil
}

// resolveInput checks what the catalog does not and returns what templates
// see: entity inputs become entity objects, YAML becomes its value.
func resolveInput(ctx context.Context, q *store.Queries, at string, def inputDef, v any) (any, []berth.FieldError, error) {
	if list, ok := v.([]any); ok && def.items != nil {
		out := make([]any, len(list))
		var fields []berth.FieldError
		for i, x := range list {
			r, f, err := resolveInput(ctx, q, fmt.Sprintf("%s/%d", at, i), *def.items, x)
			if err != nil {
				return nil, nil, err
			}
			out[i], fields = r, append(fields, f...)
		}
		return out, fields, nil
	}
	s, isString := v.(string)
	if !isString {
		return v, nil, nil
	}
	switch def.format {
	case "entity":
		e, err := q.Entity(ctx, def.blueprint, s)
		if berth.IsNotFound(err) {
			return nil, []berth.FieldError{{Field: at, Message: fmt.Sprintf("entity %q of blueprint %q does not exist", s, def.blueprint)}}, nil
		}
		return e, nil, err
	case "user", "team":
		bp := map[string]string{"user": catalog.UserBlueprint, "team": catalog.TeamBlueprint}[def.format]
		missing, err := q.MissingEntities(ctx, bp, []string{s})
		if len(missing) > 0 {
			return nil, []berth.FieldError{{Field: at, Message: fmt.Sprintf("%s %q does not exist", def.format, s)}}, err
		}
		return s, nil, err
	case "yaml":
		var parsed any
		if err := yaml.Unmarshal([]byte(s), &parsed); err != nil {
			return nil, []berth.FieldError{{Field: at, Message: "is not valid YAML: " + err.Error()}}, nil
		}
		return parsed, nil, nil
	}
	return v, nil, nil
}

// identifierOf turns an entity input given as an entity object
// ({"identifier": ...}) into its identifier, as forms send it.
func identifierOf(def inputDef, v any) any {
	if def.format != "entity" {
		if list, ok := v.([]any); ok && def.items != nil && def.items.format == "entity" {
			out := make([]any, len(list))
			for i, x := range list {
				out[i] = identifierOf(*def.items, x)
			}
			return out
		}
		return v
	}
	if m, ok := v.(map[string]any); ok {
		if id, ok := m["identifier"].(string); ok {
			return id
		}
	}
	return v
}

func hasField(fields []berth.FieldError, prefix string) bool {
	for _, f := range fields {
		if f.Field == prefix || strings.HasPrefix(f.Field, prefix+"/") {
			return true
		}
	}
	return false
}

func sortedIDs(defs map[string]inputDef) []string {
	ids := make([]string, 0, len(defs))
	for id := range defs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
