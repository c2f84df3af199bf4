package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/berthdev/berth"
)

type bulkRequest struct {
	Entities []json.RawMessage `json:"entities"`
}

type bulkResult struct {
	Created    bool   `json:"created"`
	Identifier string `json:"identifier"`
	Index      int    `json:"index"`
}

type bulkError struct {
	Identifier string             `json:"identifier"`
	Index      int                `json:"index"`
	StatusCode int                `json:"statusCode"`
	Error      berth.Code         `json:"error"`
	Message    string             `json:"message"`
	Fields     []berth.FieldError `json:"fields,omitempty"`
}

// bulkCreateEntities creates up to 20 entities, each on its own: one that
// fails does not stop the others (207 Multi-Status then).
func (s *Server) bulkCreateEntities(w http.ResponseWriter, r *http.Request) error {
	opt, err := writeOptions(r)
	if err != nil {
		return err
	}
	var req bulkRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if n := len(req.Entities); n < 1 || n > 20 {
		return berth.Invalid("a bulk request holds 1 to 20 entities", berth.FieldError{Field: "/entities", Message: "has " + strconv.Itoa(n) + " items"})
	}
	type outcome struct {
		e       *berth.Entity
		created bool
		err     error
	}
	outcomes := make([]outcome, len(req.Entities))
	create := func(i int) {
		e, created, err := s.Catalog.CreateEntity(r.Context(), s.change(r), r.PathValue("blueprint"), req.Entities[i], opt)
		outcomes[i] = outcome{e, created, err}
	}
	if distinctIdentifiers(req.Entities) {
		// Independent creates: made at once, they share the store's
		// commits (one statement for all on PostgreSQL).
		var wg sync.WaitGroup
		for i := range req.Entities {
			wg.Go(func() { create(i) })
		}
		wg.Wait()
	} else {
		for i := range req.Entities { // in order: a later one may see an earlier one
			create(i)
		}
	}
	results, errs := []bulkResult{}, []bulkError{}
	for i, o := range outcomes {
		if o.err != nil {
			errs = append(errs, s.bulkFailure(r, i, bodyIdentifier(req.Entities[i]), o.err))
			continue
		}
		results = append(results, bulkResult{Created: o.created, Identifier: o.e.Identifier, Index: i})
	}
	if len(results) == 0 {
		// As for the single create, an unknown blueprint is the request's
		// 404, not one per entity. Asked only when nothing was created, so
		// a bulk create that succeeds pays no extra read.
		if _, err := s.Catalog.Blueprint(r.Context(), r.PathValue("blueprint")); berth.IsNotFound(err) {
			return err
		}
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, map[string]any{"ok": len(errs) == 0, "entities": results, "errors": errs})
	return nil
}

// distinctIdentifiers reports whether every entity of a bulk request names
// its identifier, and no two the same: then their creates are independent.
func distinctIdentifiers(entities []json.RawMessage) bool {
	seen := make(map[string]bool, len(entities))
	for _, raw := range entities {
		var head struct {
			Identifier string `json:"identifier"`
		}
		if json.Unmarshal(raw, &head) != nil || head.Identifier == "" || seen[head.Identifier] {
			return false
		}
		seen[head.Identifier] = true
	}
	return true
}

// bodyIdentifier is the identifier an entity's JSON names, if any.
func bodyIdentifier(raw json.RawMessage) string {
	var head struct {
		Identifier string `json:"identifier"`
	}
	json.Unmarshal(raw, &head)
	return head.Identifier
}

// bulkFailure reports the error of the item at index i of a bulk request.
func (s *Server) bulkFailure(r *http.Request, i int, identifier string, err error) bulkError {
	code := berth.ErrorCode(err)
	if code == berth.CodeInternal {
		s.log.ErrorContext(r.Context(), "bulk entity write failed", "path", r.URL.Path, "index", i, "err", err)
		return bulkError{Identifier: identifier, Index: i, StatusCode: 500, Error: code, Message: "an internal error occurred"}
	}
	be := bulkError{Identifier: identifier, Index: i, StatusCode: code.HTTPStatus(), Error: code, Message: err.Error()}
	if ve, ok := err.(*berth.Error); ok {
		be.Fields = ve.Fields
	}
	return be
}

func (s *Server) searchEntities(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	res, err := s.Catalog.Search(r.Context(), "", body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "matchingBlueprints": nonNil(res.MatchingBlueprints),
		"failedBlueprints": []string{}, "entities": res.Entities})
	return nil
}

type blueprintSearchRequest struct {
	Query   json.RawMessage `json:"query"`
	Include []string        `json:"include"`
	Exclude []string        `json:"exclude"`
	Limit   *int            `json:"limit"`
	From    string          `json:"from"`
}

// searchBlueprintEntities is the paged search of one blueprint's entities;
// "next" is an opaque cursor to pass back as "from".
func (s *Server) searchBlueprintEntities(w http.ResponseWriter, r *http.Request) error {
	var req blueprintSearchRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	limit := 200
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > 1000 {
		return berth.Invalid("limit must be between 1 and 1000", berth.FieldError{Field: "/limit", Message: "must be 1 to 1000"})
	}
	offset, err := decodeCursor(req.From)
	if err != nil {
		return err
	}
	query := req.Query
	if len(query) == 0 {
		query = json.RawMessage(`{"combinator":"and","rules":[]}`)
	}
	res, err := s.Catalog.Search(r.Context(), r.PathValue("blueprint"), query)
	if err != nil {
		return err
	}
	page, next := paginate(res.Entities, offset, limit)
	out := make([]any, len(page))
	for i, e := range page {
		out[i] = project(e, req.Include, req.Exclude)
	}
	body := map[string]any{"ok": true, "entities": out}
	if next != "" {
		body["next"] = next
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func paginate(all []*berth.Entity, offset, limit int) ([]*berth.Entity, string) {
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+limit, len(all))
	next := ""
	if end < len(all) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return all[offset:end], next
}

func decodeCursor(from string) (int, error) {
	if from == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(from)
	n, err2 := strconv.Atoi(string(b))
	if err != nil || err2 != nil || n < 0 {
		return 0, berth.Invalid("bad cursor", berth.FieldError{Field: "/from", Message: "is not a cursor this server returned"})
	}
	return n, nil
}

// project keeps only the included fields of e, then drops the excluded
// ones. Fields are top-level keys or "properties.<id>" / "relations.<id>".
func project(e *berth.Entity, include, exclude []string) any {
	if len(include) == 0 && len(exclude) == 0 {
		return e
	}
	var doc map[string]any
	b, _ := json.Marshal(e)
	json.Unmarshal(b, &doc)
	if len(include) > 0 {
		kept := map[string]any{}
		for _, f := range include {
			copyField(kept, doc, f)
		}
		doc = kept
	}
	for _, f := range exclude {
		top, sub, nested := strings.Cut(f, ".")
		if m, ok := doc[top].(map[string]any); ok && nested {
			delete(m, sub)
		} else if !nested {
			delete(doc, top)
		}
	}
	return doc
}

func copyField(dst, src map[string]any, field string) {
	top, sub, nested := strings.Cut(field, ".")
	v, ok := src[top]
	if !ok {
		return
	}
	if !nested {
		dst[top] = v
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	d, _ := dst[top].(map[string]any)
	if d == nil {
		d = map[string]any{}
		dst[top] = d
	}
	if sv, ok := m[sub]; ok {
		d[sub] = sv
	}
}
