package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// runsLimit is how many runs the runs page lists.
const runsLimit = 100

// flashes are the notices a redirect may ask a page to show (?done=).
var flashes = map[string]string{
	"retried":     "Delivery retried: the run is in progress again and a new attempt is on its way.",
	"rerun":       "This is a new run, re-run from the original's trigger data.",
	"published":   "Published: the automation fires on its events.",
	"unpublished": "Unpublished: the automation no longer fires.",
}

type runsView struct {
	base
	Actions  []*berth.Action
	Statuses []string
	Action   string // the filters
	Status   string
	Entity   string
	Runs     []*berth.Run
	Limit    int
}

var runStatuses = []string{berth.RunInProgress, berth.RunWaitingForApproval, berth.RunSuccess, berth.RunFailure, berth.RunDeclined}

func (c *Console) runsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	v := &runsView{base: s.base("Runs", "runs"), Statuses: runStatuses, Limit: runsLimit,
		Action: q.Get("action"), Status: q.Get("status"), Entity: q.Get("entity")}
	f := store.RunFilter{Action: v.Action, Entity: v.Entity, Limit: runsLimit}
	if v.Status != "" {
		f.Statuses = []string{v.Status}
	}
	var err error
	if v.Runs, err = c.cfg.Runs.List(r.Context(), f); err != nil {
		return err
	}
	if v.Actions, err = c.cfg.Actions.List(r.Context(), store.ActionFilter{}); err != nil {
		return err
	}
	return c.render(w, r, http.StatusOK, "runs", v)
}

type runView struct {
	base
	Run         *service.RunView
	TriggerData json.RawMessage
	Logs        []*berth.RunLog
	CanRetry    bool
	NoRetry     string // why the run cannot be retried
	Problem     string // why the last retry or re-run was refused
}

func (c *Console) runPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showRun(w, r, s, http.StatusOK, "")
}

// showRun renders a run's page, with a problem to report when an
// operation on it was refused.
func (c *Console) showRun(w http.ResponseWriter, r *http.Request, s *session, status int, problem string) error {
	ctx, id := r.Context(), r.PathValue("run")
	run, err := c.cfg.Runs.Run(ctx, id)
	if err != nil {
		return err
	}
	v := &runView{base: s.base("Run "+id, "runs"), Run: run, Problem: problem}
	v.Flash = flashes[r.URL.Query().Get("done")]
	if v.TriggerData, err = c.cfg.Runs.TriggerData(ctx, id); err != nil {
		return err
	}
	if v.Logs, err = c.cfg.Runs.Logs(ctx, id, 0, 0); err != nil {
		return err
	}
	v.CanRetry, v.NoRetry = service.Retryable(run.Run, run.Attempts)
	return c.render(w, r, status, "run", v)
}

// retry re-delivers a failed run (service.Operator.Retry) and shows it.
func (c *Console) retry(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("run")
	if _, err := c.cfg.Operator.Retry(r.Context(), s.change, id); err != nil {
		return c.refused(w, r, s, err)
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(id)+"?done=retried", http.StatusSeeOther)
	return nil
}

// rerun makes a new run from a run's trigger data (service.Operator.Rerun)
// and shows the new run.
func (c *Console) rerun(w http.ResponseWriter, r *http.Request, s *session) error {
	run, err := c.cfg.Operator.Rerun(r.Context(), s.change, r.PathValue("run"))
	if err != nil {
		return c.refused(w, r, s, err)
	}
	http.Redirect(w, r, "/runs/"+url.PathEscape(run.ID)+"?done=rerun", http.StatusSeeOther)
	return nil
}

// refused shows the run page again with why an operation on it was
// refused; errors that are not the operator's to fix become the error page.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, s *session, err error) error {
	var e *berth.Error
	if !errors.As(err, &e) || e.Code == berth.CodeNotFound {
		return err
	}
	return c.showRun(w, r, s, e.Code.HTTPStatus(), e.Message)
}
