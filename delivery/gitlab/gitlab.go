// Package gitlab delivers GITLAB invocations (spec 6.4) straight to a
// GitLab instance, doing what Port's execution agent does for them: it
// triggers a pipeline,
//
//	POST {URL}/api/v4/projects/{urlencoded groupName/projectName}/trigger/pipeline
//	{"ref": ..., "token": <trigger token>, "variables": {<pipelineVariables, as strings>}}
//
// with ref = pipelineVariables.ref, else the run's `ref` input, else
// defaultRef, else "main". The trigger token is the organization secret
// named like the agent's environment variable, `<groupName with / → _>_<projectName>`,
// else the organization secret `gitlab_trigger_token`, else
// BERTH_GITLAB_TRIGGER_TOKEN. The run's link becomes the pipeline's web_url
// and its externalRunId the pipeline id. With an API token
// (BERTH_GITLAB_TOKEN, read_api) berth polls the pipeline and finishes the
// run: success or skipped → SUCCESS, failed or canceled → FAILURE. Without
// one the run stays IN_PROGRESS for the pipeline to report.
package gitlab

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
)

// SecretLookup returns the organization secret called name: "" (or a
// not_found error) when there is none.
type SecretLookup func(ctx context.Context, name string) (string, error)

// DefaultTokenSecret is the organization secret holding the trigger token
// of every project that has no secret of its own.
const DefaultTokenSecret = "gitlab_trigger_token"

// Config configures the backend.
type Config struct {
	// URL is the GitLab instance (BERTH_GITLAB_URL, default https://gitlab.com).
	URL string
	// Token is an API token that can read pipelines (BERTH_GITLAB_TOKEN);
	// without it pipelines are not followed.
	Token string
	// Secrets looks trigger tokens up among the organization secrets.
	Secrets SecretLookup
	// TriggerToken is the trigger token used when no secret holds one
	// (BERTH_GITLAB_TRIGGER_TOKEN).
	TriggerToken string
	// PollInterval is how often a pipeline is looked at
	// (BERTH_GITLAB_POLL_INTERVAL, default 15s).
	PollInterval time.Duration
	// Client sends the requests (default: a client with a 30s timeout).
	Client *http.Client
}

// Backend triggers GitLab pipelines and follows them.
type Backend struct{ cfg Config }

var (
	_ delivery.Backend  = (*Backend)(nil)
	_ delivery.Follower = (*Backend)(nil)
)

// New returns a Backend; the error names the setting that is wrong.
func New(cfg Config) (*Backend, error) {
	cfg.URL = strings.TrimRight(cmp.Or(cfg.URL, "https://gitlab.com"), "/")
	cfg.PollInterval = cmp.Or(cfg.PollInterval, 15*time.Second)
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if u, err := url.Parse(cfg.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("BERTH_GITLAB_URL %q: want an http(s) URL", cfg.URL)
	}
	return &Backend{cfg: cfg}, nil
}

type invocation struct {
	ProjectName       string                     `json:"projectName"`
	GroupName         string                     `json:"groupName"`
	DefaultRef        string                     `json:"defaultRef"`
	PipelineVariables map[string]json.RawMessage `json:"pipelineVariables"`
}

// pipeline is what berth reads of a GitLab pipeline.
type pipeline struct {
	ID     int64  `json:"id"`
	WebURL string `json:"web_url"`
	Status string `json:"status"`
}

// state is what a follow-up looks at.
type state struct {
	Project  string `json:"project"` // group/project
	Pipeline int64  `json:"pipeline"`
}

// Deliver triggers the pipeline. A refused trigger (bad token, unknown
// project or ref) fails the run with GitLab's message; network errors, 429
// and 5xx are retried.
func (b *Backend) Deliver(ctx context.Context, req delivery.Request) delivery.Result {
	var inv invocation
	if err := json.Unmarshal(req.Payload, &inv); err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: "the rendered invocation is not a GITLAB invocation: " + err.Error()}
	}
	project, err := projectPath(inv.GroupName, inv.ProjectName)
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: err.Error()}
	}
	token, err := b.triggerToken(ctx, inv.GroupName, inv.ProjectName)
	if err != nil {
		return delivery.Result{Outcome: delivery.Retry, Error: "looking up the trigger token failed"}
	}
	if token == "" {
		return delivery.Result{Outcome: delivery.Failed, Error: fmt.Sprintf(
			"no GitLab trigger token for %s: create the organization secret %q (or %q), or set BERTH_GITLAB_TRIGGER_TOKEN",
			project, secretName(inv.GroupName, inv.ProjectName), DefaultTokenSecret)}
	}
	ref, vars := refAndVariables(inv, req.Run)
	var p pipeline
	target := b.cfg.URL + "/api/v4/projects/" + url.PathEscape(project) + "/trigger/pipeline"
	status, err := b.call(ctx, http.MethodPost, target, "", map[string]any{"ref": ref, "token": token, "variables": vars}, &p)
	if err != nil {
		return errorResult(target, status, err, true)
	}
	res := delivery.Result{Outcome: delivery.Delivered, Target: target, StatusCode: status,
		Progress: &delivery.Progress{ExternalRunID: strconv.FormatInt(p.ID, 10)},
		Logs:     []string{fmt.Sprintf("Triggered pipeline %d of %s on %s: %s", p.ID, project, ref, p.WebURL)}}
	if p.WebURL != "" {
		res.Progress.Link = []string{p.WebURL}
	}
	if b.cfg.Token == "" {
		res.Logs = append(res.Logs, "The pipeline's status is not followed (BERTH_GITLAB_TOKEN is not set): the pipeline reports it")
		return res
	}
	res.Follow = b.followUp(state{Project: project, Pipeline: p.ID})
	return res
}

// Follow looks at the pipeline and finishes the run once it is done.
func (b *Backend) Follow(ctx context.Context, _ delivery.Request, raw json.RawMessage) delivery.Result {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: "bad follow-up state: " + err.Error()}
	}
	target := b.cfg.URL + "/api/v4/projects/" + url.PathEscape(st.Project) + "/pipelines/" + strconv.FormatInt(st.Pipeline, 10)
	var p pipeline
	status, err := b.call(ctx, http.MethodGet, target, b.cfg.Token, nil, &p)
	if err != nil {
		return errorResult(target, status, err, status == http.StatusNotFound)
	}
	res := delivery.Result{Outcome: delivery.Delivered, Target: target, StatusCode: status}
	var end string
	switch p.Status {
	case "success", "skipped":
		end = berth.RunSuccess
	case "failed", "canceled":
		end = berth.RunFailure
	default: // created, pending, running, manual, scheduled, ...
		res.Follow = b.followUp(st)
		return res
	}
	res.Finish = &delivery.Finish{Status: end, Summary: "The pipeline ended: " + p.Status}
	if p.WebURL != "" {
		res.Finish.Link = []string{p.WebURL}
	}
	res.Logs = []string{fmt.Sprintf("Pipeline %d ended: %s", p.ID, p.Status)}
	return res
}

func (b *Backend) followUp(st state) *delivery.FollowUp {
	raw, _ := json.Marshal(st)
	return &delivery.FollowUp{After: b.cfg.PollInterval, State: raw}
}

// projectPath is "group/sub/project", refusing path tricks.
func projectPath(group, project string) (string, error) {
	group, project = strings.Trim(group, "/ "), strings.Trim(project, "/ ")
	if group == "" || project == "" {
		return "", errors.New("the rendered groupName and projectName are required")
	}
	path := group + "/" + project
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\\?#") {
			return "", fmt.Errorf("the rendered project path %q is not a GitLab project path", path)
		}
	}
	return path, nil
}

// secretName is the per-project secret, named like the agent's variable.
func secretName(group, project string) string {
	return strings.ReplaceAll(strings.Trim(group, "/ "), "/", "_") + "_" + strings.Trim(project, "/ ")
}

func (b *Backend) triggerToken(ctx context.Context, group, project string) (string, error) {
	if b.cfg.Secrets != nil {
		for _, name := range []string{secretName(group, project), DefaultTokenSecret} {
			v, err := b.cfg.Secrets(ctx, name)
			if err != nil && !berth.IsNotFound(err) {
				return "", err
			}
			if v != "" {
				return v, nil
			}
		}
	}
	return b.cfg.TriggerToken, nil
}

// refAndVariables picks the ref and turns the variables into strings.
func refAndVariables(inv invocation, run *berth.Run) (string, map[string]string) {
	vars := make(map[string]string, len(inv.PipelineVariables))
	for k, v := range inv.PipelineVariables {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		vars[k] = s
	}
	ref := vars["ref"]
	if ref == "" && run != nil {
		ref, _ = run.Properties["ref"].(string)
	}
	return cmp.Or(ref, inv.DefaultRef, "main"), vars
}

// call sends one API request and decodes a JSON answer into out; it returns
// the status code (0 when there was no answer).
func (b *Backend) call(ctx context.Context, method, target, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", "berth")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("PRIVATE-TOKEN", token)
	}
	resp, err := b.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("GitLab answered %d: %s", resp.StatusCode, message(raw))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp.StatusCode, fmt.Errorf("unexpected answer from GitLab: %w", err)
	}
	return resp.StatusCode, nil
}

// message is GitLab's error message ({"message": ...} or {"error": ...}).
func message(raw []byte) string {
	var doc struct {
		Message json.RawMessage `json:"message"`
		Error   string          `json:"error"`
	}
	if json.Unmarshal(raw, &doc) == nil {
		var s string
		if json.Unmarshal(doc.Message, &s) == nil {
			return s
		}
		if len(doc.Message) > 0 {
			return string(doc.Message)
		}
		if doc.Error != "" {
			return doc.Error
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// errorResult classifies a failed call: no answer, 408, 429 and 5xx are
// retried; other answers fail the run when permanent, else are retried.
func errorResult(target string, status int, err error, permanent bool) delivery.Result {
	res := delivery.Result{Outcome: delivery.Retry, Target: target, StatusCode: status, Error: err.Error()}
	transient := status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
	if permanent && !transient {
		res.Outcome = delivery.Failed
	}
	return res
}
