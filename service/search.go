package service

import (
	"context"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/catalog"
	"github.com/berthdev/berth/store"
)

// SearchResult is the answer of an entity search.
type SearchResult struct {
	MatchingBlueprints []string
	Entities           []*berth.Entity
}

// Search returns the entities that match query (spec 10.6), narrowed to
// blueprint when it is not empty. The rules are evaluated in Go over the
// entities of the blueprints the query can match.
// Errors: invalid_request, unprocessable, not_found (blueprint).
func (c *Catalog) Search(ctx context.Context, blueprint string, rawQuery []byte) (*SearchResult, error) {
	query, err := catalog.ParseQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	r := c.db.Read()
	scope, err := searchScope(ctx, r, blueprint, query)
	if err != nil {
		return nil, err
	}
	res := &SearchResult{MatchingBlueprints: scope, Entities: []*berth.Entity{}}
	if len(scope) == 0 {
		return res, nil
	}
	all, err := r.Entities(ctx, scope...)
	if err != nil {
		return nil, err
	}
	bps, err := r.Blueprints(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*berth.Blueprint, len(bps))
	for _, bp := range bps {
		byID[bp.Identifier] = bp
	}
	now := c.now()
	ctx, cancel := context.WithTimeout(ctx, ComputeBudget)
	defer cancel()
	for _, e := range all {
		bp := byID[e.Blueprint]
		if bp != nil {
			e = c.computed(ctx, r, bp, e) // rules may name computed properties
		}
		if query.Match(e, bp, now) {
			res.Entities = append(res.Entities, e)
		}
	}
	return res, nil
}

// searchScope returns the blueprints a search must read.
func searchScope(ctx context.Context, r *store.Queries, blueprint string, query *catalog.Query) ([]string, error) {
	if blueprint != "" {
		if _, err := r.Blueprint(ctx, blueprint); err != nil {
			return nil, err
		}
		return []string{blueprint}, nil
	}
	if pinned := query.Blueprints(); len(pinned) > 0 {
		return pinned, nil
	}
	bps, err := r.Blueprints(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(bps))
	for i, bp := range bps {
		ids[i] = bp.Identifier
	}
	return ids, nil
}

// AuditLog returns change-log records (spec 11.9).
func (c *Catalog) AuditLog(ctx context.Context, f store.EventFilter) ([]*berth.Event, error) {
	return c.db.Read().Events(ctx, f)
}
