package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/auth"
	"github.com/berthdev/berth/service"
)

// claimRequest is the body of POST /v1/actions/runs/claim-pending (spec
// 7.10). Unknown fields are ignored: the workers that call this route are
// Port's (Ocean integrations, the execution agent), not ours.
type claimRequest struct {
	InstallationID      string   `json:"installationId"`
	Limit               *int     `json:"limit"`
	VisibilityTimeoutMS *int64   `json:"visibilityTimeoutMs"`
	Exclude             []string `json:"exclude"`
	InvocationMethod    string   `json:"invocationMethod"`
}

// claimPending hands runs waiting for an installation to the caller. The
// x-port-reserved-usage header Port's workers send is accepted, not needed.
func (s *Server) claimPending(w http.ResponseWriter, r *http.Request) error {
	if p := auth.FromContext(r.Context()); p == nil || !p.Machine {
		return berth.Errorf(berth.CodeForbidden, "only the organization's credentials may claim runs (spec 6.3): runs carry their secrets")
	}
	buf, err := readBody(w, r)
	if err != nil {
		return err
	}
	var req claimRequest
	if err := json.Unmarshal(buf, &req); err != nil {
		return berth.Invalid("the json provided does not match the route's schema",
			berth.FieldError{Field: "/", Message: "must be an object with installationId, limit, visibilityTimeoutMs, exclude"})
	}
	claim := service.ClaimRequest{InstallationID: req.InstallationID, InvocationType: req.InvocationMethod, Exclude: req.Exclude}
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > service.MaxClaimLimit {
			return berth.Invalid("bad claim", berth.FieldError{Field: "/limit", Message: "must be a number from 1 to 1000"})
		}
		claim.Limit = *req.Limit
	}
	if req.VisibilityTimeoutMS != nil {
		d := time.Duration(*req.VisibilityTimeoutMS) * time.Millisecond
		if d <= 0 || d > service.MaxClaimVisibility {
			return berth.Invalid("bad claim", berth.FieldError{Field: "/visibilityTimeoutMs", Message: "must be from 1 to 86400000"})
		}
		claim.Visibility = d
	}
	runs, err := s.Runs.ClaimPending(r.Context(), claim)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "runs", runs)
}

type ackRequest struct {
	RunID  string   `json:"runId"`
	RunIDs []string `json:"runIds"`
}

// ackRuns acknowledges claimed runs: {"runId"} answers 409 when another
// worker acknowledged the run first; {"runIds"} answers how many it
// acknowledged.
func (s *Server) ackRuns(w http.ResponseWriter, r *http.Request) error {
	if p := auth.FromContext(r.Context()); p == nil || !p.Machine {
		return berth.Errorf(berth.CodeForbidden, "only the organization's credentials may acknowledge runs (spec 6.3): an acknowledged run is never handed out again")
	}
	var req ackRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.RunID != "" && req.RunIDs == nil:
		if err := s.Runs.AckPending(r.Context(), req.RunID); err != nil {
			return err
		}
		return ok(w, http.StatusOK, "", nil)
	case req.RunID == "" && len(req.RunIDs) > 0:
		n, err := s.Runs.AckPendingMany(r.Context(), req.RunIDs)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "ackedCount": n})
		return nil
	}
	return berth.Invalid("send either runId or runIds", berth.FieldError{Field: "/runId", Message: "either runId or a non-empty runIds is required"})
}
