package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/store"
)

func (s *Server) listActions(w http.ResponseWriter, r *http.Request) error {
	f, err := actionFilter(r)
	if err != nil {
		return err
	}
	actions, err := s.Actions.List(r.Context(), f)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "actions", nonNil(actions))
}

// actionFilter reads the filters of GET /v1/actions (spec 11.3). Array
// parameters may be repeated, with or without the [] suffix.
func actionFilter(r *http.Request) (store.ActionFilter, error) {
	q := r.URL.Query()
	list := func(name string) []string { return append(q[name], q[name+"[]"]...) }
	f := store.ActionFilter{
		Identifiers: list("action_identifier"), Blueprints: list("blueprint_identifier"), Operations: list("operation"),
		EventTypes: list("trigger_event"), ActionRefs: list("trigger_event_action_identifier"), TriggerType: q.Get("trigger_type"),
	}
	if f.TriggerType != "" && f.TriggerType != berth.TriggerAutomation && f.TriggerType != berth.TriggerSelfService {
		return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "trigger_type", Message: "must be automation or self-service"})
	}
	for _, o := range f.Operations {
		if !slices.Contains(action.Operations, o) {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "operation", Message: strconv.Quote(o) + " is not an operation: use CREATE, DAY-2 or DELETE"})
		}
	}
	for _, t := range f.EventTypes {
		if !slices.Contains(action.EventTypes, t) {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "trigger_event", Message: strconv.Quote(t) + " is not an event type"})
		}
	}
	if p := q.Get("published"); p != "" {
		b, err := strconv.ParseBool(p)
		if err != nil {
			return f, berth.Invalid("bad query parameter", berth.FieldError{Field: "published", Message: "must be true or false"})
		}
		f.Published = &b
	}
	return f, nil
}

func (s *Server) getAction(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Actions.Action(r.Context(), r.PathValue("action"))
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "action", a)
}

func (s *Server) createAction(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	a, err := s.Actions.Create(r.Context(), s.change(r), body)
	if err != nil {
		return err
	}
	return ok(w, http.StatusCreated, "action", a)
}

func (s *Server) replaceAction(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	a, err := s.Actions.Replace(r.Context(), s.change(r), r.PathValue("action"), body)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, "action", a)
}

func (s *Server) deleteAction(w http.ResponseWriter, r *http.Request) error {
	if err := s.Actions.Delete(r.Context(), s.change(r), r.PathValue("action")); err != nil {
		return err
	}
	return ok(w, http.StatusOK, "", nil)
}
