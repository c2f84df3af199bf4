package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Defaults of NewClient (spec 13.1 row 3).
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 3
)

// ErrTooManyRedirects is returned (wrapped in *url.Error) when a response
// redirects once more than the client's limit allows.
var ErrTooManyRedirects = errors.New("netguard: too many redirects")

// DialContext dials like net.Dialer.DialContext, with every address checked
// by g.
func (g Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return g.Dialer().DialContext(ctx, network, address)
}

// NewClient returns an HTTP client whose every connection, redirect hops
// included, goes through g. timeout bounds a whole request including
// redirects and reading the body (<= 0 means DefaultTimeout); at most
// maxRedirects redirects are followed (0 means DefaultMaxRedirects, < 0 means
// none: the 3xx response is returned as is).
//
// A redirect that would not resend the same request is not followed either:
// net/http follows a 301, 302 or 303 with a GET without the body, so a POST
// (or any request with a body) redirected that way would arrive as another
// request than the one sent and signed. The 3xx response is returned as is
// instead. 307 and 308, which keep the method and the body, are followed.
//
// The client ignores HTTP_PROXY and friends: through a proxy the guard would
// check the proxy's address instead of the target's.
func NewClient(g Guard, timeout time.Duration, maxRedirects int) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if maxRedirects == 0 {
		maxRedirects = DefaultMaxRedirects
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: limitRedirects(maxRedirects),
	}
}

// limitRedirects returns an http.Client.CheckRedirect that allows limit
// redirects, or returns the redirect response itself when limit < 0 or when
// following it would change the method or drop the body.
func limitRedirects(limit int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if limit < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > limit {
			return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, limit)
		}
		if rewrites(via[len(via)-1], req) {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// rewrites reports whether next, the request net/http made to follow a
// redirect of prev, has another method than prev or lost its body.
func rewrites(prev, next *http.Request) bool {
	return next.Method != prev.Method || hasBody(prev) && !hasBody(next)
}

// hasBody reports whether r sends a body (of known length or not).
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || (r.Body != nil && r.Body != http.NoBody)
}
