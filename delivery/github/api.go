package github

import (
	"bytes"
	"context"
	"encoding/json"
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

// apiError is an unsuccessful answer of the GitHub API (or no answer).
type apiError struct {
	Status     int // 0: no answer (network error, timeout)
	Message    string
	RetryAfter time.Duration
	Target     string
}

func (e *apiError) Error() string {
	if e.Status == 0 {
		return e.Message
	}
	return fmt.Sprintf("GitHub answered %d: %s", e.Status, e.Message)
}

// transient reports whether trying again later may succeed: no answer,
// 408, 429, 5xx, or a rate limit.
func (e *apiError) transient() bool {
	return e.Status == 0 || e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests ||
		e.Status >= 500 || e.RetryAfter > 0
}

// result turns an error into the attempt's result: retried when transient,
// else failed.
func errorResult(err error, permanent bool) delivery.Result {
	res := delivery.Result{Outcome: delivery.Failed, Error: err.Error()}
	if e, ok := err.(*apiError); ok {
		res.Target, res.StatusCode, res.RetryAfter = e.Target, e.Status, e.RetryAfter
		if e.transient() || !permanent {
			res.Outcome = delivery.Retry
		}
	}
	return res
}

// call sends one API request with token (a bearer token: a PAT, an
// installation token or an App JWT) and decodes a JSON answer into out
// (when not nil). It returns the status code of a 2xx answer.
func (b *Backend) call(ctx context.Context, method, path, token string, body, out any) (int, error) {
	target := b.cfg.APIURL + path
	var rd io.Reader
	if body != nil {
		buf, err := marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "berth")
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.cfg.Client.Do(req)
	if err != nil {
		return 0, &apiError{Message: err.Error(), Target: redact(target)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, b.answerError(resp, raw, target)
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, &apiError{Status: resp.StatusCode, Message: "unexpected answer: " + err.Error(), Target: redact(target)}
		}
	}
	return resp.StatusCode, nil
}

func (b *Backend) answerError(resp *http.Response, raw []byte, target string) *apiError {
	var doc struct {
		Message string `json:"message"`
	}
	json.Unmarshal(raw, &doc)
	e := &apiError{Status: resp.StatusCode, Message: doc.Message, Target: redact(target)}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		e.RetryAfter = max(time.Duration(secs)*time.Second, time.Second)
	} else if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		reset, _ := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		e.RetryAfter = max(time.Unix(reset, 0).Sub(b.cfg.Now()), time.Second)
	}
	return e
}

// redact drops the query of a URL for attempt records.
func redact(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// marshal encodes v compactly without HTML escaping.
func marshal(v any) ([]byte, error) { return berth.MarshalJSON(v) }

// segment checks that a rendered value is usable as one path segment and
// escapes it.
func segment(name, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("the rendered %s is empty", name)
	}
	if v == "." || v == ".." || strings.ContainsAny(v, "/\\?#") {
		return "", fmt.Errorf("the rendered %s %q is not a name", name, v)
	}
	return url.PathEscape(v), nil
}
