package service

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// Catalog is the use cases of blueprints and entities.
type Catalog struct {
	db  *store.DB
	now func() time.Time

	// schemas caches compiled entity schemas by blueprint, keyed on the
	// blueprint's updatedAt so an update recompiles.
	schemas sync.Map // identifier → *cachedSchema
	// Admit, when set, is asked before each entity write: it may hold the
	// write back while the engine is overloaded (engine.Engine.Admit).
	Admit func(ctx context.Context) error
	// decoded caches decoded blueprints the same way: entity writes read
	// their blueprint each time, and decoding it cost more than reading.
	decoded sync.Map // identifier → *berth.Blueprint
}

type cachedSchema struct {
	version string
	schema  *catalog.EntitySchema
}

// NewCatalog returns the catalog use cases over db.
func NewCatalog(db *store.DB) *Catalog {
	return &Catalog{db: db, now: time.Now}
}

// EnsureSystemBlueprints creates the built-in blueprints (_user, _team) that
// are missing. It is safe to call on every start, from several instances.
func (c *Catalog) EnsureSystemBlueprints(ctx context.Context) error {
	now := berth.FormatTime(c.now())
	return c.db.Write(ctx, func(q *store.Queries) error {
		for _, bp := range catalog.SystemBlueprints() {
			if _, err := q.Blueprint(ctx, bp.Identifier); err == nil {
				continue
			} else if !berth.IsNotFound(err) {
				return err
			}
			bp.Meta = berth.Meta{CreatedAt: now, CreatedBy: "berth", UpdatedAt: now, UpdatedBy: "berth"}
			if err := q.InsertBlueprint(ctx, bp); err != nil && berth.ErrorCode(err) != berth.CodeConflict {
				return err
			}
		}
		return nil
	})
}

// Blueprint returns one blueprint. Errors: not_found.
func (c *Catalog) Blueprint(ctx context.Context, id string) (*berth.Blueprint, error) {
	return c.db.Read().Blueprint(ctx, id)
}

// Blueprints returns every blueprint.
func (c *Catalog) Blueprints(ctx context.Context) ([]*berth.Blueprint, error) {
	return c.db.Read().Blueprints(ctx)
}

// CreateBlueprint validates and stores a new blueprint.
// Errors: invalid_request, unprocessable, conflict.
func (c *Catalog) CreateBlueprint(ctx context.Context, ch Change, raw []byte) (*berth.Blueprint, error) {
	var out *berth.Blueprint
	err := c.db.Write(ctx, func(q *store.Queries) error {
		bp, err := catalog.DecodeBlueprint(raw)
		if err != nil {
			return err
		}
		if err := catalog.CheckRelationTargets(bp, c.blueprintExists(ctx, q)); err != nil {
			return err
		}
		now := c.now()
		bp.Meta = berth.Meta{CreatedAt: berth.FormatTime(now), CreatedBy: ch.by(), UpdatedAt: berth.FormatTime(now), UpdatedBy: ch.by()}
		if err := q.InsertBlueprint(ctx, bp); err != nil {
			return err
		}
		out = bp
		return c.recordBlueprint(ctx, q, ch, now, berth.ActionCreate, nil, bp)
	})
	return out, err
}

// ReplaceBlueprint replaces a blueprint with the one in raw (PUT).
// Errors: invalid_request, unprocessable, not_found.
func (c *Catalog) ReplaceBlueprint(ctx context.Context, ch Change, id string, raw []byte) (*berth.Blueprint, error) {
	return c.updateBlueprint(ctx, ch, id, func(q *store.Queries, old *berth.Blueprint) (*berth.Blueprint, error) {
		bp, err := catalog.DecodeBlueprint(raw)
		if err != nil {
			return nil, err
		}
		if bp.Identifier != id {
			return nil, berth.Invalid("the identifier in the body must match the one in the path",
				berth.FieldError{Field: "/identifier", Message: "must be " + id})
		}
		return bp, nil
	})
}

// PatchBlueprint applies a partial update to a blueprint (PATCH).
// Errors: invalid_request, unprocessable, not_found.
func (c *Catalog) PatchBlueprint(ctx context.Context, ch Change, id string, raw []byte) (*berth.Blueprint, error) {
	return c.updateBlueprint(ctx, ch, id, func(q *store.Queries, old *berth.Blueprint) (*berth.Blueprint, error) {
		return catalog.PatchBlueprint(old, raw)
	})
}

func (c *Catalog) updateBlueprint(ctx context.Context, ch Change, id string,
	change func(q *store.Queries, old *berth.Blueprint) (*berth.Blueprint, error)) (*berth.Blueprint, error) {
	var out *berth.Blueprint
	err := c.db.Write(ctx, func(q *store.Queries) error {
		old, err := q.Blueprint(ctx, id)
		if err != nil {
			return err
		}
		bp, err := change(q, old)
		if err != nil {
			return err
		}
		if err := catalog.CheckBlueprintUpdate(old, bp); err != nil {
			return err
		}
		if err := catalog.CheckRelationTargets(bp, c.blueprintExists(ctx, q)); err != nil {
			return err
		}
		now := c.now()
		bp.Meta = berth.Meta{CreatedAt: old.CreatedAt, CreatedBy: old.CreatedBy, UpdatedAt: laterThan(old.UpdatedAt, now), UpdatedBy: ch.by()}
		if err := q.UpdateBlueprint(ctx, bp); err != nil {
			return err
		}
		if err := dropRemovedFields(ctx, q, old, bp); err != nil {
			return err
		}
		out = bp
		return c.recordBlueprint(ctx, q, ch, now, berth.ActionUpdate, old, bp)
	})
	return out, err
}

// dropRemovedFields deletes from the entities of bp the values of the
// properties and relations its update removed: a property's data goes
// with it, as in Port, so that no entity is left holding values its
// blueprint no longer allows (which would make every later update of it
// fail validation). The blueprint's UPDATE record is the change; no entity
// records are written for it, and the entities' updatedAt stay as they were.
func dropRemovedFields(ctx context.Context, q *store.Queries, old, bp *berth.Blueprint) error {
	var props, rels []string
	for k := range old.Schema.Properties {
		if _, ok := bp.Schema.Properties[k]; !ok {
			props = append(props, k)
		}
	}
	for k := range old.Relations {
		if _, ok := bp.Relations[k]; !ok {
			rels = append(rels, k)
		}
	}
	if len(props)+len(rels) == 0 {
		return nil
	}
	entities, err := q.Entities(ctx, bp.Identifier)
	if err != nil {
		return err
	}
	for _, e := range entities {
		n := len(e.Properties) + len(e.Relations)
		for _, k := range props {
			delete(e.Properties, k)
		}
		for _, k := range rels {
			delete(e.Relations, k)
		}
		if len(e.Properties)+len(e.Relations) == n {
			continue
		}
		if _, err := q.UpdateEntity(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// DeleteBlueprint deletes a blueprint that has no entities left. Actions
// and automations tied to it are deleted with it when deleteActions, and
// make the delete fail otherwise (spec 10.5).
// Errors: not_found, conflict (entities or actions remain), unprocessable (system blueprint).
func (c *Catalog) DeleteBlueprint(ctx context.Context, ch Change, id string, deleteActions bool) error {
	if catalog.IsSystemBlueprint(id) {
		return berth.Invalid("system blueprints cannot be deleted", berth.FieldError{Field: "identifier", Message: id + " is built in"})
	}
	return c.db.Write(ctx, func(q *store.Queries) error {
		old, err := q.Blueprint(ctx, id)
		if err != nil {
			return err
		}
		n, err := q.CountEntities(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return berth.Errorf(berth.CodeConflict,
				"blueprint %q still has %d entities; delete them first (DELETE /v1/blueprints/%s/all-entities)", id, n, id)
		}
		if err := c.checkNotRelationTarget(ctx, q, id); err != nil {
			return err
		}
		if err := c.deleteTiedActions(ctx, q, ch, id, deleteActions); err != nil {
			return err
		}
		if err := q.DeleteBlueprint(ctx, id); err != nil {
			return err
		}
		c.schemas.Delete(id)
		return c.recordBlueprint(ctx, q, ch, c.now(), berth.ActionDelete, old, nil)
	})
}

// deleteTiedActions deletes the actions and automations tied to blueprint
// id, or refuses when there are some and deleteActions is false.
func (c *Catalog) deleteTiedActions(ctx context.Context, q *store.Queries, ch Change, id string, deleteActions bool) error {
	tied, err := q.Actions(ctx, store.ActionFilter{Blueprints: []string{id}})
	if err != nil || len(tied) == 0 {
		return err
	}
	if !deleteActions {
		names := make([]string, len(tied))
		for i, a := range tied {
			names[i] = a.Identifier
		}
		return berth.Errorf(berth.CodeConflict, "blueprint %q has actions or automations tied to it (%s); delete them first or use ?delete_actions=true",
			id, strings.Join(names, ", "))
	}
	for _, a := range tied {
		if err := q.DeleteAction(ctx, a.Identifier); err != nil {
			return err
		}
		if err := recordAction(ctx, q, ch, c.now(), berth.ActionDelete, a, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) checkNotRelationTarget(ctx context.Context, q *store.Queries, id string) error {
	all, err := q.Blueprints(ctx)
	if err != nil {
		return err
	}
	for _, bp := range all {
		for name, rel := range bp.Relations {
			if rel.Target == id && bp.Identifier != id {
				return berth.Errorf(berth.CodeConflict, "blueprint %q is the target of relation %q of blueprint %q; remove the relation first", id, name, bp.Identifier)
			}
		}
	}
	return nil
}

func (c *Catalog) blueprintExists(ctx context.Context, q *store.Queries) func(string) bool {
	return func(id string) bool {
		_, err := q.Blueprint(ctx, id)
		return err == nil
	}
}

func (c *Catalog) recordBlueprint(ctx context.Context, q *store.Queries, ch Change, now time.Time, action string, before, after *berth.Blueprint) error {
	ev := &berth.Event{
		ID: berth.NewID("event_", 16), Action: action, ResourceType: berth.ResourceBlueprint, Status: "SUCCESS",
		Trigger: ch.trigger(now), LinkedRunID: ch.RunID, Depth: ch.Depth, CausedBy: ch.CausedBy,
		Before: marshalOrNil(before), After: marshalOrNil(after),
	}
	if after != nil {
		ev.Blueprint = after.Identifier
	} else {
		ev.Blueprint = before.Identifier
	}
	return q.AppendEvent(ctx, ev)
}

// blueprint returns a blueprint for an entity write: read from the store's
// row version, decoded only when it changed. The result is shared and must
// not be modified.
func (c *Catalog) blueprint(ctx context.Context, q *store.Queries, id string) (*berth.Blueprint, error) {
	version, err := q.BlueprintVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	if v, ok := c.decoded.Load(id); ok && v.(*berth.Blueprint).UpdatedAt == version {
		return v.(*berth.Blueprint), nil
	}
	bp, err := q.Blueprint(ctx, id)
	if err != nil {
		return nil, err
	}
	c.decoded.Store(id, bp)
	return bp, nil
}

// entitySchema returns the compiled entity schema of bp, from the cache when
// bp has not changed since it was compiled.
func (c *Catalog) entitySchema(bp *berth.Blueprint) (*catalog.EntitySchema, error) {
	if v, ok := c.schemas.Load(bp.Identifier); ok && v.(*cachedSchema).version == bp.UpdatedAt {
		return v.(*cachedSchema).schema, nil
	}
	s, err := catalog.CompileEntitySchema(bp)
	if err != nil {
		return nil, err
	}
	c.schemas.Store(bp.Identifier, &cachedSchema{version: bp.UpdatedAt, schema: s})
	return s, nil
}

func marshalOrNil[T any](v *T) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// laterThan formats now, or one millisecond after prev when now would not
// sort after it: updatedAt is the version compiled schemas and decoded
// blueprints are cached by, so every write must change it.
func laterThan(prev string, now time.Time) string {
	at := berth.FormatTime(now)
	if at > prev {
		return at
	}
	t, err := time.Parse(berth.TimeFormat, prev)
	if err != nil {
		return at
	}
	return berth.FormatTime(t.Add(time.Millisecond))
}
