package store

import "context"

// CreateTogether writes nes as creates that arrive together are written
// on PostgreSQL: with one statement (and one at a time if it fails).
func (db *DB) CreateTogether(ctx context.Context, nes []NewEntity) ([]bool, []error) {
	batch := make([]*createRequest, len(nes))
	for i, ne := range nes {
		batch[i] = &createRequest{ctx: ctx, ne: ne, done: make(chan struct{})}
	}
	db.createBatch(batch)
	created, errs := make([]bool, len(nes)), make([]error, len(nes))
	for i, r := range batch {
		<-r.done
		created[i], errs[i] = r.created, r.err
	}
	return created, errs
}
