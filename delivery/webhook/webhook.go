// Package webhook delivers WEBHOOK invocations (spec 6.1) over HTTP: the
// rendered url, method, headers and body, signed with Port's v1 scheme and
// Standard Webhooks (spec 8), through a client that refuses private and
// metadata addresses unless allowed (package netguard).
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/netguard"
	"github.com/berthdev/berth/signing"
)

// maxResponse bounds how much of a response body is read.
const maxResponse = 1 << 20

// Backend delivers WEBHOOK (and its SLACK and JENKINS aliases) invocations.
type Backend struct {
	Client *http.Client
	Now    func() time.Time // default time.Now
	// Agent, when set, delivers agent: true invocations for Port's execution
	// agent instead of calling the URL: a Kafka publisher (delivery/kafka)
	// or the polling queue (delivery/integration). Without it they fail.
	Agent delivery.Backend
}

var _ delivery.Backend = (*Backend)(nil)

// New returns a Backend sending through client (see netguard.NewClient).
func New(client *http.Client) *Backend { return &Backend{Client: client, Now: time.Now} }

// invocation is the rendered WEBHOOK invocation method.
type invocation struct {
	URL          string            `json:"url"`
	Method       string            `json:"method"`
	Headers      map[string]any    `json:"headers"`
	Body         json.RawMessage   `json:"body"`
	Synchronized delivery.FlexBool `json:"synchronized"`
	Agent        delivery.FlexBool `json:"agent"`
}

// Deliver sends one request and classifies the answer: 2xx is delivered
// (and finishes a synchronized run with SUCCESS); network errors, 408, 429
// and 5xx are retried on asynchronous runs; anything else is permanent, a
// redirect the client would not follow included. A rendered method outside
// spec 6.1's fails the run before anything is sent.
func (b *Backend) Deliver(ctx context.Context, req delivery.Request) delivery.Result {
	var inv invocation
	if err := json.Unmarshal(req.Payload, &inv); err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: "the rendered invocation is not a WEBHOOK invocation: " + err.Error()}
	}
	method, err := requestMethod(inv.Method)
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Target: inv.URL, Error: err.Error()}
	}
	inv.Method = method
	if inv.Agent {
		if b.Agent != nil {
			return b.Agent.Deliver(ctx, req)
		}
		return delivery.Result{Outcome: delivery.Failed, Target: inv.URL,
			Error: "agent: true hands runs to Port's execution agent, which this berth is not configured for (set BERTH_KAFKA_BROKERS, or BERTH_AGENT_STREAMER=POLLING)"}
	}
	httpReq, err := b.request(ctx, req, &inv)
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Target: inv.URL, Error: err.Error()}
	}
	resp, err := b.Client.Do(httpReq)
	if err != nil {
		return b.networkFailure(inv, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return classify(inv, resp, answer)
}

func (b *Backend) request(ctx context.Context, req delivery.Request, inv *invocation) (*http.Request, error) {
	if inv.URL == "" {
		return nil, errors.New("the rendered url is empty")
	}
	body := []byte(nil)
	if len(inv.Body) > 0 && string(inv.Body) != "null" {
		body = inv.Body // exactly the rendered bytes: what the signature covers
	}
	r, err := http.NewRequestWithContext(ctx, inv.Method, inv.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("the rendered url %q is not a valid request target: %w", inv.URL, err)
	}
	if r.URL.Scheme != "http" && r.URL.Scheme != "https" {
		return nil, fmt.Errorf("the rendered url %q is not http or https", inv.URL)
	}
	for k, v := range inv.Headers {
		s, ok := v.(string)
		if !ok {
			b, _ := berth.MarshalJSON(v)
			s = string(b)
		}
		r.Header.Set(k, s)
	}
	if body != nil && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range signing.Headers(req.ClientSecret, req.Run.ID, b.now(), body) {
		r.Header[k] = v
	}
	r.Header.Set("User-Agent", "berth-webhook/1")
	return r, nil
}

// methods are the methods a WEBHOOK invocation may use (spec 6.1).
var methods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodGet, http.MethodDelete}

// requestMethod checks a rendered method (a template may render anything)
// and returns it in upper case, POST when it is empty.
func requestMethod(rendered string) (string, error) {
	method := strings.ToUpper(strings.TrimSpace(rendered))
	if method == "" {
		return http.MethodPost, nil
	}
	if !slices.Contains(methods, method) {
		return "", fmt.Errorf("the rendered method %q is not one a webhook may use: use POST, PUT, PATCH, GET or DELETE", rendered)
	}
	return method, nil
}

func (b *Backend) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}

func (b *Backend) networkFailure(inv invocation, err error) delivery.Result {
	res := delivery.Result{Target: inv.URL, Error: err.Error()}
	var blocked *netguard.BlockedError
	switch {
	case errors.As(err, &blocked):
		res.Outcome, res.Error = delivery.Failed, blocked.Error()
		res.Logs = []string{"webhook not sent: " + blocked.Error()}
	case errors.Is(err, netguard.ErrTooManyRedirects):
		res.Outcome = delivery.Failed
	case bool(inv.Synchronized):
		res.Outcome = delivery.Failed
	default:
		res.Outcome = delivery.Retry
	}
	return res
}

func classify(inv invocation, resp *http.Response, answer []byte) delivery.Result {
	res := delivery.Result{Target: inv.URL, StatusCode: resp.StatusCode, Response: string(answer)}
	if where, err := resp.Location(); err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return notFollowed(inv, res, where, answer)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if inv.Synchronized {
		// The run ends with the answer, whatever it is (spec 6.1).
		res.Outcome = delivery.Delivered
		status := berth.RunSuccess
		if !ok {
			status = berth.RunFailure
		}
		res.Finish = &delivery.Finish{Status: status, Response: responseValue(answer)}
		if !ok {
			res.Finish.Summary = "Failed to invoke the webhook with status code: " + strconv.Itoa(resp.StatusCode)
		}
		return res
	}
	switch {
	case ok:
		res.Outcome = delivery.Delivered
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		res.Outcome = delivery.Retry
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
	default:
		res.Outcome = delivery.Failed
		res.Error = "Failed to invoke the webhook with status code: " + strconv.Itoa(resp.StatusCode)
	}
	return res
}

// notFollowed is the result of a redirect the client did not follow (see
// netguard.NewClient): a 301, 302 or 303 would have resent the request as a
// GET without its body, which is not what was signed. It is the endpoint's
// answer, and a failure: a synchronized run ends with it.
func notFollowed(inv invocation, res delivery.Result, where *url.URL, answer []byte) delivery.Result {
	msg := fmt.Sprintf("The webhook redirected (status code %d) to %s", res.StatusCode, where.Redacted())
	switch res.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		msg += "; berth does not follow a redirect that turns the request into a GET without its body, which the signature covers"
	default:
		msg += "; the redirect was not followed"
	}
	res.Outcome, res.Error = delivery.Failed, msg
	if inv.Synchronized {
		res.Finish = &delivery.Finish{Status: berth.RunFailure, Summary: msg, Response: responseValue(answer)}
	}
	return res
}

// responseValue is the body as stored on a synchronized run: parsed JSON
// when it is JSON, else the text.
func responseValue(answer []byte) json.RawMessage {
	if len(bytes.TrimSpace(answer)) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(answer) {
		return json.RawMessage(bytes.TrimSpace(answer))
	}
	s, _ := json.Marshal(string(answer))
	return s
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
