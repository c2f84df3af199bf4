package engine

import (
	"testing"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/store"
)

// The last attempt the policy allows is not followed by a retry, so a
// retryable result of it is reported and recorded as failed, and fails the
// run; earlier ones stay retries, and other outcomes are untouched.
func TestLastChance(t *testing.T) {
	t.Parallel()
	e := &Engine{cfg: Config{Policy: delivery.Policy{Attempts: 3}}.withDefaults()}
	retry := delivery.Result{Outcome: delivery.Retry, StatusCode: 500}
	for _, tc := range []struct {
		attempt int
		res     delivery.Result
		want    delivery.Outcome
		summary string
	}{
		{1, retry, delivery.Retry, ""},
		{2, retry, delivery.Retry, ""},
		{3, retry, delivery.Failed, "Delivery failed after 3 attempts: status code 500"},
		{4, retry, delivery.Failed, "Delivery failed after 4 attempts: status code 500"},
		{3, delivery.Result{Outcome: delivery.Delivered}, delivery.Delivered, ""},
		{3, delivery.Result{Outcome: delivery.Failed, Error: "no"}, delivery.Failed, ""},
	} {
		got := e.lastChance(store.Job{Attempts: tc.attempt}, tc.res)
		if got.Outcome != tc.want {
			t.Errorf("attempt %d of %v: outcome %v, want %v", tc.attempt, tc.res.Outcome, got.Outcome, tc.want)
		}
		switch {
		case tc.summary == "" && got.Finish != nil:
			t.Errorf("attempt %d of %v: finish %+v, want none", tc.attempt, tc.res.Outcome, got.Finish)
		case tc.summary != "" && (got.Finish == nil || got.Finish.Status != berth.RunFailure || got.Finish.Summary != tc.summary):
			t.Errorf("attempt %d of %v: finish %+v, want FAILURE %q", tc.attempt, tc.res.Outcome, got.Finish, tc.summary)
		}
	}
}
