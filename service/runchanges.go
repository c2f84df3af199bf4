package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// RunChange is one recorded change of a run (a run event of the change
// log), for following runs live.
type RunChange struct {
	Seq    int64  `json:"-"` // commit order
	RunID  string `json:"id"`
	Action string `json:"action"`
	Status string `json:"status"`
}

// LatestRunChange returns the position of the newest run change, to follow
// changes from (0 when there is none).
func (s *Runs) LatestRunChange(ctx context.Context) (int64, error) {
	evs, err := s.db.Read().Events(ctx, store.EventFilter{Resources: []string{berth.ResourceRun}, Limit: 1})
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	return evs[0].Seq, nil
}

// RunChangesAfter returns up to limit run changes committed after position
// seq, oldest first; runID, when not empty, selects one run's changes.
func (s *Runs) RunChangesAfter(ctx context.Context, seq int64, runID string, limit int) ([]RunChange, error) {
	evs, err := s.db.Read().Events(ctx, store.EventFilter{Resources: []string{berth.ResourceRun}, RunID: runID,
		AfterSeq: seq, Limit: limit, OldestFirst: true})
	if err != nil {
		return nil, err
	}
	out := make([]RunChange, 0, len(evs))
	for _, ev := range evs {
		var doc struct{ Status string }
		json.Unmarshal(ev.After, &doc)
		out = append(out, RunChange{Seq: ev.Seq, RunID: ev.RunID, Action: ev.ActionIdentifier, Status: doc.Status})
	}
	return out, nil
}

// RunVersion returns a string that changes whenever a run changes in any
// way its page shows: its document, a new delivery attempt or a new log
// line (attempts and log lines record no run event). Errors: not_found.
func (s *Runs) RunVersion(ctx context.Context, id string) (string, error) {
	r := s.db.Read()
	run, err := r.Run(ctx, id)
	if err != nil {
		return "", err
	}
	attempts, err := r.Attempts(ctx, id)
	if err != nil {
		return "", err
	}
	logs, err := r.RunLogs(ctx, id, 0, 0)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%s/%d/%d", run.Status, run.UpdatedAt, len(attempts), len(logs)), nil
}
