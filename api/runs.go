package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

var runSources = []string{berth.OriginUI, berth.OriginAPI, berth.OriginAutomation}

// runStatuses are the statuses of runs (spec 7.2).
var runStatuses = []string{berth.RunWaitingForApproval, berth.RunInProgress, berth.RunSuccess, berth.RunFailure, berth.RunDeclined}

// runFilter reads the filters of GET /v1/actions/runs (spec 7.4). A value a
// parameter does not take is a 422 that names the parameter.
func runFilter(r *http.Request) (store.RunFilter, error) {
	q := r.URL.Query()
	f := store.RunFilter{Action: q.Get("action"), Entity: q.Get("entity"), Blueprint: q.Get("blueprint"),
		CreatedBy: q.Get("user_id"), ExternalRunID: q.Get("external_run_id"),
		Sources: append(q["source"], q["source[]"]...), Statuses: append(q["status"], q["status[]"]...)}
	if f.CreatedBy == "" {
		f.CreatedBy = q.Get("user_email")
	}
	for _, src := range f.Sources {
		if !slices.Contains(runSources, src) {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "source", Message: "must be UI, API or AUTOMATION"})
		}
	}
	for _, st := range f.Statuses {
		if !slices.Contains(runStatuses, st) {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "status",
				Message: strconv.Quote(st) + " is not a run status: use " + strings.Join(runStatuses, ", ")})
		}
	}
	if a := q.Get("active"); a != "" {
		b, err := strconv.ParseBool(a)
		if err != nil {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "active", Message: "must be true or false"})
		}
		f.Active = b
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "limit", Message: "must be a number from 1 to 1000"})
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	f, err := runFilter(r)
	if err != nil {
		return err
	}
	runs, err := s.Runs.List(r.Context(), f)
	if err != nil {
		return err
	}
	if version, err := runVersion(r); err != nil || version == "v1" {
		return s.writeV1Runs(w, r, runs, err)
	}
	return ok(w, http.StatusOK, "runs", nonNil(runs))
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := s.Runs.Run(r.Context(), r.PathValue("run"))
	if err != nil {
		return err
	}
	return s.writeRun(w, r, http.StatusOK, run, run.Run)
}

func (s *Server) getRunLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := 50, 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 50 {
			return berth.Invalid("bad query parameter", berth.FieldError{Field: "limit", Message: "must be a number from 1 to 50"})
		}
		limit = n
	}
	if o := q.Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 {
			return berth.Invalid("bad query parameter", berth.FieldError{Field: "offset", Message: "must be a number from 0"})
		}
		offset = n
	}
	logs, err := s.Runs.Logs(r.Context(), r.PathValue("run"), limit, offset)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "runLogs", logs)
}
