package benchmark

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client talks to the berth under test.
type client struct {
	url   string
	token string
	http  *http.Client
}

func newClient(url, clientID, clientSecret string) (*client, error) {
	c := &client{url: url, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}}
	var tok struct {
		AccessToken string `json:"accessToken"`
	}
	if err := c.call("POST", "/v1/auth/access_token", map[string]string{"clientId": clientID, "clientSecret": clientSecret}, &tok, 200); err != nil {
		return nil, fmt.Errorf("getting a token: %w", err)
	}
	c.token = tok.AccessToken
	return c, nil
}

// call sends a JSON request and decodes the answer into out (if not nil),
// failing unless the status is one of want.
func (c *client) call(method, path string, body, out any, want ...int) error {
	buf, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(buf))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, w := range want {
		if resp.StatusCode == w {
			if out != nil {
				return json.Unmarshal(raw, out)
			}
			return nil
		}
	}
	return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
}

func newClientHTTP() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}
}
