package delivery

import (
	"testing"
	"time"
)

func TestPolicyDelay(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy
	mid := func() float64 { return 0.5 } // no jitter
	for _, tc := range []struct {
		n      int
		server time.Duration
		want   time.Duration
		more   bool
	}{
		{1, 0, time.Second, true},
		{2, 0, 2 * time.Second, true},
		{4, 0, 8 * time.Second, true},
		{9, 0, 256 * time.Second, true},
		{10, 0, 0, false},
		{3, 30 * time.Second, 30 * time.Second, true},
		{3, time.Hour, 10 * time.Minute, true},
	} {
		got, more := p.Delay(tc.n, tc.server, mid)
		if got != tc.want || more != tc.more {
			t.Errorf("Delay(%d, %v) = %v, %v; want %v, %v", tc.n, tc.server, got, more, tc.want, tc.more)
		}
	}
	capped := Policy{Initial: time.Second, Max: 10 * time.Minute, Attempts: 50, Jitter: 0}
	if got, _ := capped.Delay(40, 0, mid); got != 10*time.Minute {
		t.Errorf("delay is not capped: %v", got)
	}
}

func TestPolicyLast(t *testing.T) {
	t.Parallel()
	p := Policy{Attempts: 3}
	for n, want := range map[int]bool{1: false, 2: false, 3: true, 4: true} {
		if got := p.Last(n); got != want {
			t.Errorf("Last(%d) = %v, want %v", n, got, want)
		}
		if _, more := p.Delay(n, 0, nil); more == want {
			t.Errorf("Delay(%d) says more = %v, Last says %v", n, more, want)
		}
	}
}

func TestPolicyJitterBounds(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy
	lo, _ := p.Delay(3, 0, func() float64 { return 0 })
	hi, _ := p.Delay(3, 0, func() float64 { return 0.9999999 })
	if lo != 3200*time.Millisecond || hi < 4799*time.Millisecond || hi > 4800*time.Millisecond {
		t.Fatalf("jitter of a 4s delay spans %v..%v, want 3.2s..4.8s", lo, hi)
	}
}
