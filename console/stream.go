package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// heartbeat is how often an idle stream sends a comment, so that proxies
// and browsers see it is alive.
const heartbeat = 15 * time.Second

// events streams run changes as server-sent events ("change" events whose
// data is JSON). With ?run= it follows one run: an event each time its
// document, its attempts or its log change. Without, it follows every run
// through the change log, oldest change first. Each stream polls the store
// every StreamPoll, ends after StreamLifetime (the browser reconnects) or
// when the client goes away or the server shuts down; at most MaxStreams
// are open at once.
func (c *Console) events(w http.ResponseWriter, r *http.Request, s *session) error {
	select {
	case c.streams <- struct{}{}:
		defer func() { <-c.streams }()
	default:
		w.Header().Set("Retry-After", "10")
		http.Error(w, "too many live-update streams are open; try again later", http.StatusServiceUnavailable)
		return nil
	}
	poll, err := c.poller(r)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	if err := rc.Flush(); err != nil {
		return nil // the client is gone, or w cannot stream
	}
	ctx := r.Context()
	tick := time.NewTicker(c.cfg.StreamPoll)
	defer tick.Stop()
	end := time.NewTimer(c.cfg.StreamLifetime)
	defer end.Stop()
	idle := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.done:
			return nil
		case <-end.C:
			return nil
		case <-tick.C:
		}
		changes, err := poll()
		if err != nil {
			c.cfg.Log.WarnContext(ctx, "console stream: polling failed", "err", err)
			return nil // the browser reconnects
		}
		switch {
		case changes != nil:
			data, _ := json.Marshal(changes)
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", data)
		case time.Since(idle) >= heartbeat:
			fmt.Fprint(w, ": keep-alive\n\n")
		default:
			continue
		}
		idle = time.Now()
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

// poller returns a function that reports what changed since it was last
// called (nil: nothing). Errors: not_found (the run).
func (c *Console) poller(r *http.Request) (func() (any, error), error) {
	ctx := r.Context()
	if id := r.URL.Query().Get("run"); id != "" {
		last, err := c.cfg.Runs.RunVersion(ctx, id)
		if err != nil {
			return nil, err
		}
		return func() (any, error) {
			v, err := c.cfg.Runs.RunVersion(ctx, id)
			if err != nil || v == last {
				return nil, err
			}
			last = v
			return map[string]string{"id": id}, nil
		}, nil
	}
	seq, err := c.cfg.Runs.LatestRunChange(ctx)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		changes, err := c.cfg.Runs.RunChangesAfter(ctx, seq, "", 100)
		if err != nil || len(changes) == 0 {
			return nil, err
		}
		seq = changes[len(changes)-1].Seq
		return changes, nil
	}, nil
}
