package cli

import (
	"cmp"
	"slices"
)

// plan is the items of an apply in the order they are applied: blueprints
// (relation and aggregation targets first), then actions and automations
// (an automation after the action whose runs it listens to), then entities
// (by blueprint in that order, relation targets first). cyclic marks items
// on a dependency cycle: blueprints created without their relations first,
// entities written with create_missing_related_entities.
type plan struct {
	items  []*item
	cyclic map[*item]bool
}

func order(all []*item) plan {
	p := plan{cyclic: map[*item]bool{}}
	byKind := func(kinds ...string) []*item {
		var out []*item
		for _, it := range all {
			if slices.Contains(kinds, it.kind) {
				out = append(out, it)
			}
		}
		return out
	}
	blueprints := p.sorted(byKind(kindBlueprint), blueprintDeps)
	rank := map[string]int{}
	for i, bp := range blueprints {
		rank[bp.identifier] = i
	}
	actions := byKind(kindAction, kindAutomation)
	slices.SortStableFunc(actions, func(a, b *item) int { return cmp.Compare(a.kind, b.kind) }) // action < automation
	entities := byKind(kindEntity)
	slices.SortStableFunc(entities, func(a, b *item) int {
		ra, oka := rank[a.blueprint]
		rb, okb := rank[b.blueprint]
		switch {
		case oka && okb:
			return cmp.Compare(ra, rb)
		case oka != okb: // blueprints of this apply first
			if oka {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.blueprint, b.blueprint)
	})
	p.items = append(p.items, blueprints...)
	p.items = append(p.items, p.sorted(actions, actionDeps)...)
	p.items = append(p.items, p.sorted(entities, entityDeps)...)
	return p
}

// sorted orders items so that each comes after those it depends on (deps
// names them by identifier), keeping the given order otherwise, and marks
// the items on cycles.
func (p *plan) sorted(items []*item, deps func(*item) []string) []*item {
	byID := map[string][]*item{}
	for _, it := range items {
		byID[it.identifier] = append(byID[it.identifier], it)
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := map[*item]int{}
	var stack, out []*item
	var visit func(it *item)
	visit = func(it *item) {
		switch state[it] {
		case done:
			return
		case visiting: // a cycle: everything on the stack from it up
			for i := len(stack) - 1; i >= 0; i-- {
				p.cyclic[stack[i]] = true
				if stack[i] == it {
					break
				}
			}
			return
		}
		state[it] = visiting
		stack = append(stack, it)
		for _, id := range deps(it) {
			for _, dep := range byID[id] {
				if dep != it {
					visit(dep)
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[it] = done
		out = append(out, it)
	}
	for _, it := range items {
		visit(it)
	}
	return out
}

// blueprintDeps are the blueprints bp's relations and aggregations target.
func blueprintDeps(bp *item) []string {
	var ids []string
	for _, section := range []string{"relations", "aggregationProperties"} {
		m, _ := bp.doc[section].(map[string]any)
		for _, k := range sortedKeys(m) {
			if def, ok := m[k].(map[string]any); ok {
				if t, ok := def["target"].(string); ok {
					ids = append(ids, t)
				}
			}
		}
	}
	return ids
}

// actionDeps is the action whose runs an automation listens to.
func actionDeps(a *item) []string {
	t, _ := a.doc["trigger"].(map[string]any)
	ev, _ := t["event"].(map[string]any)
	if id, ok := ev["actionIdentifier"].(string); ok {
		return []string{id}
	}
	return nil
}

// entityDeps are the entities e relates to.
func entityDeps(e *item) []string {
	rels, _ := e.doc["relations"].(map[string]any)
	var ids []string
	for _, k := range sortedKeys(rels) {
		switch v := rels[k].(type) {
		case string:
			ids = append(ids, v)
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					ids = append(ids, s)
				}
			}
		}
	}
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
