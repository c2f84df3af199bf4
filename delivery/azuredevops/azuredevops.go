// Package azuredevops delivers AZURE_DEVOPS invocations (spec 6.5): it POSTs
// the rendered payload to the organization's Incoming WebHook service
// connection,
//
//	POST {BaseURL}/{org}/_apis/public/distributedtask/webhooks/{webhook}?api-version=6.0-preview
//
// with the body signed in x-port-signature as lowercase hex HMAC-SHA1 of the
// exact body keyed with the organization's client secret (spec 8.4: what an
// Incoming WebHook service connection with Secret = client secret and
// Header = x-port-signature checks). The pipeline reports back through the
// runs API, so a delivered run stays IN_PROGRESS.
package azuredevops

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/signing"
)

// Signature header names and schemes.
const (
	HeaderSignature = "x-port-signature"
	// SchemeSHA1 is lowercase hex HMAC-SHA1 of the body (the default).
	SchemeSHA1 = "sha1"
	// SchemeV1 is Port's webhook scheme, "v1,<base64 HMAC-SHA256 of
	// timestamp.body>", with x-port-timestamp (spec 8.2).
	SchemeV1 = "v1"
)

// Config configures the backend.
type Config struct {
	// BaseURL is where organizations live (BERTH_AZURE_DEVOPS_URL, default
	// https://dev.azure.com; an Azure DevOps Server collection URL works too).
	BaseURL string
	// Signature is SchemeSHA1 (default) or SchemeV1
	// (BERTH_AZURE_DEVOPS_SIGNATURE).
	Signature string
	// Client sends the requests (default: a client with a 30s timeout).
	Client *http.Client
	// Now is the clock of v1 signatures (default time.Now).
	Now func() time.Time
}

// Backend delivers AZURE_DEVOPS invocations.
type Backend struct{ cfg Config }

var _ delivery.Backend = (*Backend)(nil)

// New returns a Backend; the error names the setting that is wrong.
func New(cfg Config) (*Backend, error) {
	cfg.BaseURL = strings.TrimRight(cmp.Or(cfg.BaseURL, "https://dev.azure.com"), "/")
	cfg.Signature = strings.ToLower(cmp.Or(cfg.Signature, SchemeSHA1))
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("BERTH_AZURE_DEVOPS_URL %q: want an http(s) URL", cfg.BaseURL)
	}
	if cfg.Signature != SchemeSHA1 && cfg.Signature != SchemeV1 {
		return nil, fmt.Errorf("BERTH_AZURE_DEVOPS_SIGNATURE %q: want sha1 or v1", cfg.Signature)
	}
	return &Backend{cfg: cfg}, nil
}

type invocation struct {
	Org     string          `json:"org"`
	Webhook string          `json:"webhook"`
	Payload json.RawMessage `json:"payload"`
}

// Deliver POSTs the payload. 2xx is delivered; 408, 429 and 5xx and
// network errors are retried; anything else fails the run.
func (b *Backend) Deliver(ctx context.Context, req delivery.Request) delivery.Result {
	var inv invocation
	if err := json.Unmarshal(req.Payload, &inv); err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: "the rendered invocation is not an AZURE_DEVOPS invocation: " + err.Error()}
	}
	target, err := b.url(inv)
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Error: err.Error()}
	}
	body := []byte(inv.Payload)
	if len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return delivery.Result{Outcome: delivery.Failed, Target: target, Error: err.Error()}
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "berth-azure-devops/1")
	b.sign(r.Header, req.ClientSecret, body)
	resp, err := b.cfg.Client.Do(r)
	if err != nil {
		return delivery.Result{Outcome: delivery.Retry, Target: target, Error: err.Error()}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	res := delivery.Result{Target: target, StatusCode: resp.StatusCode, Response: string(answer)}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		res.Outcome = delivery.Delivered
		res.Logs = []string{"Triggered Azure DevOps webhook " + inv.Webhook + " of organization " + inv.Org}
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		res.Outcome = delivery.Retry
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			res.RetryAfter = time.Duration(secs) * time.Second
		}
	default:
		res.Outcome = delivery.Failed
		res.Error = "Failed to trigger the Azure DevOps webhook with status code: " + strconv.Itoa(code)
	}
	return res
}

func (b *Backend) url(inv invocation) (string, error) {
	for name, v := range map[string]string{"org": inv.Org, "webhook": inv.Webhook} {
		if strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("the rendered %s is empty", name)
		}
		if v == "." || v == ".." || strings.ContainsAny(v, "/\\?#") {
			return "", fmt.Errorf("the rendered %s %q is not a name", name, v)
		}
	}
	return b.cfg.BaseURL + "/" + url.PathEscape(inv.Org) + "/_apis/public/distributedtask/webhooks/" +
		url.PathEscape(inv.Webhook) + "?api-version=6.0-preview", nil
}

func (b *Backend) sign(h http.Header, secret, body []byte) {
	if b.cfg.Signature == SchemeV1 {
		ts := b.cfg.Now().Unix()
		h.Set(signing.HeaderPortTimestamp, strconv.FormatInt(ts, 10))
		h.Set(signing.HeaderPortSignature, signing.PortV1(secret, ts, body))
		return
	}
	h.Set(HeaderSignature, signing.AzureDevOps(secret, body))
}
