package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

func recordOf(ev *berth.Event) map[string]any {
	ctx := map[string]any{}
	if ev.Blueprint != "" {
		ctx["blueprint"] = ev.Blueprint
	}
	if ev.Entity != "" {
		ctx["entity"] = ev.Entity
	}
	if ev.ActionIdentifier != "" {
		ctx["action"] = ev.ActionIdentifier
	}
	if ev.RunID != "" {
		ctx["runId"] = ev.RunID
	}
	if ev.LinkedRunID != "" {
		ctx["runId"] = ev.LinkedRunID
	}
	if ev.Property != "" {
		ctx["property"] = ev.Property
	}
	return map[string]any{
		"identifier": ev.ID, "action": ev.Action, "resourceType": ev.ResourceType, "status": ev.Status,
		"trigger": ev.Trigger, "context": ctx,
		"diff": map[string]any{"before": rawOrNull(ev.Before), "after": rawOrNull(ev.After)},
	}
}

func rawOrNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

var auditFields = map[string]bool{"action": true, "context": true, "diff": true, "identifier": true,
	"resourceType": true, "status": true, "trigger": true, "additionalData": true, "message": true}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	f, includes, err := auditFilter(r)
	if err != nil {
		return err
	}
	events, err := s.Catalog.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(events))
	for i, ev := range events {
		rec := recordOf(ev)
		if len(includes) > 0 {
			kept := map[string]any{}
			for _, k := range includes {
				if v, ok := rec[k]; ok {
					kept[k] = v
				}
			}
			rec = kept
		}
		out[i] = rec
	}
	return ok(w, http.StatusOK, "audits", out)
}

func auditFilter(r *http.Request) (store.EventFilter, []string, error) {
	q := r.URL.Query()
	f := store.EventFilter{
		ID: q.Get("identifier"), Blueprint: q.Get("blueprint"), Entity: q.Get("entity"), RunID: q.Get("run_id"),
		Origins: q["origin"], Resources: q["resources"], Status: q.Get("status"),
	}
	if a := q.Get("action"); a != "" {
		f.Actions = []string{a}
	}
	var err error
	if f.From, err = timeParam(q.Get("from"), "from"); err != nil {
		return f, nil, err
	}
	if f.To, err = timeParam(q.Get("to"), "to"); err != nil {
		return f, nil, err
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10000 {
			return f, nil, berth.Invalid("bad query parameter", berth.FieldError{Field: "limit", Message: "must be a number from 1 to 10000"})
		}
		f.Limit = n
	}
	includes := q["includes"]
	for _, k := range includes {
		if !auditFields[k] {
			return f, nil, berth.Invalid("bad query parameter", berth.FieldError{Field: "includes", Message: strconv.Quote(k) + " is not a field of audit records"})
		}
	}
	return f, includes, nil
}

// timeParam normalizes a date-time query parameter to berth.TimeFormat so it
// compares with stored timestamps.
func timeParam(v, name string) (string, error) {
	if v == "" {
		return "", nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return "", berth.Invalid("bad query parameter", berth.FieldError{Field: name, Message: "must be an RFC 3339 date-time"})
	}
	return berth.FormatTime(t), nil
}
