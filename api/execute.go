package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/service"
)

// executeAction is POST /v1/actions/{action}/runs (spec 7.3): 202 with
// the new run.
func (s *Server) executeAction(w http.ResponseWriter, r *http.Request) error {
	var req service.ExecuteRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	req.RunAs = r.URL.Query().Get("run_as")
	run, err := s.Execution.Execute(r.Context(), s.change(r), r.PathValue("action"), req)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, http.StatusAccepted, run, run)
}

// patchRun is PATCH /v1/actions/runs/{run} (spec 7.5).
func (s *Server) patchRun(w http.ResponseWriter, r *http.Request) error {
	var p service.RunPatch
	if err := decodeBody(w, r, &p); err != nil {
		return err
	}
	run, err := s.Execution.Patch(r.Context(), s.change(r), r.PathValue("run"), p)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, http.StatusOK, run, run)
}

// setRunResponse is PATCH /v1/actions/runs/{run}/response (spec 7.10).
func (s *Server) setRunResponse(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Response json.RawMessage `json:"response"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	run, err := s.Execution.SetResponse(r.Context(), s.change(r), r.PathValue("run"), body.Response)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, http.StatusOK, run, run)
}

// addRunLog is POST /v1/actions/runs/{run}/logs (spec 7.6): 201.
func (s *Server) addRunLog(w http.ResponseWriter, r *http.Request) error {
	var l service.LogRequest
	if err := decodeBody(w, r, &l); err != nil {
		return err
	}
	log, err := s.Execution.AddLog(r.Context(), s.change(r), r.PathValue("run"), l)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "runLog", log)
}

// decideApproval is PATCH /v1/actions/runs/{run}/approval (spec 7.7): 201.
func (s *Server) decideApproval(w http.ResponseWriter, r *http.Request) error {
	var req service.ApprovalRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	run, err := s.Execution.Decide(r.Context(), s.change(r), r.PathValue("run"), req)
	if err != nil {
		return err
	}
	return s.writeRun(w, r, http.StatusCreated, run, run)
}

// listApprovers is GET /v1/actions/runs/{run}/approvers (spec 7.7).
func (s *Server) listApprovers(w http.ResponseWriter, r *http.Request) error {
	pending := false
	if v := r.URL.Query().Get("include_pending_approvers"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return berth.Invalid("bad query parameter", berth.FieldError{Field: "include_pending_approvers", Message: "must be true or false"})
		}
		pending = b
	}
	approvers, err := s.Execution.Approvers(r.Context(), r.PathValue("run"), pending)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "approvers", approvers)
}
