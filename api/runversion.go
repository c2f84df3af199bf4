package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/berthdev/berth"
)

// runVersion reads ?version=: runs are shown as "v2" (the default) or in
// the legacy "v1" representation (spec 11.5).
func runVersion(r *http.Request) (string, error) {
	switch v := r.URL.Query().Get("version"); v {
	case "", "v2":
		return "v2", nil
	case "v1":
		return v, nil
	}
	return "", berth.Invalid("bad query parameter", berth.FieldError{Field: "version", Message: "must be v1 or v2"})
}

// writeRun writes {"ok": true, "run": v} where v shows run (a run, or a
// view of it with more fields), in the representation the request asks for.
func (s *Server) writeRun(w http.ResponseWriter, r *http.Request, status int, v any, run *berth.Run) error {
	version, err := runVersion(r)
	if err != nil {
		return err
	}
	if version == "v1" {
		if v, err = v1Run(v, run); err != nil {
			return err
		}
	}
	return ok(w, status, "run", v)
}

// v1Run is the legacy representation of a run: "action" is the action's
// identifier, and relatedBlueprintExists / relatedEntityExists say whether
// what the run is tied to still exists, as the v2 references' "deleted"
// say (the service works them out when it reads the run).
func v1Run(v any, run *berth.Run) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	m["action"] = run.Action.Identifier
	blueprintExists := run.Blueprint != nil && !run.Blueprint.Deleted
	m["relatedBlueprintExists"] = blueprintExists
	m["relatedEntityExists"] = blueprintExists && run.Entity != nil && !run.Entity.Deleted
	return m, nil
}

// writeV1Runs writes a run list in the v1 representation (or err).
func (s *Server) writeV1Runs(w http.ResponseWriter, r *http.Request, runs []*berth.Run, err error) error {
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(runs))
	for i, run := range runs {
		if out[i], err = v1Run(run, run); err != nil {
			return err
		}
	}
	return ok(w, http.StatusOK, "runs", out)
}
