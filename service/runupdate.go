package service

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// RunPatch is the body of PATCH /v1/actions/runs/{id} (spec 7.5); absent
// fields are left alone, present ones replace.
type RunPatch struct {
	Status        *string         `json:"status"`
	StatusLabel   *string         `json:"statusLabel"`
	Link          json.RawMessage `json:"link"` // a string or an array of strings
	Summary       *string         `json:"summary"`
	ExternalRunID *string         `json:"externalRunId"`
	// Message is deprecated: older clients send {"message": "..."}; it is
	// added to the run's log.
	Message json.RawMessage `json:"message"`
}

// LogRequest is the body of POST /v1/actions/runs/{id}/logs (spec 7.6).
type LogRequest struct {
	Message           *string `json:"message"`
	TerminationStatus *string `json:"terminationStatus"`
	StatusLabel       *string `json:"statusLabel"`
}

func errFinished(run *berth.Run) error {
	return berth.Errorf(berth.CodeUnprocessable, "run %s has finished (%s) and can no longer be changed", run.ID, run.Status)
}

// update changes run id in one transaction: change edits the run and says
// whether its document changed; if so the run is stored (only if its
// status did not move meanwhile) with a RUN_UPDATED event, and a run that
// reached an end state gets its endedAt. Errors: not_found, conflict, and
// change's own.
func (x *Execution) update(ctx context.Context, ch Change, id string, change func(q *store.Queries, run *berth.Run) (bool, error)) (*berth.Run, error) {
	var out *berth.Run
	err := x.db.Write(ctx, func(q *store.Queries) error {
		run, err := q.Run(ctx, id)
		if err != nil {
			return err
		}
		before := CloneRun(run)
		changed, err := change(q, run)
		if err != nil || !changed {
			out = run
			return err
		}
		now := x.now()
		at := berth.FormatTime(now)
		run.UpdatedAt, run.UpdatedBy = at, ch.by()
		if berth.IsTerminal(run.Status) && !berth.IsTerminal(before.Status) {
			run.EndedAt = &at
		}
		if err := q.UpdateRunFrom(ctx, run, before.Status); err != nil {
			return err
		}
		out = run
		return RecordRunChange(ctx, q, ch.trigger(now), before, run)
	})
	return out, err
}

// shown returns a run that update returned as a response shows it: its
// references marked deleted where they no longer exist (AddLog, which
// shows no run, does not ask).
func (x *Execution) shown(ctx context.Context, run *berth.Run, err error) (*berth.Run, error) {
	if err != nil {
		return nil, err
	}
	return run, markDeleted(ctx, x.db.Read(), run)
}

// Patch reports a run's progress or end (spec 7.5). A run waiting for
// approval can only be withdrawn (status FAILURE). Errors: not_found,
// unprocessable (finished run, bad field), conflict.
func (x *Execution) Patch(ctx context.Context, ch Change, id string, p RunPatch) (*berth.Run, error) {
	link, err := decodeLink(p.Link)
	if err != nil {
		return nil, err
	}
	run, err := x.update(ctx, ch, id, func(q *store.Queries, run *berth.Run) (bool, error) {
		if berth.IsTerminal(run.Status) {
			return false, errFinished(run)
		}
		if p.Status != nil {
			if err := finish(run, *p.Status, "/status"); err != nil {
				return false, err
			}
		}
		if len(p.Message) > 0 && string(p.Message) != "null" {
			if err := AddRunLog(ctx, q, run.ID, ch.by(), legacyMessage(p.Message), x.now()); err != nil {
				return false, err
			}
		}
		setIf(&run.StatusLabel, p.StatusLabel)
		setIf(&run.Summary, p.Summary)
		setIf(&run.ExternalRunID, p.ExternalRunID)
		if link != nil {
			run.Link = link
		}
		return p.Status != nil || p.StatusLabel != nil || p.Summary != nil || p.ExternalRunID != nil || link != nil, nil
	})
	return x.shown(ctx, run, err)
}

// AddLog adds a line to a run's log; a terminationStatus ends the run
// (spec 7.6). Plain lines are accepted after the run ended (Port's
// execution agent writes its last line after reporting the status); a
// terminationStatus or statusLabel then is refused. Errors: not_found,
// unprocessable, conflict.
func (x *Execution) AddLog(ctx context.Context, ch Change, id string, l LogRequest) (*berth.RunLog, error) {
	if l.Message == nil {
		return nil, berth.Invalid("the json provided does not match the route's schema", berth.FieldError{Field: "/message", Message: "is required"})
	}
	log := &berth.RunLog{ID: berth.NewID("log_", 16), RunID: id, Message: *l.Message, CreatedBy: ch.by(), CreatedAt: berth.FormatTime(x.now())}
	_, err := x.update(ctx, ch, id, func(q *store.Queries, run *berth.Run) (bool, error) {
		ends := l.TerminationStatus != nil || l.StatusLabel != nil
		if berth.IsTerminal(run.Status) && ends {
			return false, errFinished(run)
		}
		if l.TerminationStatus != nil {
			if err := finish(run, *l.TerminationStatus, "/terminationStatus"); err != nil {
				return false, err
			}
		}
		setIf(&run.StatusLabel, l.StatusLabel)
		return ends, q.AppendRunLog(ctx, log)
	})
	if err != nil {
		return nil, err
	}
	return log, nil
}

// SetResponse stores what a run's backend answered (PATCH
// /v1/actions/runs/{id}/response, used by Port's execution agent for
// synchronized webhooks). Errors: not_found, unprocessable.
func (x *Execution) SetResponse(ctx context.Context, ch Change, id string, response json.RawMessage) (*berth.Run, error) {
	if len(response) == 0 {
		return nil, berth.Invalid("the json provided does not match the route's schema", berth.FieldError{Field: "/response", Message: "is required"})
	}
	run, err := x.update(ctx, ch, id, func(q *store.Queries, run *berth.Run) (bool, error) {
		if berth.IsTerminal(run.Status) {
			return false, errFinished(run)
		}
		run.Response = response
		return true, nil
	})
	return x.shown(ctx, run, err)
}

// finish moves run to an end status reported by its backend or requester.
func finish(run *berth.Run, status, field string) error {
	switch {
	case status != berth.RunSuccess && status != berth.RunFailure:
		return berth.Invalid("a run can only be finished", berth.FieldError{Field: field, Message: "must be SUCCESS or FAILURE"})
	case run.Status == berth.RunWaitingForApproval && status == berth.RunSuccess:
		return berth.Invalid("a run waiting for approval can only be withdrawn",
			berth.FieldError{Field: field, Message: "must be FAILURE: run " + run.ID + " was not approved yet"})
	}
	run.Status = status
	return nil
}

// decodeLink reads link: a string or an array of strings.
func decodeLink(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, berth.Invalid("the json provided does not match the route's schema", berth.FieldError{Field: "/link", Message: "must be a string or an array of strings"})
	}
	if many == nil {
		many = []string{}
	}
	return many, nil
}

// legacyMessage is the log line of a deprecated "message" object.
func legacyMessage(raw json.RawMessage) string {
	var m struct {
		Message *string `json:"message"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Message != nil {
		return *m.Message
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func setIf(dst **string, v *string) {
	if v != nil {
		*dst = v
	}
}
