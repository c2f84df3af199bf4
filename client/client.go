// Package client talks to a berth server's /v1 API as a script would: it
// gets an access token from the organization's (or a user's) credentials,
// renews it when it expires, and turns the server's error envelope
// ({"ok": false, "error", "message", "fields"}) into *Error. The berth CLI
// is built on it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Client is a berth API client. It is safe for concurrent use.
type Client struct {
	base         string
	clientID     string
	clientSecret string
	http         *http.Client

	mu    sync.Mutex
	token string
}

// New returns a client of the server at baseURL ("http://127.0.0.1:8080")
// using the given credentials. httpClient may be nil (a client with a 60s
// timeout is used).
func New(baseURL, clientID, clientSecret string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), clientID: clientID, clientSecret: clientSecret, http: httpClient}
}

// Error is an error the server answered with.
type Error struct {
	Status  int          // the HTTP status
	Code    string       `json:"error"` // berth's error code: invalid_request, not_found, ...
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields"`
}

// FieldError names one bad field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if b.Len() == 0 {
		fmt.Fprintf(&b, "the server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	for _, f := range e.Fields {
		if !strings.Contains(e.Message, f.Field) { // not already said
			b.WriteString("\n  " + f.Field + ": " + f.Message)
		}
	}
	return b.String()
}

// IsNotFound reports whether err is the server's 404.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// Response is a successful answer: the envelope's keys beside "ok".
type Response map[string]json.RawMessage

// Decode decodes the value under key into v.
func (r Response) Decode(key string, v any) error {
	raw, ok := r[key]
	if !ok {
		return fmt.Errorf("the server's answer has no %q", key)
	}
	return json.Unmarshal(raw, v)
}

// Do sends a request with a JSON body (nil for none; json.RawMessage and
// []byte are sent as they are) and returns the decoded answer, or *Error
// when the server refused it. A token that expired is renewed once.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (Response, error) {
	var payload []byte
	switch b := body.(type) {
	case nil:
	case json.RawMessage:
		payload = b
	case []byte:
		payload = b
	default:
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	for retried := false; ; retried = true {
		token, err := c.accessToken(ctx, retried)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, method, target, payload, token)
		var e *Error
		if !retried && errors.As(err, &e) && e.Status == http.StatusUnauthorized {
			continue // the token expired or the server restarted with new keys
		}
		return resp, err
	}
}

func (c *Client) send(ctx context.Context, method, target string, payload []byte, token string) (Response, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, req.URL.Path, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Message == "" {
			e.Message = fmt.Sprintf("%s %s: the server answered %s", method, req.URL.Path, resp.Status)
		}
		return nil, e
	}
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s %s: the answer is not JSON (is %s a berth server?)", method, req.URL.Path, c.base)
	}
	delete(r, "ok")
	return r, nil
}

// accessToken returns the cached token, or a new one when there is none or
// renew is set.
func (c *Client) accessToken(ctx context.Context, renew bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && !renew {
		return c.token, nil
	}
	if c.clientID == "" || c.clientSecret == "" {
		return "", errors.New("no credentials: set BERTH_CLIENT_ID and BERTH_CLIENT_SECRET (or --client-id and --client-secret)")
	}
	resp, err := c.send(ctx, http.MethodPost, c.base+"/v1/auth/access_token", mustJSON(map[string]string{
		"clientId": c.clientID, "clientSecret": c.clientSecret}), "")
	if err != nil {
		return "", fmt.Errorf("getting an access token from %s: %w", c.base, err)
	}
	var token string
	if err := resp.Decode("accessToken", &token); err != nil {
		return "", err
	}
	c.token = token
	return token, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
