package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/service"
)

func (s *Server) listBlueprints(w http.ResponseWriter, r *http.Request) error {
	bps, err := s.Catalog.Blueprints(r.Context())
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "blueprints", nonNil(bps))
}

func (s *Server) getBlueprint(w http.ResponseWriter, r *http.Request) error {
	bp, err := s.Catalog.Blueprint(r.Context(), r.PathValue("blueprint"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "blueprint", bp)
}

func (s *Server) createBlueprint(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	bp, err := s.Catalog.CreateBlueprint(r.Context(), s.change(r), body)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "blueprint", bp)
}

func (s *Server) replaceBlueprint(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	bp, err := s.Catalog.ReplaceBlueprint(r.Context(), s.change(r), r.PathValue("blueprint"), body)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "blueprint", bp)
}

func (s *Server) patchBlueprint(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	bp, err := s.Catalog.PatchBlueprint(r.Context(), s.change(r), r.PathValue("blueprint"), body)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "blueprint", bp)
}

func (s *Server) deleteBlueprint(w http.ResponseWriter, r *http.Request) error {
	withActions, err := boolParam(r, "delete_actions")
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteBlueprint(r.Context(), s.change(r), r.PathValue("blueprint"), withActions); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request) error {
	opt, err := readOptions(r)
	if err != nil {
		return err
	}
	es, err := s.Catalog.Entities(r.Context(), r.PathValue("blueprint"), opt)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "entities", nonNil(es))
}

func (s *Server) countEntities(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Catalog.CountEntities(r.Context(), r.PathValue("blueprint"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "count", n)
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request) error {
	opt, err := readOptions(r)
	if err != nil {
		return err
	}
	e, err := s.Catalog.Entity(r.Context(), r.PathValue("blueprint"), r.PathValue("entity"), opt)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "entity", e)
}

// readOptions reads the query parameters of entity reads.
func readOptions(r *http.Request) (service.ReadOptions, error) {
	exclude, err := boolParam(r, "exclude_calculated_properties")
	return service.ReadOptions{ExcludeCalculated: exclude}, err
}

// writeOptions reads the query parameters of entity writes.
func writeOptions(r *http.Request) (service.WriteOptions, error) {
	var opt service.WriteOptions
	var err error
	for name, dst := range map[string]*bool{
		"upsert": &opt.Upsert, "merge": &opt.Merge, "validation_only": &opt.ValidationOnly,
		"create_missing_related_entities": &opt.CreateMissingRelated,
	} {
		if *dst, err = boolParam(r, name); err != nil {
			return opt, err
		}
	}
	return opt, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, berth.Invalid("bad query parameter", berth.FieldError{Field: name, Message: "must be true or false"})
	}
	return b, nil
}

func (s *Server) createEntity(w http.ResponseWriter, r *http.Request) error {
	opt, err := writeOptions(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	e, created, err := s.Catalog.CreateEntity(r.Context(), s.change(r), r.PathValue("blueprint"), body, opt)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	if opt.ValidationOnly {
		return ok(w, http.StatusOK, "entity", e)
	}
	return ok(w, status, "entity", e)
}

func (s *Server) replaceEntity(w http.ResponseWriter, r *http.Request) error {
	return s.updateEntity(w, r, s.Catalog.ReplaceEntity)
}

func (s *Server) patchEntity(w http.ResponseWriter, r *http.Request) error {
	return s.updateEntity(w, r, s.Catalog.PatchEntity)
}

func (s *Server) updateEntity(w http.ResponseWriter, r *http.Request,
	update func(ctx context.Context, ch service.Change, bp, id string, raw []byte, opt service.WriteOptions) (*berth.Entity, error)) error {
	opt, err := writeOptions(r)
	if err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	e, err := update(r.Context(), s.change(r), r.PathValue("blueprint"), r.PathValue("entity"), body, opt)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "entity", e)
}

func (s *Server) deleteEntity(w http.ResponseWriter, r *http.Request) error {
	dependents, err := boolParam(r, "delete_dependents")
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteEntity(r.Context(), s.change(r), r.PathValue("blueprint"), r.PathValue("entity"), dependents); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}

// bulkDeleteRequest is the body of a bulk delete: the identifiers of the
// entities to delete, all of the path's blueprint.
type bulkDeleteRequest struct {
	Entities []string `json:"entities"`
}

// maxBulkDelete is how many entities one bulk delete may name (spec 12).
const maxBulkDelete = 100

// bulkDeleteEntities deletes up to 100 entities of a blueprint, each as
// DELETE .../entities/{id} would (same query parameters, same events), in one
// transaction. When all are deleted it answers as Port does, 200
// {"ok": true, "deletedEntities": [...]}; identifiers that name no entity
// make it 207 with {"ok": false, "deletedEntities", "errors": [...]}, the
// errors shaped as the bulk create's.
func (s *Server) bulkDeleteEntities(w http.ResponseWriter, r *http.Request) error {
	dependents, err := boolParam(r, "delete_dependents")
	if err != nil {
		return err
	}
	var req bulkDeleteRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if n := len(req.Entities); n < 1 || n > maxBulkDelete {
		return berth.Invalid("a bulk delete names 1 to 100 entities", berth.FieldError{Field: "/entities", Message: "has " + strconv.Itoa(n) + " items"})
	}
	res, err := s.Catalog.DeleteEntities(r.Context(), s.change(r), r.PathValue("blueprint"), req.Entities, dependents)
	if err != nil {
		return err
	}
	if len(res.Failed) == 0 {
		return ok(w, http.StatusOK, "deletedEntities", res.Deleted)
	}
	errs := make([]bulkError, len(res.Failed))
	for i, f := range res.Failed {
		errs[i] = s.bulkFailure(r, f.Index, f.Identifier, f.Err)
	}
	writeJSON(w, http.StatusMultiStatus, map[string]any{"ok": false, "deletedEntities": res.Deleted, "errors": errs})
	return nil
}

func (s *Server) deleteAllEntities(w http.ResponseWriter, r *http.Request) error {
	withBlueprint, err := boolParam(r, "delete_blueprint")
	if err != nil {
		return err
	}
	if err := s.Catalog.DeleteAllEntities(r.Context(), s.change(r), r.PathValue("blueprint"), withBlueprint); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
