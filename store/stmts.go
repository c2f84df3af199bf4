package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the cache: queries built with varying IN lists
// or limits beyond it are simply not cached.
const maxCachedStatements = 512

// stmtCache keeps SQLite statements prepared, so each query is parsed once
// per connection instead of once per execution (parsing was a fifth of the
// CPU of the write path). PostgreSQL's driver caches statements itself.
type stmtCache struct {
	db      *sql.DB
	mu      sync.RWMutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool // missed inside a transaction, to prepare later
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns query prepared on the cache's pool, or nil when it is not
// prepared (yet): the caller then runs it unprepared. Inside a transaction
// on a one-connection pool a statement cannot be prepared (the transaction
// holds the connection), so inTx only notes it for preparePending.
func (c *stmtCache) get(ctx context.Context, query string, inTx bool) (*sql.Stmt, error) {
	c.mu.RLock()
	s, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return s, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	if len(c.stmts)+len(c.pending) >= maxCachedStatements {
		return nil, nil
	}
	if inTx {
		c.pending[query] = true
		return nil, nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = s
	return s, nil
}

// preparePending prepares the statements missed inside transactions. The
// batcher calls it between transactions, when the connection is free.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for query := range c.pending {
		if s, err := c.db.PrepareContext(ctx, query); err == nil {
			c.stmts[query] = s
		}
		delete(c.pending, query)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
}
