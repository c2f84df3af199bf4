package netguard

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serverOn starts an httptest server listening on ip (any 127/8 address is
// loopback on Linux) and counts the requests it serves.
func serverOn(t *testing.T, ip string, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })

// blocked asserts that err carries a *BlockedError with the given reason.
func blocked(t *testing.T, err error, reason string) *BlockedError {
	t.Helper()
	var b *BlockedError
	if !errors.As(err, &b) {
		t.Fatalf("error %v (%T) does not carry a *BlockedError", err, err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("error %T is not a *url.Error", err)
	}
	if b.Reason != reason {
		t.Errorf("Reason = %q, want %q", b.Reason, reason)
	}
	return b
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestClientRefusesLoopbackByDefault(t *testing.T) {
	t.Parallel()
	srv, hits := serverOn(t, "127.0.0.1", ok)
	_, err := get(t, NewClient(Guard{}, 0, 0), srv.URL)
	b := blocked(t, err, "loopback address")
	addr := strings.TrimPrefix(srv.URL, "http://")
	want := "refused to connect to " + addr + ": loopback address (set BERTH_ALLOW_PRIVATE_TARGETS=true to allow)"
	if b.Error() != want {
		t.Errorf("message = %q, want %q", b.Error(), want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestClientReachesLoopbackWithAllowPrivate(t *testing.T) {
	t.Parallel()
	srv, _ := serverOn(t, "127.0.0.1", ok)
	resp, err := get(t, NewClient(Guard{AllowPrivate: true}, 0, 0), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
}

// A host name is checked by the address it resolves to.
func TestClientRefusesNameResolvingToLoopback(t *testing.T) {
	t.Parallel()
	srv, hits := serverOn(t, "127.0.0.1", ok)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	_, err := get(t, NewClient(Guard{}, 0, 0), "http://localhost:"+strconv.Itoa(port)+"/")
	blocked(t, err, "loopback address")
	if n := hits.Load(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

// An allowed server cannot redirect the client to a refused address: the hop
// is dialled through the same guard.
func TestClientRefusesRedirectToBlockedAddress(t *testing.T) {
	t.Parallel()
	target, targetHits := serverOn(t, "127.0.0.1", ok)
	front, frontHits := serverOn(t, "127.0.0.2", http.RedirectHandler(target.URL+"/internal", http.StatusFound))
	g := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}

	_, err := get(t, NewClient(g, 0, 0), front.URL)
	b := blocked(t, err, "loopback address")
	if !strings.HasPrefix(b.Addr, "127.0.0.1:") {
		t.Errorf("refused %s, want the redirect target", b.Addr)
	}
	if frontHits.Load() != 1 || targetHits.Load() != 0 {
		t.Errorf("front saw %d requests, target %d; want 1 and 0", frontHits.Load(), targetHits.Load())
	}
}

// loop redirects /n to /n+1 forever.
var loop = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
	if r.URL.Path == "/stop" {
		fmt.Fprint(w, "done")
		return
	}
	http.Redirect(w, r, "/"+strconv.Itoa(n+1), http.StatusFound)
})

func TestClientRedirectLimit(t *testing.T) {
	t.Parallel()
	g := Guard{AllowPrivate: true}
	tests := []struct {
		name         string
		maxRedirects int
		wantHits     int64
		wantErr      bool
		wantStatus   int
	}{
		{"default: 3 redirects then fail", 0, 4, true, 0},
		{"limit 1", 1, 2, true, 0},
		{"no redirects: 3xx returned", -1, 1, false, http.StatusFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := serverOn(t, "127.0.0.1", loop)
			resp, err := get(t, NewClient(g, 0, tt.maxRedirects), srv.URL+"/0")
			if tt.wantErr != (err != nil) || (tt.wantErr && !errors.Is(err, ErrTooManyRedirects)) {
				t.Fatalf("err = %v, want ErrTooManyRedirects: %v", err, tt.wantErr)
			}
			if tt.wantStatus != 0 && resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if n := hits.Load(); n != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", n, tt.wantHits)
			}
		})
	}
}

func TestClientFollowsThreeRedirects(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/1", http.RedirectHandler("/2", http.StatusFound))
	mux.Handle("/2", http.RedirectHandler("/3", http.StatusTemporaryRedirect))
	mux.Handle("/3", http.RedirectHandler("/stop", http.StatusMovedPermanently))
	mux.Handle("/stop", ok)
	srv, _ := serverOn(t, "127.0.0.1", mux)
	resp, err := get(t, NewClient(Guard{AllowPrivate: true}, 0, 0), srv.URL+"/1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Request.URL.Path != "/stop" || resp.StatusCode != http.StatusOK {
		t.Errorf("ended at %s with %d, want /stop with 200", resp.Request.URL.Path, resp.StatusCode)
	}
}

func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	c := NewClient(Guard{}, 0, 0)
	if c.Timeout != DefaultTimeout {
		t.Errorf("Timeout = %v, want %v", c.Timeout, DefaultTimeout)
	}
	if tr := c.Transport.(*http.Transport); tr.Proxy != nil {
		t.Error("the transport uses a proxy; the guard would check the proxy instead of the target")
	}
	if c := NewClient(Guard{}, 5*time.Second, 0); c.Timeout != 5*time.Second {
		t.Errorf("Timeout = %v, want 5s", c.Timeout)
	}
}

// A redirect that net/http would follow with another method or without the
// body (301, 302 and 303 turn a POST into a GET without body) is not
// followed: the 3xx is the answer. 307 and 308 keep both and are followed,
// as are 301-303 of a GET without body.
func TestClientFollowsOnlyRedirectsThatKeepTheRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		method, body string
		status       int
		follow       bool
	}{
		{"POST", `{"a":1}`, http.StatusMovedPermanently, false},
		{"POST", `{"a":1}`, http.StatusFound, false},
		{"POST", `{"a":1}`, http.StatusSeeOther, false},
		{"POST", "", http.StatusFound, false},   // would become a GET
		{"DELETE", "", http.StatusFound, false}, // likewise
		{"PUT", `{"a":1}`, http.StatusSeeOther, false},
		{"GET", `{"a":1}`, http.StatusFound, false}, // would lose its body
		{"GET", "", http.StatusFound, true},
		{"HEAD", "", http.StatusMovedPermanently, true},
		{"POST", `{"a":1}`, http.StatusTemporaryRedirect, true},
		{"PATCH", `{"a":1}`, http.StatusPermanentRedirect, true},
	} {
		name := fmt.Sprintf("%s %q %d", tt.method, tt.body, tt.status)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var landed atomic.Value
			mux := http.NewServeMux()
			mux.Handle("/hook", http.RedirectHandler("/landing", tt.status))
			mux.HandleFunc("/landing", func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				landed.Store(r.Method + " " + string(b))
			})
			srv, _ := serverOn(t, "127.0.0.1", mux)
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+"/hook", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := NewClient(Guard{AllowPrivate: true}, 0, 0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if !tt.follow {
				if resp.StatusCode != tt.status || landed.Load() != nil {
					t.Fatalf("status %d, landing got %v; want the %d itself and nothing sent on", resp.StatusCode, landed.Load(), tt.status)
				}
				return
			}
			if want := tt.method + " " + tt.body; resp.StatusCode != 200 || landed.Load() != want {
				t.Fatalf("status %d, landing got %v; want 200 and %q", resp.StatusCode, landed.Load(), want)
			}
		})
	}
}
