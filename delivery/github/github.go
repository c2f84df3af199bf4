// Package github delivers GITHUB invocations (spec 6.2): it starts a GitHub
// Actions workflow with workflow_dispatch and, when reportWorkflowStatus is
// true (the default), follows the workflow run it started and finishes the
// berth run from its conclusion: success, skipped or neutral → SUCCESS,
// anything else → FAILURE, with the workflow run's page as the run's link.
//
// It talks to Config.APIURL (GitHub Enterprise Server: https://HOST/api/v3)
// with a token (a PAT or fine-grained token with actions:write) or as a
// GitHub App installation (Actions read & write, Contents read), whose token
// it gets from the App's JWT and caches until shortly before it expires.
//
// Finding the workflow run a dispatch started: GitHub answers a dispatch
// sent with return_run_details with the run's id, and berth uses it. Older
// GitHub Enterprise versions answer 204 with nothing; berth then lists the
// workflow's runs with event=workflow_dispatch, branch=<ref> and
// created >= the dispatch time (less 10s of clock skew), and takes the run
// whose name (run-name) contains the berth run id if there is one, else the
// oldest such run no earlier dispatch of this process took. Workflows that
// may be dispatched several times at once should set
// `run-name: ${{ inputs.port_run_id }}` (or any input carrying the run id)
// so the match is exact.
package github

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
)

// Config configures the backend: APIURL and one of Token or AppID with
// AppPrivateKey.
type Config struct {
	// APIURL is the REST API root (BERTH_GITHUB_API_URL, default
	// https://api.github.com).
	APIURL string
	// Token authenticates every call (BERTH_GITHUB_TOKEN).
	Token string
	// AppID (the App ID or client ID) and AppPrivateKey (PEM) authenticate
	// as the App's installation on each repository's owner
	// (BERTH_GITHUB_APP_ID, BERTH_GITHUB_APP_PRIVATE_KEY).
	AppID         string
	AppPrivateKey []byte
	// PollInterval is how often a started workflow run is looked at
	// (BERTH_GITHUB_POLL_INTERVAL, default 15s).
	PollInterval time.Duration
	// FindTimeout is how long to look for the workflow run a dispatch
	// started before giving up following it (default 10m); the run then
	// stays IN_PROGRESS for the workflow to report.
	FindTimeout time.Duration
	// Client sends the requests (default: a client with a 30s timeout).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Backend delivers GITHUB invocations and follows the runs it starts.
type Backend struct {
	cfg Config
	app *appAuth // nil with a token
	// taken maps workflow run ids found without a run id in their name to
	// the berth run that took them, so that two dispatches of one workflow
	// do not both follow the same workflow run.
	taken sync.Map
}

var (
	_ delivery.Backend  = (*Backend)(nil)
	_ delivery.Follower = (*Backend)(nil)
)

// New returns a Backend; the error names the setting that is wrong.
func New(cfg Config) (*Backend, error) {
	cfg.APIURL = strings.TrimRight(cmp.Or(cfg.APIURL, "https://api.github.com"), "/")
	cfg.PollInterval = cmp.Or(cfg.PollInterval, 15*time.Second)
	cfg.FindTimeout = cmp.Or(cfg.FindTimeout, 10*time.Minute)
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("BERTH_GITHUB_API_URL %q: want an http(s) URL", cfg.APIURL)
	}
	b := &Backend{cfg: cfg}
	switch {
	case cfg.AppID != "" && len(cfg.AppPrivateKey) > 0:
		key, err := parsePrivateKey(cfg.AppPrivateKey)
		if err != nil {
			return nil, fmt.Errorf("BERTH_GITHUB_APP_PRIVATE_KEY: %w", err)
		}
		b.app = &appAuth{id: cfg.AppID, key: key, installations: map[string]int64{}, tokens: map[int64]installationToken{}}
	case cfg.AppID != "" || len(cfg.AppPrivateKey) > 0:
		return nil, errors.New("BERTH_GITHUB_APP_ID and BERTH_GITHUB_APP_PRIVATE_KEY must be set together")
	case cfg.Token == "":
		return nil, errors.New("BERTH_GITHUB_TOKEN or BERTH_GITHUB_APP_ID with BERTH_GITHUB_APP_PRIVATE_KEY is required")
	}
	return b, nil
}

// invocation is the rendered GITHUB invocation method.
type invocation struct {
	Org                  string                     `json:"org"`
	Repo                 string                     `json:"repo"`
	Workflow             json.RawMessage            `json:"workflow"` // a file name or a numeric id
	WorkflowInputs       map[string]json.RawMessage `json:"workflowInputs"`
	ReportWorkflowStatus *delivery.FlexBool         `json:"reportWorkflowStatus"`
}

// target is the repository and workflow of an invocation, path-escaped.
type target struct{ owner, repo, workflow string }

func (t target) repoPath() string { return "/repos/" + t.owner + "/" + t.repo }

func parse(payload json.RawMessage) (*invocation, target, error) {
	var inv invocation
	if err := json.Unmarshal(payload, &inv); err != nil {
		return nil, target{}, errors.New("the rendered invocation is not a GITHUB invocation: " + err.Error())
	}
	var wf string
	if err := json.Unmarshal(inv.Workflow, &wf); err != nil {
		wf = strings.TrimSpace(string(inv.Workflow)) // a numeric id
	}
	var t target
	var err error
	if t.owner, err = segment("org", inv.Org); err != nil {
		return nil, t, err
	}
	if t.repo, err = segment("repo", inv.Repo); err != nil {
		return nil, t, err
	}
	if t.workflow, err = segment("workflow", wf); err != nil {
		return nil, t, err
	}
	return &inv, t, nil
}

// token returns the bearer token for calls about owner/repo.
func (b *Backend) token(ctx context.Context, t target) (string, error) {
	if b.app == nil {
		return b.cfg.Token, nil
	}
	return b.appToken(ctx, t.owner, t.repo)
}

// Deliver dispatches the workflow. Answers that will not change (the
// workflow or ref does not exist, inputs refused, no permission) fail the
// run with GitHub's message; network errors, 5xx and rate limits are
// retried.
func (b *Backend) Deliver(ctx context.Context, req delivery.Request) delivery.Result {
	inv, t, err := parse(req.Payload)
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: err.Error()}
	}
	token, err := b.token(ctx, t)
	if err != nil {
		return errorResult(err, true)
	}
	ref, inputs, err := b.refAndInputs(ctx, t, token, inv.WorkflowInputs)
	if err != nil {
		return errorResult(err, true)
	}
	dispatchedAt := b.cfg.Now()
	run, err := b.dispatch(ctx, t, token, ref, inputs)
	if err != nil {
		return errorResult(err, true)
	}
	res := delivery.Result{Outcome: delivery.Delivered, Target: b.cfg.APIURL + t.repoPath() + "/actions/workflows/" + t.workflow,
		StatusCode: http.StatusNoContent,
		Logs:       []string{fmt.Sprintf("Dispatched workflow %s of %s/%s on %s", unescape(t.workflow), inv.Org, inv.Repo, ref)}}
	if run != nil {
		res.StatusCode = http.StatusOK
		res.Progress = progress(run)
	}
	if inv.ReportWorkflowStatus == nil || bool(*inv.ReportWorkflowStatus) {
		st := state{Owner: t.owner, Repo: t.repo, Workflow: t.workflow, Ref: ref, RunID: runID(run),
			DispatchedAt: dispatchedAt.Unix(), Deadline: dispatchedAt.Add(b.cfg.FindTimeout).Unix()}
		res.Follow = b.followUp(st)
	}
	return res
}

// refAndInputs takes ref out of the inputs (default: the repository's
// default branch) and turns the other values into strings, as GitHub wants.
func (b *Backend) refAndInputs(ctx context.Context, t target, token string, raw map[string]json.RawMessage) (string, map[string]string, error) {
	inputs := make(map[string]string, len(raw))
	ref := ""
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v) // a number, object, array, boolean: its JSON text
		}
		if k == "ref" {
			ref = s
			continue
		}
		inputs[k] = s
	}
	if ref != "" && ref != "null" {
		return ref, inputs, nil
	}
	var repo struct {
		DefaultBranch string `json:"default_branch"`
	}
	if _, err := b.call(ctx, http.MethodGet, t.repoPath(), token, nil, &repo); err != nil {
		return "", nil, err
	}
	return cmp.Or(repo.DefaultBranch, "main"), inputs, nil
}

// workflowRun is what berth reads of a GitHub workflow run.
type workflowRun struct {
	ID           int64     `json:"id"`
	HTMLURL      string    `json:"html_url"`
	Name         string    `json:"name"`
	DisplayTitle string    `json:"display_title"`
	Status       string    `json:"status"`
	Conclusion   string    `json:"conclusion"`
	CreatedAt    time.Time `json:"created_at"`
}

// dispatch starts the workflow. GitHub answers 200 with the run's id when
// it knows return_run_details, 204 otherwise; a GitHub that refuses the
// parameter (422 naming it) is asked again without it.
func (b *Backend) dispatch(ctx context.Context, t target, token, ref string, inputs map[string]string) (*workflowRun, error) {
	path := t.repoPath() + "/actions/workflows/" + t.workflow + "/dispatches"
	var details struct {
		WorkflowRunID int64  `json:"workflow_run_id"`
		HTMLURL       string `json:"html_url"`
	}
	_, err := b.call(ctx, http.MethodPost, path, token, map[string]any{"ref": ref, "inputs": inputs, "return_run_details": true}, &details)
	var e *apiError
	if errors.As(err, &e) && e.Status == http.StatusUnprocessableEntity && strings.Contains(e.Message, "return_run_details") {
		_, err = b.call(ctx, http.MethodPost, path, token, map[string]any{"ref": ref, "inputs": inputs}, nil)
	}
	if err != nil || details.WorkflowRunID == 0 {
		return nil, err
	}
	return &workflowRun{ID: details.WorkflowRunID, HTMLURL: details.HTMLURL}, nil
}

func progress(run *workflowRun) *delivery.Progress {
	p := &delivery.Progress{ExternalRunID: strconv.FormatInt(run.ID, 10)}
	if run.HTMLURL != "" {
		p.Link = []string{run.HTMLURL}
	}
	return p
}

func runID(run *workflowRun) int64 {
	if run == nil {
		return 0
	}
	return run.ID
}

func unescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// conclusion maps a completed workflow run to the berth run's end.
func conclusion(run *workflowRun) *delivery.Finish {
	f := &delivery.Finish{Status: berth.RunFailure, Summary: "The workflow run concluded: " + cmp.Or(run.Conclusion, "unknown")}
	switch run.Conclusion {
	case "success", "skipped", "neutral":
		f.Status = berth.RunSuccess
	}
	if run.HTMLURL != "" {
		f.Link = []string{run.HTMLURL}
	}
	return f
}
