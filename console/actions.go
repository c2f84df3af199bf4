package console

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// recentEvents is how many events the test panel offers.
const recentEvents = 20

type actionsView struct {
	base
	Automations bool // automations, or self-service actions
	Actions     []*actionRow
}

// actionRow is an action as the lists and the action page show it.
type actionRow struct {
	*berth.Action
	Title          string
	InvocationType string
}

func rowOf(a *berth.Action) *actionRow {
	var doc struct {
		Title            string `json:"title"`
		InvocationMethod struct {
			Type string `json:"type"`
		} `json:"invocationMethod"`
	}
	json.Unmarshal(a.Doc, &doc)
	return &actionRow{Action: a, Title: doc.Title, InvocationType: doc.InvocationMethod.Type}
}

func (c *Console) automationsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.listActions(w, r, s, berth.TriggerAutomation)
}

func (c *Console) actionsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.listActions(w, r, s, berth.TriggerSelfService)
}

func (c *Console) listActions(w http.ResponseWriter, r *http.Request, s *session, trigger string) error {
	list, err := c.cfg.Actions.List(r.Context(), store.ActionFilter{TriggerType: trigger})
	if err != nil {
		return err
	}
	v := &actionsView{base: s.base("Self-service actions", "actions")}
	if trigger == berth.TriggerAutomation {
		v.base, v.Automations = s.base("Automations", "automations"), true
	}
	v.Flash = flashes[r.URL.Query().Get("done")]
	for _, a := range list {
		v.Actions = append(v.Actions, rowOf(a))
	}
	return c.render(w, r, http.StatusOK, "actions", v)
}

type actionView struct {
	base
	Action     *actionRow
	Automation bool
	Definition json.RawMessage
	Events     []*berth.Event // recent events the test panel offers
	EventID    string         // the event tested
	DryRun     *service.DryRun
}

// actionPage shows an action's definition and, for automations, the
// publish switch and the test panel (?event= runs the test).
func (c *Console) actionPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, id := r.Context(), r.PathValue("action")
	a, err := c.cfg.Actions.Action(ctx, id)
	if err != nil {
		return err
	}
	row := rowOf(a)
	nav := "actions"
	if a.TriggerType == berth.TriggerAutomation {
		nav = "automations"
	}
	v := &actionView{base: s.base(titleOr(row.Title, id), nav), Action: row, Definition: a.Doc,
		Automation: a.TriggerType == berth.TriggerAutomation, EventID: r.URL.Query().Get("event")}
	v.Flash = flashes[r.URL.Query().Get("done")]
	if v.Automation {
		if v.Events, err = c.cfg.Operator.RecentEvents(ctx, id, recentEvents); err != nil {
			return err
		}
		if v.EventID != "" {
			if v.DryRun, err = c.cfg.Operator.DryRun(ctx, id, v.EventID); err != nil {
				return err
			}
		}
	}
	return c.render(w, r, http.StatusOK, "action", v)
}

// publish publishes or unpublishes an automation, then goes back to the
// page the form was on.
func (c *Console) publish(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("action")
	on := r.PostFormValue("publish") == "true"
	if _, err := c.cfg.Operator.SetPublished(r.Context(), s.change, id, on); err != nil {
		return err
	}
	back := "/actions/" + url.PathEscape(id)
	if r.PostFormValue("from") == "list" {
		back = "/automations"
	}
	done := "unpublished"
	if on {
		done = "published"
	}
	http.Redirect(w, r, back+"?done="+done, http.StatusSeeOther)
	return nil
}

func titleOr(title, id string) string {
	if title != "" {
		return title
	}
	return id
}
