package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/berthdev/berth"
)

// mergedMaps are the blueprint fields PatchBlueprint merges key by key.
var mergedMaps = map[string]bool{
	"relations": true, "mirrorProperties": true,
	"calculationProperties": true, "aggregationProperties": true,
}

// PatchBlueprint applies a PATCH /v1/blueprints/{id} body to existing and
// validates the result like DecodeBlueprint, then like CheckBlueprintUpdate.
// existing is not modified; the result keeps existing's Meta.
//
// Merge rules (the spec only says "partial update"):
//   - a top-level field in the patch replaces the stored one; null removes
//     it (so null on a required field such as title is a 422);
//   - schema.properties, relations, mirrorProperties, calculationProperties
//     and aggregationProperties are merged key by key: each supplied entry
//     replaces the whole stored definition of that identifier, and an entry
//     set to null removes it; entries not mentioned are kept;
//   - schema.required, when supplied, replaces the stored list.
//
// Problems are named by JSON pointers into the merged blueprint, which are
// the patch's own paths for everything the patch supplied.
func PatchBlueprint(existing *berth.Blueprint, patchRaw []byte) (*berth.Blueprint, error) {
	patch, err := decodeObject(patchRaw, "blueprint patch")
	if err != nil {
		return nil, err
	}
	stored, err := json.Marshal(existing)
	if err != nil {
		return nil, fmt.Errorf("catalog: encode blueprint %q: %w", existing.Identifier, err)
	}
	var base map[string]json.RawMessage
	if err := json.Unmarshal(stored, &base); err != nil {
		return nil, fmt.Errorf("catalog: decode blueprint %q: %w", existing.Identifier, err)
	}
	for k, v := range patch {
		if isNull(v) && !mergedMaps[k] {
			delete(base, k)
			continue
		}
		base[k] = mergeField(k, base[k], v)
	}
	merged, err := json.Marshal(base)
	if err != nil {
		return nil, fmt.Errorf("catalog: encode patched blueprint: %w", err)
	}
	bp, err := DecodeBlueprint(merged)
	if err != nil {
		return nil, err
	}
	bp.Meta = existing.Meta
	if err := CheckBlueprintUpdate(existing, bp); err != nil {
		return nil, err
	}
	return bp, nil
}

func mergeField(k string, old, patch json.RawMessage) json.RawMessage {
	switch {
	case mergedMaps[k]:
		return mergeObjects(old, patch, nil)
	case k == "schema":
		return mergeObjects(old, patch, map[string]bool{"properties": true})
	}
	return patch
}

// mergeObjects merges patch into old key by key: null removes a key, keys
// in deep are merged one level further, others replace. When either side
// is not an object the patch wins (and validation will say why).
func mergeObjects(old, patch json.RawMessage, deep map[string]bool) json.RawMessage {
	var o, p map[string]json.RawMessage
	if json.Unmarshal(patch, &p) != nil || p == nil {
		return patch
	}
	if json.Unmarshal(old, &o) != nil || o == nil {
		o = map[string]json.RawMessage{}
	}
	for k, v := range p {
		switch {
		case isNull(v):
			delete(o, k)
		case deep[k]:
			o[k] = mergeObjects(o[k], v, nil)
		default:
			o[k] = v
		}
	}
	out, _ := json.Marshal(o)
	return out
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// CheckBlueprintUpdate returns a 422 when updated may not replace old: the
// identifier cannot change, a property keeps its type for life (spec 10.1),
// and the built-in properties of the system blueprints _user and _team can
// be neither changed nor removed (spec 11.10). Adding, removing and
// editing other properties and relations is allowed; whether stored
// entities still fit the new schema is the caller's concern.
func CheckBlueprintUpdate(old, updated *berth.Blueprint) error {
	var p problems
	if updated.Identifier != old.Identifier {
		p.add("/identifier", "cannot be changed (from %q to %q)", old.Identifier, updated.Identifier)
	}
	for _, id := range sortedKeys(updated.Schema.Properties) {
		before, ok := old.Schema.Properties[id]
		after := updated.Schema.Properties[id]
		if ok && before.Type() != after.Type() {
			p.add(ptr("/schema/properties", id, "type"),
				"cannot be changed from %q to %q: a property's type is fixed once created; add a property with a new identifier instead",
				before.Type(), after.Type())
		}
	}
	checkBuiltins(&p, old.Identifier, updated)
	return p.err("blueprint update")
}

func checkBuiltins(p *problems, id string, updated *berth.Blueprint) {
	builtins := builtinProperties(id)
	for _, prop := range sortedKeys(builtins) {
		got, ok := updated.Schema.Properties[prop]
		if !ok || !jsonEqual(map[string]any(got), map[string]any(builtins[prop])) {
			p.add(ptr("/schema/properties", prop), "is a built-in property of %s and can be neither changed nor removed", id)
		}
	}
}
