package service

import (
	"context"
	"encoding/json"
	"github.com/berthdev/berth/seal"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/store"
)

// Runs is the use cases of action runs.
type Runs struct {
	db *store.DB
	// SecretsKey opens sealed payloads, so that claimed runs (pull-based
	// executors) carry the payload as it is sent, secrets included.
	SecretsKey *seal.Key
}

// NewRuns returns the run use cases over db.
func NewRuns(db *store.DB) *Runs { return &Runs{db: db} }

// RunView is a run with its delivery attempts, as the runs API shows it.
type RunView struct {
	*berth.Run
	Attempts []*berth.Attempt `json:"attempts"`
}

// Run returns one run with its attempts. Errors: not_found.
func (s *Runs) Run(ctx context.Context, id string) (*RunView, error) {
	r := s.db.Read()
	run, err := r.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	attempts, err := r.Attempts(ctx, id)
	if err != nil {
		return nil, err
	}
	return &RunView{Run: run, Attempts: attempts}, nil
}

// List returns the runs f selects, newest first.
func (s *Runs) List(ctx context.Context, f store.RunFilter) ([]*berth.Run, error) {
	return s.db.Read().Runs(ctx, f)
}

// Logs returns a run's log lines, oldest first. Errors: not_found.
func (s *Runs) Logs(ctx context.Context, id string, limit, offset int) ([]*berth.RunLog, error) {
	r := s.db.Read()
	if _, err := r.Run(ctx, id); err != nil {
		return nil, err
	}
	return r.RunLogs(ctx, id, limit, offset)
}

// TriggerData returns what a run's templates were rendered with.
// Errors: not_found.
func (s *Runs) TriggerData(ctx context.Context, id string) (json.RawMessage, error) {
	return s.db.Read().RunTriggerData(ctx, id)
}
