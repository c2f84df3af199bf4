package engine

import (
	"context"
	"sync"

	"github.com/berthdev/berth/action"
	"github.com/berthdev/berth/automation"
	"github.com/berthdev/berth/store"
)

// actionCache holds the compiled actions and the automation index, rebuilt
// when the store's actions version changes (any instance's action write).
type actionCache struct {
	db *store.DB

	mu      sync.Mutex
	version string
	current *actionSet
}

type actionSet struct {
	index *automation.Index
	byID  map[string]*action.Compiled
}

// get returns the current actions, reloading them if any changed.
func (c *actionCache) get(ctx context.Context) (*actionSet, error) {
	v, err := c.db.Read().ActionsVersion(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil && v == c.version {
		return c.current, nil
	}
	all, err := c.db.Read().Actions(ctx, store.ActionFilter{})
	if err != nil {
		return nil, err
	}
	set := &actionSet{byID: map[string]*action.Compiled{}}
	var compiled []*action.Compiled
	for _, a := range all {
		ca, err := action.Compile(a)
		if err != nil {
			return nil, err
		}
		set.byID[a.Identifier] = ca
		compiled = append(compiled, ca)
	}
	set.index = automation.NewIndex(compiled)
	c.version, c.current = v, set
	return set, nil
}
