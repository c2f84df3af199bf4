package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
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

// auditChoices are the query parameters of GET /v1/audit-log that take one
// of a few values, with those values and what to call one in an error.
var auditChoices = []struct {
	param, what string
	allow       []string
}{
	// The resource types the change log records.
	{"resources", "a resource type", []string{berth.ResourceBlueprint, berth.ResourceEntity, berth.ResourceRun, berth.ResourceAction}},
	// The outcome of the change (berth records only changes made).
	{"status", "a status", []string{"SUCCESS", "FAILURE"}},
	{"actionType", "an action type", []string{berth.TriggerAutomation, berth.TriggerSelfService}},
}

// auditFilter reads the query parameters of GET /v1/audit-log (spec 11.9).
// A value the parameter does not take is a 422 that names the parameter.
//
// actionType keeps the records about actions of that kind: the changes of
// runs of automations (actionType=automation) or of self-service actions
// (self-service), and the changes of the automations or self-service
// actions themselves. Records of blueprints and entities are about no
// action and never match, not even an entity write made on behalf of an
// automation's run (run_id finds those). See store.EventFilter.ActionType.
func auditFilter(r *http.Request) (store.EventFilter, []string, error) {
	q := r.URL.Query()
	for _, c := range auditChoices {
		if err := oneOf(q[c.param], c.param, c.what, c.allow); err != nil {
			return store.EventFilter{}, nil, err
		}
	}
	f := store.EventFilter{
		ID: q.Get("identifier"), Blueprint: q.Get("blueprint"), Entity: q.Get("entity"), RunID: q.Get("run_id"),
		Origins: q["origin"], Resources: slices.DeleteFunc(q["resources"], isEmpty), Status: q.Get("status"),
		ActionType: q.Get("actionType"),
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

// oneOf checks every value given for the query parameter name against
// allow; what names a value in the message. An empty value is no value, as
// for the other parameters.
func oneOf(vals []string, name, what string, allow []string) error {
	for _, v := range vals {
		if v != "" && !slices.Contains(allow, v) {
			return berth.Invalid("bad query parameter", berth.FieldError{Field: name,
				Message: strconv.Quote(v) + " is not " + what + " of audit records: use " + strings.Join(allow, ", ")})
		}
	}
	return nil
}

func isEmpty(s string) bool { return s == "" }

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
