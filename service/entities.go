package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// WriteOptions are the query parameters of entity writes (spec 10.3).
type WriteOptions struct {
	Upsert               bool // create, or replace when the entity exists
	Merge                bool // with Upsert: update only the fields supplied
	ValidationOnly       bool // check everything, write nothing
	CreateMissingRelated bool // create stub entities for missing relation targets
}

// errValidationOnly rolls back a write made only to validate it.
var errValidationOnly = errors.New("validation only")

// ReadOptions are the query parameters of entity reads.
type ReadOptions struct {
	// ExcludeCalculated leaves computed (mirror and calculation) properties out
	// (exclude_calculated_properties=true).
	ExcludeCalculated bool
}

// Entity returns one entity, with its computed properties unless
// opt.ExcludeCalculated. Errors: not_found.
func (c *Catalog) Entity(ctx context.Context, blueprint, id string, opt ReadOptions) (*berth.Entity, error) {
	r := c.db.Read()
	bp, err := c.blueprint(ctx, r, blueprint)
	if err != nil {
		return nil, err
	}
	e, err := r.Entity(ctx, blueprint, id)
	if err != nil || opt.ExcludeCalculated {
		return e, err
	}
	return c.computed(ctx, r, bp, e), nil
}

// Entities returns every entity of a blueprint, with their computed
// properties unless opt.ExcludeCalculated. Errors: not_found.
func (c *Catalog) Entities(ctx context.Context, blueprint string, opt ReadOptions) ([]*berth.Entity, error) {
	r := c.db.Read()
	bp, err := c.blueprint(ctx, r, blueprint)
	if err != nil {
		return nil, err
	}
	es, err := r.Entities(ctx, blueprint)
	if err != nil || opt.ExcludeCalculated {
		return es, err
	}
	ctx, cancel := context.WithTimeout(ctx, ComputeBudget)
	defer cancel()
	for i, e := range es {
		es[i] = c.computed(ctx, r, bp, e)
	}
	return es, nil
}

// CountEntities returns how many entities a blueprint has. Errors: not_found.
func (c *Catalog) CountEntities(ctx context.Context, blueprint string) (int, error) {
	if _, err := c.db.Read().Blueprint(ctx, blueprint); err != nil {
		return 0, err
	}
	return c.db.Read().CountEntities(ctx, blueprint)
}

// CreateEntity creates an entity from raw (POST), or with opt.Upsert replaces
// or merges into an existing one. It reports whether the entity was created.
// Errors: invalid_request, not_found (blueprint), conflict, unprocessable.
func (c *Catalog) CreateEntity(ctx context.Context, ch Change, blueprint string, raw []byte, opt WriteOptions) (*berth.Entity, bool, error) {
	if e, err := c.createQuickly(ctx, ch, blueprint, raw, opt); e != nil || err != nil {
		return e, e != nil, err
	}
	var out *berth.Entity
	var created bool
	err := c.write(ctx, opt, func(q *store.Queries) error {
		bp, err := c.blueprint(ctx, q, blueprint)
		if err != nil {
			return err
		}
		e, err := catalog.DecodeEntity(raw, blueprint)
		if err != nil {
			return err
		}
		if e.Identifier == "" {
			e.Identifier = berth.NewID("e_", 16)
		}
		old, err := existing(ctx, q, blueprint, e.Identifier)
		if err != nil {
			return err
		}
		switch {
		case old != nil && !opt.Upsert:
			return berth.Errorf(berth.CodeConflict, "an entity with identifier %q already exists in blueprint %q (use ?upsert=true to replace it)", e.Identifier, blueprint)
		case old != nil && opt.Merge:
			if e, err = mergeEntity(old, raw); err != nil {
				return err
			}
		}
		created = old == nil
		out, err = c.put(ctx, q, ch, bp, old, e, opt)
		return err
	})
	return out, created, err
}

// createQuickly creates a new entity with one write (store.CreateEntityOnce)
// when nothing needs a look at the store first: a plain create (an upsert
// more often finds the entity there, and would pay twice), the blueprint is cached,
// the entity has no relations to check and no timers to arm, and it is
// valid against the cached blueprint. It returns nil, nil when the general
// path must do the work (the entity exists, the blueprint changed, the
// entity is invalid and the error must come from the current blueprint).
func (c *Catalog) createQuickly(ctx context.Context, ch Change, blueprint string, raw []byte, opt WriteOptions) (*berth.Entity, error) {
	cached, ok := c.decoded.Load(blueprint)
	if !ok || opt.ValidationOnly || opt.Upsert || catalog.IsSystemBlueprint(blueprint) {
		return nil, nil
	}
	bp := cached.(*berth.Blueprint)
	e, err := catalog.DecodeEntity(raw, blueprint)
	if err != nil || len(catalog.TimerProperties(bp)) > 0 {
		return nil, nil
	}
	// Computed properties go into the event and the answer: the general
	// path computes them.
	if c.hasComputed(bp) {
		return nil, nil
	}
	if e.Identifier == "" {
		e.Identifier = berth.NewID("e_", 16)
	}
	if err := c.prepareNew(bp, e); err != nil || len(catalog.RelationTargets(bp, e)) > 0 {
		return nil, nil
	}
	if c.Admit != nil {
		if err := c.Admit(ctx); err != nil {
			return nil, err
		}
	}
	now := c.now()
	stamp(e, ch, now)
	doc, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	ev := entityEvent(ch, now, berth.ActionCreate, nil, e, doc)
	job, _ := matchJob(ev)
	created, err := c.db.CreateEntityOnce(ctx, store.NewEntity{Entity: e, Doc: doc, BlueprintVersion: bp.UpdatedAt, Event: ev, Job: job})
	if err != nil || !created {
		return nil, err
	}
	return e, nil
}

// ReplaceEntity replaces an existing entity with raw (PUT).
// Errors: invalid_request, not_found, unprocessable.
func (c *Catalog) ReplaceEntity(ctx context.Context, ch Change, blueprint, id string, raw []byte, opt WriteOptions) (*berth.Entity, error) {
	return c.updateEntity(ctx, ch, blueprint, id, opt, func(old *berth.Entity) (*berth.Entity, error) {
		e, err := catalog.DecodeEntity(raw, blueprint)
		if err != nil {
			return nil, err
		}
		if e.Identifier == "" {
			e.Identifier = id
		}
		return e, nil
	})
}

// PatchEntity updates the fields raw supplies of an existing entity (PATCH);
// properties and relations are merged key by key.
// Errors: invalid_request, not_found, unprocessable.
func (c *Catalog) PatchEntity(ctx context.Context, ch Change, blueprint, id string, raw []byte, opt WriteOptions) (*berth.Entity, error) {
	return c.updateEntity(ctx, ch, blueprint, id, opt, func(old *berth.Entity) (*berth.Entity, error) {
		return mergeEntity(old, raw)
	})
}

func (c *Catalog) updateEntity(ctx context.Context, ch Change, blueprint, id string, opt WriteOptions,
	change func(old *berth.Entity) (*berth.Entity, error)) (*berth.Entity, error) {
	var out *berth.Entity
	err := c.write(ctx, opt, func(q *store.Queries) error {
		bp, err := c.blueprint(ctx, q, blueprint)
		if err != nil {
			return err
		}
		old, err := q.Entity(ctx, blueprint, id)
		if err != nil {
			return err
		}
		e, err := change(old)
		if err != nil {
			return err
		}
		if e.Identifier != id {
			return berth.Invalid("the identifier in the body must match the one in the path",
				berth.FieldError{Field: "/identifier", Message: "must be " + id})
		}
		out, err = c.put(ctx, q, ch, bp, old, e, opt)
		return err
	})
	return out, err
}

// write runs fn in a write transaction, rolled back when opt.ValidationOnly.
func (c *Catalog) write(ctx context.Context, opt WriteOptions, fn func(q *store.Queries) error) error {
	if c.Admit != nil && !opt.ValidationOnly {
		if err := c.Admit(ctx); err != nil {
			return err
		}
	}
	err := c.db.Write(ctx, func(q *store.Queries) error {
		if err := fn(q); err != nil {
			return err
		}
		if opt.ValidationOnly {
			return errValidationOnly
		}
		return nil
	})
	if errors.Is(err, errValidationOnly) {
		return nil
	}
	return err
}

// put validates e against its blueprint and stores it in place of old (nil
// for a new entity), recording the change. A write that changes nothing but
// timestamps is not made and records nothing.
func (c *Catalog) put(ctx context.Context, q *store.Queries, ch Change, bp *berth.Blueprint, old, e *berth.Entity, opt WriteOptions) (*berth.Entity, error) {
	if err := guardSystem(ctx, q, ch, bp.Identifier); err != nil {
		return nil, err
	}
	if old == nil {
		if err := c.prepareNew(bp, e); err != nil {
			return nil, err
		}
	} else if err := c.validate(bp, e); err != nil {
		return nil, err
	}
	if err := c.checkRelationTargets(ctx, q, ch, bp, e, opt); err != nil {
		return nil, err
	}
	now := c.now()
	if old != nil {
		e.CreatedAt, e.CreatedBy = old.CreatedAt, old.CreatedBy
		if berth.SameContent(old, e) {
			return c.computed(ctx, q, bp, old), nil
		}
		e.UpdatedAt, e.UpdatedBy = berth.FormatTime(now), ch.by()
		doc, err := q.UpdateEntity(ctx, e)
		if err != nil {
			return nil, err
		}
		return c.recordEntity(ctx, q, ch, now, bp, berth.ActionUpdate, old, e, doc)
	}
	stamp(e, ch, now)
	doc, err := q.InsertEntity(ctx, e)
	if err != nil {
		return nil, err
	}
	return c.recordEntity(ctx, q, ch, now, bp, berth.ActionCreate, nil, e, doc)
}

// prepareNew completes a new entity with its blueprint's defaults and
// validates it.
func (c *Catalog) prepareNew(bp *berth.Blueprint, e *berth.Entity) error {
	catalog.ApplyDefaults(bp, e)
	return c.validate(bp, e)
}

// validate places e in its blueprint bp (and an empty team list) and
// checks it against bp's schema.
func (c *Catalog) validate(bp *berth.Blueprint, e *berth.Entity) error {
	e.Blueprint = bp.Identifier
	if e.Team == nil {
		e.Team = []string{}
	}
	schema, err := c.entitySchema(bp)
	if err != nil {
		return err
	}
	schema.DropComputed(e)
	return schema.Validate(e)
}

// stamp sets a new entity's creation and update marks.
func stamp(e *berth.Entity, ch Change, now time.Time) {
	e.CreatedAt, e.CreatedBy = berth.FormatTime(now), ch.by()
	e.UpdatedAt, e.UpdatedBy = e.CreatedAt, e.CreatedBy
}

// checkRelationTargets makes sure every entity e relates to exists, creating
// stubs for missing ones when opt.CreateMissingRelated.
func (c *Catalog) checkRelationTargets(ctx context.Context, q *store.Queries, ch Change, bp *berth.Blueprint, e *berth.Entity, opt WriteOptions) error {
	var fields []berth.FieldError
	for _, t := range catalog.RelationTargets(bp, e) {
		missing, err := q.MissingEntities(ctx, t.TargetBlueprint, []string{t.Identifier})
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			continue
		}
		if !opt.CreateMissingRelated {
			fields = append(fields, berth.FieldError{Field: "/relations/" + t.Relation,
				Message: "entity " + quote(t.Identifier) + " of blueprint " + quote(t.TargetBlueprint) + " does not exist"})
			continue
		}
		if err := c.createStub(ctx, q, ch, t.TargetBlueprint, t.Identifier); err != nil {
			return err
		}
	}
	if len(fields) > 0 {
		return berth.Invalid("the entity relates to entities that do not exist (use ?create_missing_related_entities=true to create them)", fields...)
	}
	return nil
}

func (c *Catalog) createStub(ctx context.Context, q *store.Queries, ch Change, blueprint, id string) error {
	bp, err := q.Blueprint(ctx, blueprint)
	if err != nil {
		return err
	}
	stub := &berth.Entity{Identifier: id, Blueprint: blueprint, Team: []string{}, Properties: map[string]any{}, Relations: map[string]any{}}
	_, err = c.put(ctx, q, ch, bp, nil, stub, WriteOptions{})
	var be *berth.Error
	if errors.As(err, &be) && be.Code == berth.CodeUnprocessable {
		// The fields named are the stub's, not the request's: say so.
		stubErr := *be
		stubErr.Message = fmt.Sprintf("the missing related entity %s/%s cannot be created empty (create_missing_related_entities): %s", blueprint, id, be.Message)
		stubErr.Fields = nil
		return &stubErr
	}
	return err
}

// DeleteEntity deletes an entity. Relations that pointed at it are cleared
// without events (spec 2.4), or with deleteDependents the entities that
// relate to it are deleted too. Errors: not_found.
func (c *Catalog) DeleteEntity(ctx context.Context, ch Change, blueprint, id string, deleteDependents bool) error {
	return c.db.Write(ctx, func(q *store.Queries) error {
		if _, err := q.Blueprint(ctx, blueprint); err != nil {
			return err
		}
		return c.deleteEntity(ctx, q, ch, blueprint, id, deleteDependents)
	})
}

// Deletions is what DeleteEntities did.
type Deletions struct {
	// Deleted holds the identifiers deleted, in the order asked, each once:
	// by their own deletion, or (with deleteDependents) as a dependent of
	// an identifier before them.
	Deleted []string
	// Failed holds the identifiers that named no entity when the call
	// began, in the order asked.
	Failed []FailedDeletion
}

// FailedDeletion is an identifier DeleteEntities did not delete.
type FailedDeletion struct {
	Index      int // the identifier's first position in the call
	Identifier string
	Err        error // not_found, as DeleteEntity reports it
}

// DeleteEntities deletes entities of one blueprint (the bulk delete), each
// exactly as DeleteEntity does: the same relations cleared or dependents
// deleted, the same ENTITY_DELETED events. All of it is one transaction, so
// a failure other than an identifier that names no entity deletes nothing.
// An identifier given twice is deleted once.
// Errors: not_found (blueprint); per identifier (Deletions.Failed): not_found.
func (c *Catalog) DeleteEntities(ctx context.Context, ch Change, blueprint string, ids []string, deleteDependents bool) (*Deletions, error) {
	var out *Deletions
	err := c.db.Write(ctx, func(q *store.Queries) error {
		out = &Deletions{Deleted: []string{}, Failed: []FailedDeletion{}}
		if _, err := q.Blueprint(ctx, blueprint); err != nil {
			return err
		}
		// Told apart from those that exist now, an identifier that an
		// earlier one's dependents took with it is not reported missing.
		missing, err := q.MissingEntities(ctx, blueprint, ids)
		if err != nil {
			return err
		}
		absent := make(map[string]bool, len(missing))
		for _, id := range missing {
			absent[id] = true
		}
		seen := make(map[string]bool, len(ids))
		for i, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			err := c.deleteEntity(ctx, q, ch, blueprint, id, deleteDependents)
			switch {
			case err == nil, berth.IsNotFound(err) && !absent[id]:
				out.Deleted = append(out.Deleted, id)
			case berth.IsNotFound(err):
				out.Failed = append(out.Failed, FailedDeletion{Index: i, Identifier: id, Err: err})
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Catalog) deleteEntity(ctx context.Context, q *store.Queries, ch Change, blueprint, id string, deleteDependents bool) error {
	if err := guardSystem(ctx, q, ch, blueprint); err != nil {
		return err
	}
	if blueprint == catalog.TeamBlueprint {
		if err := dropTeam(ctx, q, id); err != nil {
			return err
		}
	}
	old, err := q.Entity(ctx, blueprint, id)
	if err != nil {
		return err
	}
	if err := q.DeleteEntity(ctx, blueprint, id); err != nil {
		return err
	}
	bp, err := c.blueprint(ctx, q, blueprint)
	if err != nil {
		return err
	}
	if _, err := c.recordEntity(ctx, q, ch, c.now(), bp, berth.ActionDelete, old, nil, nil); err != nil {
		return err
	}
	return c.detachReferrers(ctx, q, ch, blueprint, id, deleteDependents)
}

// DeleteAllEntities deletes every entity of a blueprint, and the blueprint
// too when deleteBlueprint. Errors: not_found.
func (c *Catalog) DeleteAllEntities(ctx context.Context, ch Change, blueprint string, deleteBlueprint bool) error {
	err := c.db.Write(ctx, func(q *store.Queries) error {
		if _, err := q.Blueprint(ctx, blueprint); err != nil {
			return err
		}
		all, err := q.Entities(ctx, blueprint)
		if err != nil {
			return err
		}
		for _, e := range all {
			err := c.deleteEntity(ctx, q, ch, blueprint, e.Identifier, false)
			if err != nil && !berth.IsNotFound(err) { // a self-relation may have removed it already
				return err
			}
		}
		return nil
	})
	if err != nil || !deleteBlueprint {
		return err
	}
	return c.DeleteBlueprint(ctx, ch, blueprint, false)
}

// detachReferrers clears relations that point at the deleted entity, or
// deletes the entities holding them.
func (c *Catalog) detachReferrers(ctx context.Context, q *store.Queries, ch Change, target, id string, deleteDependents bool) error {
	bps, err := q.Blueprints(ctx)
	if err != nil {
		return err
	}
	for _, bp := range bps {
		for name, rel := range bp.Relations {
			if rel.Target != target {
				continue
			}
			if err := c.detachRelation(ctx, q, ch, bp, name, id, deleteDependents); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Catalog) detachRelation(ctx context.Context, q *store.Queries, ch Change, bp *berth.Blueprint, relation, id string, deleteDependents bool) error {
	entities, err := q.Entities(ctx, bp.Identifier)
	if err != nil {
		return err
	}
	for _, e := range entities {
		v, changed := withoutTarget(e.Relations[relation], id)
		if !changed {
			continue
		}
		if deleteDependents {
			if err := c.deleteEntity(ctx, q, ch, bp.Identifier, e.Identifier, true); err != nil && !berth.IsNotFound(err) {
				return err
			}
			continue
		}
		e.Relations[relation] = v
		if _, err := q.UpdateEntity(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// withoutTarget removes id from a relation value (a string or a list).
func withoutTarget(v any, id string) (any, bool) {
	switch v := v.(type) {
	case string:
		if v == id {
			return nil, true
		}
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			if x != id {
				out = append(out, x)
			}
		}
		return out, len(out) != len(v)
	}
	return v, false
}

// recordEntity records an entity change; afterDoc is after as stored. The
// record shows both sides with their computed properties, as reads do, so
// automations see them in the trigger data; it returns after as reads show
// it (nil for a deletion), computed once for the record and the answer.
func (c *Catalog) recordEntity(ctx context.Context, q *store.Queries, ch Change, now time.Time, bp *berth.Blueprint, action string, before, after *berth.Entity, afterDoc json.RawMessage) (*berth.Entity, error) {
	shownBefore, shownAfter := c.computed(ctx, q, bp, before), c.computed(ctx, q, bp, after)
	if shownAfter != after {
		afterDoc = marshalOrNil(shownAfter)
	}
	if err := record(ctx, q, entityEvent(ch, now, action, shownBefore, shownAfter, afterDoc)); err != nil {
		return nil, err
	}
	return shownAfter, armTimers(ctx, q, bp, before, after)
}

// entityEvent returns the change-log event of an entity change.
func entityEvent(ch Change, now time.Time, action string, before, after *berth.Entity, afterDoc json.RawMessage) *berth.Event {
	e := after
	if e == nil {
		e = before
	}
	return &berth.Event{
		ID: berth.NewID("event_", 16), Action: action, ResourceType: berth.ResourceEntity, Status: "SUCCESS",
		Trigger: ch.trigger(now), Blueprint: e.Blueprint, Entity: e.Identifier,
		LinkedRunID: ch.RunID, Depth: ch.Depth, CausedBy: ch.CausedBy,
		Before: marshalOrNil(before), After: afterDoc,
	}
}

func existing(ctx context.Context, q *store.Queries, blueprint, id string) (*berth.Entity, error) {
	e, err := q.Entity(ctx, blueprint, id)
	if berth.IsNotFound(err) {
		return nil, nil
	}
	return e, err
}

// mergeEntity applies the fields present in raw to old: title, icon and
// team replace, properties and relations merge key by key.
func mergeEntity(old *berth.Entity, raw []byte) (*berth.Entity, error) {
	patch, err := catalog.DecodeEntityPatch(raw, old.Blueprint)
	if err != nil {
		return nil, err
	}
	return patch.Apply(old), nil
}

func quote(s string) string { return `"` + s + `"` }

// guardSystem refuses writes of users and teams (entities of the _user and
// _team blueprints) to anyone but admins, whichever route they come by: a
// user's role and teams are what permissions are decided on, so a member
// who could write them could make themselves admin (spec 11.10; the
// /v1/users and /v1/teams routes check the same). Errors: forbidden.
func guardSystem(ctx context.Context, q *store.Queries, ch Change, blueprint string) error {
	if !catalog.IsSystemBlueprint(blueprint) {
		return nil
	}
	return requireAdmin(ctx, q, ch)
}

// dropTeam takes a team that is being deleted off every entity that names
// it in its team field, without change records (as relations to a deleted
// entity are cleared): a team created later with the same name must not
// inherit the old one's entities, and their ownedByTeam permissions.
func dropTeam(ctx context.Context, q *store.Queries, team string) error {
	all, err := q.Entities(ctx)
	if err != nil {
		return err
	}
	for _, e := range all {
		if !slices.Contains(e.Team, team) {
			continue
		}
		e.Team = slices.DeleteFunc(e.Team, func(t string) bool { return t == team })
		if _, err := q.UpdateEntity(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
