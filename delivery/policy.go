package delivery

import (
	"math/rand/v2"
	"time"
)

// Policy is how failed deliveries are retried: exponential backoff from
// Initial, doubling, with ±Jitter, capped at Max, for at most Attempts
// attempts in all.
type Policy struct {
	Initial  time.Duration // default 1s
	Max      time.Duration // default 10m
	Attempts int           // default 10
	Jitter   float64       // default 0.2 (±20%)
}

// DefaultPolicy is the retry policy when none is configured.
var DefaultPolicy = Policy{Initial: time.Second, Max: 10 * time.Minute, Attempts: 10, Jitter: 0.2}

// Last reports whether attempt n (from 1) is the last one the policy
// allows: a failure of it is final.
func (p Policy) Last(n int) bool { return n >= p.Attempts }

// Delay returns how long to wait after failed attempt n (from 1) before the
// next one, and false when no attempt is left. serverDelay, when positive
// (a Retry-After), is honoured up to Max. rnd returns a value in [0,1).
func (p Policy) Delay(n int, serverDelay time.Duration, rnd func() float64) (time.Duration, bool) {
	if p.Last(n) {
		return 0, false
	}
	if serverDelay > 0 {
		return min(serverDelay, p.Max), true
	}
	d := p.Initial
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	if rnd == nil {
		rnd = rand.Float64
	}
	jitter := 1 + p.Jitter*(2*rnd()-1)
	return time.Duration(float64(d) * jitter), true
}
