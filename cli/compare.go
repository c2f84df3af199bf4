package cli

import "reflect"

// serverFields are the read-only fields the server adds to what it stores.
// (An entity's blueprint is in its path, not in what apply sends.)
var serverFields = map[string]bool{"id": true, "createdAt": true, "createdBy": true, "updatedAt": true, "updatedBy": true,
	"blueprint": true}

// same reports whether the server's current object already is what desired
// describes, so that applying it would change nothing. Keys desired leaves
// out may hold the server's empty defaults (null, "", false, {}, []);
// anything else there is a difference (writing desired would remove it).
func same(desired, current map[string]any) bool {
	for k, cv := range current {
		if _, ok := desired[k]; !ok && !serverFields[k] && !isEmpty(cv) {
			return false
		}
	}
	for k, dv := range desired {
		if !equal(dv, current[k]) {
			return false
		}
	}
	return true
}

func equal(d, c any) bool {
	switch dv := d.(type) {
	case map[string]any:
		cv, ok := c.(map[string]any)
		if !ok {
			return len(dv) == 0 && isEmpty(c)
		}
		for k, x := range cv {
			if _, ok := dv[k]; !ok && !isEmpty(x) {
				return false
			}
		}
		for k, x := range dv {
			if !equal(x, cv[k]) {
				return false
			}
		}
		return true
	case []any:
		cv, ok := c.([]any)
		if !ok {
			return len(dv) == 0 && isEmpty(c)
		}
		if len(dv) != len(cv) {
			return false
		}
		for i := range dv {
			if !equal(dv[i], cv[i]) {
				return false
			}
		}
		return true
	case nil:
		return isEmpty(c)
	}
	return reflect.DeepEqual(d, c)
}

// isEmpty reports whether v is a value the server stores for "not given".
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// withoutDefaults returns the current entity without the properties that
// desired leaves out and that hold their blueprint default: the server
// fills defaults in when it creates an entity (not when it replaces one),
// so either way the entity is as the file describes it.
func withoutDefaults(current, desired, blueprint map[string]any) map[string]any {
	schema, _ := blueprint["schema"].(map[string]any)
	defs, _ := schema["properties"].(map[string]any)
	have, _ := current["properties"].(map[string]any)
	want, _ := desired["properties"].(map[string]any)
	var kept map[string]any
	for id, v := range have {
		def, _ := defs[id].(map[string]any)
		if _, wanted := want[id]; wanted || def == nil || def["default"] == nil || !equal(def["default"], v) {
			continue
		}
		if kept == nil {
			kept = make(map[string]any, len(have))
			for k, x := range have {
				kept[k] = x
			}
		}
		delete(kept, id)
	}
	if kept == nil {
		return current
	}
	out := make(map[string]any, len(current))
	for k, v := range current {
		out[k] = v
	}
	out["properties"] = kept
	return out
}
