package benchmark

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// receiver is the loopback webhook endpoint of a benchmark: it counts what
// arrives and notes when each entity's delivery arrived.
type receiver struct {
	srv      *http.Server
	url      string
	received atomic.Int64

	mu      sync.Mutex
	arrived map[string]time.Time // entity identifier → first arrival
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String(), arrived: map[string]time.Time{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 5 * time.Second}
	go rc.srv.Serve(ln)
	return rc, nil
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	io.Copy(io.Discard, r.Body)
	rc.received.Add(1)
	if id, ok := strings.CutPrefix(r.URL.Path, "/notify/"); ok {
		rc.mu.Lock()
		if _, seen := rc.arrived[id]; !seen {
			rc.arrived[id] = now
		}
		rc.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) arrival(id string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.arrived[id]
	return t, ok
}

func (rc *receiver) close() { rc.srv.Close() }
