package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/delivery"
)

// state is what a follow-up looks at: the dispatched workflow and, once
// known, the workflow run it started.
type state struct {
	Owner        string `json:"owner"` // path-escaped
	Repo         string `json:"repo"`
	Workflow     string `json:"workflow"`
	Ref          string `json:"ref"`
	RunID        int64  `json:"runId,omitempty"`
	DispatchedAt int64  `json:"dispatchedAt"` // Unix seconds
	Deadline     int64  `json:"deadline"`     // stop looking for the run after this
}

// clockSkew is how much earlier than the dispatch (by berth's clock) a
// workflow run may have been created (by GitHub's).
const clockSkew = 10 * time.Second

func (b *Backend) followUp(st state) *delivery.FollowUp {
	raw, _ := json.Marshal(st)
	return &delivery.FollowUp{After: b.cfg.PollInterval, State: raw}
}

// Follow finds the workflow run the dispatch started, if it is not known
// yet, and finishes the berth run once the workflow run has completed.
func (b *Backend) Follow(ctx context.Context, req delivery.Request, raw json.RawMessage) delivery.Result {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: "bad follow-up state: " + err.Error()}
	}
	t := target{owner: st.Owner, repo: st.Repo, workflow: st.Workflow}
	token, err := b.token(ctx, t)
	if err != nil {
		return errorResult(err, false)
	}
	if st.RunID == 0 {
		return b.find(ctx, req, t, token, st)
	}
	var run workflowRun
	if _, err := b.call(ctx, http.MethodGet, t.repoPath()+"/actions/runs/"+strconv.FormatInt(st.RunID, 10), token, nil, &run); err != nil {
		return errorResult(err, isNotFound(err))
	}
	return b.look(&run, st, nil)
}

// look finishes the berth run when the workflow run completed, else
// schedules another look.
func (b *Backend) look(run *workflowRun, st state, p *delivery.Progress) delivery.Result {
	res := delivery.Result{Outcome: delivery.Delivered, Target: run.HTMLURL, Progress: p}
	if run.Status == "completed" {
		res.Finish = conclusion(run)
		res.Logs = append(res.Logs, fmt.Sprintf("Workflow run %d completed: %s", run.ID, run.Conclusion))
		return res
	}
	st.RunID = run.ID
	res.Follow = b.followUp(st)
	return res
}

// find looks for the workflow run the dispatch started (see the package
// documentation for how).
func (b *Backend) find(ctx context.Context, req delivery.Request, t target, token string, st state) delivery.Result {
	q := url.Values{"event": {"workflow_dispatch"}, "branch": {branch(st.Ref)}, "per_page": {"100"},
		"created": {">=" + time.Unix(st.DispatchedAt, 0).Add(-clockSkew).UTC().Format(time.RFC3339)}}
	var list struct {
		WorkflowRuns []workflowRun `json:"workflow_runs"`
	}
	path := t.repoPath() + "/actions/workflows/" + t.workflow + "/runs?" + q.Encode()
	if _, err := b.call(ctx, http.MethodGet, path, token, nil, &list); err != nil {
		return errorResult(err, false)
	}
	run := b.pick(list.WorkflowRuns, req.Run.ID)
	if run == nil {
		if b.cfg.Now().Unix() > st.Deadline {
			return delivery.Result{Outcome: delivery.Delivered, Logs: []string{
				"Could not find the workflow run the dispatch started; its status will not be reported (the workflow can report it through the runs API)"}}
		}
		return delivery.Result{Outcome: delivery.Delivered, Follow: b.followUp(st)}
	}
	res := b.look(run, st, progress(run))
	res.Logs = append([]string{fmt.Sprintf("Found workflow run %d: %s", run.ID, run.HTMLURL)}, res.Logs...)
	return res
}

// pick chooses among the candidate workflow runs: one whose name carries
// the berth run id, else the oldest one not taken by another dispatch.
func (b *Backend) pick(runs []workflowRun, berthRunID string) *workflowRun {
	for i := range runs {
		if strings.Contains(runs[i].DisplayTitle, berthRunID) || strings.Contains(runs[i].Name, berthRunID) {
			b.taken.Store(runs[i].ID, berthRunID)
			return &runs[i]
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		return runs[i].CreatedAt.Before(runs[j].CreatedAt) || runs[i].CreatedAt.Equal(runs[j].CreatedAt) && runs[i].ID < runs[j].ID
	})
	for i := range runs {
		if owner, loaded := b.taken.LoadOrStore(runs[i].ID, berthRunID); !loaded || owner == berthRunID {
			return &runs[i]
		}
	}
	return nil
}

// branch is the branch (or tag) name GitHub filters workflow runs by.
func branch(ref string) string {
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if s, ok := strings.CutPrefix(ref, p); ok {
			return s
		}
	}
	return ref
}

func isNotFound(err error) bool {
	e, ok := err.(*apiError)
	return ok && e.Status == http.StatusNotFound
}
