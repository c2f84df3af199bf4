package service

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// hasComputed reports whether entities of bp have computed properties:
// mirror or calculation properties (aggregations are not computed).
func (c *Catalog) hasComputed(bp *berth.Blueprint) bool {
	if len(bp.MirrorProperties) > 0 {
		return true
	}
	s, err := c.entitySchema(bp)
	return err == nil && s.HasCalculations()
}

// computed returns e with the computed properties of its blueprint bp in
// its properties, as Port shows them on read (spec 10.1): its mirror
// properties, then its calculation properties (which may use them). It
// returns e itself when bp has none, otherwise a copy: what is stored never
// holds computed values. Related entities are read through q.
func (c *Catalog) computed(ctx context.Context, q *store.Queries, bp *berth.Blueprint, e *berth.Entity) *berth.Entity {
	return c.computedAt(ctx, q, bp, e, 0)
}

// maxMirrorDepth bounds how many mirror properties deep a mirror may read
// computed values of related entities (a mirror of a mirror ...), so that
// mirrors that point at each other end.
const maxMirrorDepth = 3

// ComputeBudget bounds the time one read (a list, a search) spends
// computing properties: past it, the calculations left read null.
const ComputeBudget = 2 * time.Second

// computedAt is computed for an entity reached through depth mirrors.
func (c *Catalog) computedAt(ctx context.Context, q *store.Queries, bp *berth.Blueprint, e *berth.Entity, depth int) *berth.Entity {
	if e == nil || !c.hasComputed(bp) {
		return e
	}
	if len(bp.MirrorProperties) > 0 {
		m := &mirrors{c: c, q: q, ctx: ctx, depth: depth, seen: map[[2]string]*berth.Entity{}}
		e = m.apply(bp, e)
	}
	s, err := c.entitySchema(bp)
	if err != nil {
		return e
	}
	return s.Calculate(ctx, e)
}

// mirrors resolves mirror properties, remembering the related entities it
// read.
type mirrors struct {
	c     *Catalog
	q     *store.Queries
	ctx   context.Context
	depth int                         // of the entity whose mirrors are resolved
	seen  map[[2]string]*berth.Entity // (blueprint, identifier) → entity, nil if missing
}

// apply returns a copy of e with bp's mirror properties set. A mirror
// property's path is "<relation>[.<relation>...].<field>": the relations
// are followed from e, and the field (a property, a relation or a $meta
// field such as $title) is read from the entity reached. Through a many
// relation the value is the array of the values reached; a relation that
// is not set, or that leads nowhere, gives null.
func (m *mirrors) apply(bp *berth.Blueprint, e *berth.Entity) *berth.Entity {
	out := e.WithOwnProperties()
	for id, raw := range bp.MirrorProperties {
		var def struct {
			Path string `json:"path"`
		}
		json.Unmarshal(raw, &def)
		hops := strings.Split(def.Path, ".")
		if len(hops) < 2 {
			out.Properties[id] = nil
			continue
		}
		v, _ := m.follow(bp, e, hops)
		out.Properties[id] = v
	}
	return out
}

// follow reads hops from e (of blueprint bp): the value, and whether it is
// a list (a many relation was crossed).
func (m *mirrors) follow(bp *berth.Blueprint, e *berth.Entity, hops []string) (any, bool) {
	if len(hops) == 1 {
		_, mirrored := bp.MirrorProperties[hops[0]]
		_, calculated := bp.CalculationProperties[hops[0]]
		if (mirrored || calculated) && m.depth < maxMirrorDepth {
			// A computed property of the entity reached: compute it there.
			e = m.c.computedAt(m.ctx, m.q, bp, e, m.depth+1)
		}
		return field(e, hops[0]), false
	}
	rel, ok := bp.Relations[hops[0]]
	if !ok {
		return nil, false
	}
	target, err := m.c.blueprint(m.ctx, m.q, rel.Target)
	if err != nil {
		return nil, false
	}
	ids := catalog.RelationIDs(e.Relations[hops[0]])
	if !rel.Many {
		if len(ids) == 0 {
			return nil, false
		}
		next := m.entity(rel.Target, ids[0])
		if next == nil {
			return nil, false
		}
		return m.follow(target, next, hops[1:])
	}
	values := []any{}
	for _, id := range ids {
		next := m.entity(rel.Target, id)
		if next == nil {
			continue
		}
		v, list := m.follow(target, next, hops[1:])
		if vs, ok := v.([]any); ok && list {
			values = append(values, vs...)
		} else {
			values = append(values, v)
		}
	}
	return values, true
}

// entity reads an entity once per resolution: nil when it does not exist.
func (m *mirrors) entity(blueprint, id string) *berth.Entity {
	k := [2]string{blueprint, id}
	if e, ok := m.seen[k]; ok {
		return e
	}
	e, err := m.q.Entity(m.ctx, blueprint, id)
	if err != nil {
		e = nil
	}
	m.seen[k] = e
	return e
}

// field returns a field of e: a $meta field, a property or a relation.
func field(e *berth.Entity, name string) any {
	switch name {
	case "$identifier":
		return e.Identifier
	case "$title":
		return e.Title
	case "$icon":
		return e.Icon
	case "$team":
		return e.Team
	case "$blueprint":
		return e.Blueprint
	case "$createdAt":
		return e.CreatedAt
	case "$updatedAt":
		return e.UpdatedAt
	case "$createdBy":
		return e.CreatedBy
	case "$updatedBy":
		return e.UpdatedBy
	}
	if v, ok := e.Properties[name]; ok {
		return v
	}
	return e.Relations[name]
}
