package service

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/seal"
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

// Run returns one run with its attempts, its references marked deleted
// where they no longer exist. Errors: not_found.
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
	if err := markDeleted(ctx, r, run); err != nil {
		return nil, err
	}
	return &RunView{Run: run, Attempts: attempts}, nil
}

// Lookup returns a run as stored, for a caller that needs only its state:
// no attempts are read and its references are not checked.
// Errors: not_found.
func (s *Runs) Lookup(ctx context.Context, id string) (*berth.Run, error) {
	return s.db.Read().Run(ctx, id)
}

// List returns the runs f selects, newest first, their references marked
// deleted where they no longer exist.
func (s *Runs) List(ctx context.Context, f store.RunFilter) ([]*berth.Run, error) {
	r := s.db.Read()
	runs, err := r.Runs(ctx, f)
	if err != nil {
		return nil, err
	}
	return runs, markDeleted(ctx, r, runs...)
}

// markDeleted sets Deleted on the action, blueprint and entity references
// of runs whose object no longer exists (spec 7.1), asking the store about
// all of them at once. It is worked out whenever runs are shown, never
// stored: a run's document keeps what it was created with.
func markDeleted(ctx context.Context, q *store.Queries, runs ...*berth.Run) error {
	actions, blueprints, entities := map[string]bool{}, map[string]bool{}, map[store.EntityKey]bool{}
	for _, run := range runs {
		actions[run.Action.Identifier] = true
		if run.Blueprint != nil {
			blueprints[run.Blueprint.Identifier] = true
		}
		if key, ok := entityKey(run); ok {
			entities[key] = true
		}
	}
	found, err := q.Existing(ctx, store.Refs{Actions: slices.Collect(maps.Keys(actions)),
		Blueprints: slices.Collect(maps.Keys(blueprints)), Entities: slices.Collect(maps.Keys(entities))})
	if err != nil {
		return err
	}
	for _, run := range runs {
		run.Action.Deleted = !found.Actions[run.Action.Identifier]
		if run.Blueprint != nil {
			run.Blueprint.Deleted = !found.Blueprints[run.Blueprint.Identifier]
		}
		if key, ok := entityKey(run); ok {
			run.Entity.Deleted = !found.Entities[key]
		}
	}
	return nil
}

// entityKey names the entity a run is tied to, if any. An entity is named
// within its blueprint: a run tied to an entity but to no blueprint names
// none that can exist.
func entityKey(run *berth.Run) (store.EntityKey, bool) {
	if run.Entity == nil {
		return store.EntityKey{}, false
	}
	key := store.EntityKey{Identifier: run.Entity.Identifier}
	if run.Blueprint != nil {
		key.Blueprint = run.Blueprint.Identifier
	}
	return key, true
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
