package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/service"
	"github.com/berthdev/berth/store"
)

// notify handles an approval notification job: it POSTs the notice of a
// run waiting for approval to the action's approvalNotification webhook
// (service.ApprovalNotice) through the WEBHOOK backend, so the request is
// signed and goes through the same address guard. Failures are retried
// like deliveries; the outcome is a line in the run's log.
func (e *Engine) notify(ctx context.Context, j store.Job) error {
	var n service.Notification
	json.Unmarshal([]byte(j.Payload), &n)
	run, err := e.db.Read().Run(ctx, j.Ref)
	if berth.IsNotFound(err) {
		return e.complete(ctx, j)
	}
	if err != nil {
		return err
	}
	body, err := service.ApprovalNotice(ctx, e.db.Read(), run, n.Format)
	if err != nil {
		return err
	}
	inv, _ := berth.MarshalJSON(map[string]any{"type": "WEBHOOK", "url": n.URL, "method": "POST", "body": body})
	// The notice is its own message: receivers de-duplicate by webhook-id,
	// which must not be the run's (its delivery uses that).
	notice := *run
	notice.ID = run.ID + "-approval"
	res := delivery.Result{Outcome: delivery.Failed, Error: "no WEBHOOK backend is configured"}
	if backend, ok := e.backends["WEBHOOK"]; ok {
		res = backend.Deliver(ctx, delivery.Request{Run: &notice, Payload: inv, Attempt: j.Attempts, OrgID: e.org.ID,
			ClientSecret: []byte(e.org.ClientSecret)})
	}
	return e.db.Write(ctx, func(q *store.Queries) error {
		now := time.Now()
		msg := "approval notification sent to " + n.URL
		if res.Outcome != delivery.Delivered {
			delay, more := e.cfg.Policy.Delay(j.Attempts, res.RetryAfter, nil)
			if res.Outcome == delivery.Retry && more {
				return q.RetryJob(ctx, j.ID, e.worker, now.Add(delay), describe(res))
			}
			msg = fmt.Sprintf("approval notification to %s failed: %s", n.URL, describe(res))
		}
		if err := service.AddRunLog(ctx, q, run.ID, "berth", msg, now); err != nil {
			return err
		}
		return q.CompleteJob(ctx, j.ID, e.worker)
	})
}
