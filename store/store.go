// Package store persists berth's catalog, change log, runs and jobs. One
// implementation serves two engines through database/sql: an embedded SQLite
// file (modernc.org/sqlite, WAL, one writer) and PostgreSQL (pgx). Queries are
// written once with "?" placeholders and rebound for PostgreSQL; the few
// statements that differ live in the dialect.
//
// Every write happens in a transaction opened by DB.Write; a change and the
// event it causes are written in the same one.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engines berth can store its data in.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// DB is an open store. It is safe for concurrent use.
type DB struct {
	engine string
	write  *sql.DB // SQLite: one connection, so writers queue here, not on SQLITE_BUSY
	read   *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: same as write
	d      *dialect
	subs   subscriptions // workers waiting for jobs
	// notify (PostgreSQL) asks the notifier to tell other instances of
	// the pending kinds of jobs added; one NOTIFY stands for every commit
	// that asked while the previous one was being sent.
	notify   chan struct{}
	instance string // names this handle's notifications
	pending  struct {
		mu    sync.Mutex
		kinds kinds
	}
	stop  context.CancelFunc
	dsn   string
	lock  *os.File // SQLite: held while the file is open
	batch *batcher // SQLite: group commit of writes
	// SQLite: prepared statements of the write connection and the read pool.
	writeStmts, readStmts *stmtCache
	closed                sync.Once
	err                   error // of the first Close

	// commits tells committed events to the observer set by OnCommit.
	commits observer
	creates createGroup // PostgreSQL: entity creates written together
	handoff atomic.Pointer[handoff]
}

// IsPostgres reports whether dsn selects PostgreSQL rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the store named by dsn (a SQLite file path, or a postgres:// URL)
// and applies pending migrations.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{pool: 20}
	for _, opt := range opts {
		opt(&o)
	}
	var db *DB
	var err error
	if IsPostgres(dsn) {
		db, err = openPostgres(dsn, o.pool)
	} else {
		db, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.releaseStaleLeases(ctx); err != nil {
		db.Close()
		return nil, err
	}
	listenCtx, stop := context.WithCancel(context.Background())
	db.stop = stop
	if db.engine == EnginePostgres {
		go db.listen(listenCtx)
		go db.notifier(listenCtx)
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty SQLite path")
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	// WAL with synchronous=NORMAL: a commit is durable against a crash of
	// berth (the WAL is written before the commit returns) and the database
	// stays consistent on power loss; fsync happens at checkpoints.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)" +
		"&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)&_pragma=temp_store(MEMORY)"
	// The writer checkpoints the log into the database file every 4,000
	// pages (~16 MB of log) rather than SQLite's 1,000: pages written over
	// and over (the job queue's) are copied once per checkpoint instead of
	// four times, on the one writer every write waits for. berth bench:
	// 1,343–1,611 runs/s against 1,189–1,501, max latency 34–41 ms (10,000
	// pages: as fast, but checkpoints stalled writes for up to 85 ms). A
	// checkpointer beside the writer was tried: the writer then never
	// restarted the log, which grew without bound under load.
	write, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate&_pragma=wal_autocheckpoint(4000)&"+pragmas)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	// Make sure the file exists and WAL is on before readers open it.
	if err := write.Ping(); err != nil {
		write.Close()
		lock.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", "file:"+path+"?mode=ro&"+pragmas)
	if err != nil {
		write.Close()
		lock.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	db := &DB{engine: EngineSQLite, write: write, read: read, d: sqliteDialect, dsn: path, lock: lock}
	db.writeStmts, db.readStmts = newStmtCache(write), newStmtCache(read)
	db.batch = newBatcher(write, sqliteDialect, db.wake, db.writeStmts, &db.handoff)
	return db, nil
}

// Option tunes Open.
type Option func(*options)

type options struct {
	pool int
}

// WithPool sets how many PostgreSQL connections the instance keeps at most
// (default 20; one more is used for LISTEN). It does not apply to SQLite,
// which has one writer and a small read pool.
func WithPool(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.pool = n
		}
	}
}

func openPostgres(url string, pool int) (*DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(pool)
	db.SetMaxIdleConns(pool)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{engine: EnginePostgres, write: db, read: db, d: postgresDialect, dsn: url,
		notify: make(chan struct{}, 1), instance: strconv.FormatInt(rand.Int64(), 36)}, nil
}

// Engine returns EngineSQLite or EnginePostgres.
func (db *DB) Engine() string { return db.engine }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.write.PingContext(ctx) }

// Close closes the database.
func (db *DB) Close() error {
	db.closed.Do(func() { db.err = db.close() })
	return db.err
}

func (db *DB) close() error {
	if db.stop != nil {
		db.stop()
	}
	if db.batch != nil {
		db.batch.close()
		db.writeStmts.close()
		db.readStmts.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.lock != nil {
		err = errors.Join(err, db.lock.Close())
	}
	return err
}

// Read returns queries that run outside any transaction, on the read pool.
func (db *DB) Read() *Queries {
	return &Queries{x: db.read, d: db.d, wake: db.wake, stmts: db.readStmts}
}

// autocommit runs fn with queries that commit statement by statement on
// PostgreSQL (each one atomic on its own, a round trip each, without
// BEGIN and COMMIT), and in a write transaction on SQLite, whose writes
// all go through the group commit.
func (db *DB) autocommit(ctx context.Context, fn func(q *Queries) error) error {
	if db.batch != nil {
		return db.Write(ctx, fn)
	}
	q := &Queries{x: db.write, d: db.d, wake: db.wake, handoff: db.handoff.Load()}
	err := fn(q)
	q.wake(q.woken)
	q.handoff.pass(q.handed)
	return err
}

// Write runs fn in a write transaction, committing when it returns nil and
// rolling back otherwise. On SQLite, writes that arrive together share one
// commit (group commit), each still atomic on its own.
func (db *DB) Write(ctx context.Context, fn func(q *Queries) error) error {
	return db.observed(fn, func(fn func(q *Queries) error) error { return db.writeTx(ctx, fn) })
}

// writeTx is Write without the commit observer.
func (db *DB) writeTx(ctx context.Context, fn func(q *Queries) error) error {
	if db.batch != nil {
		return db.batch.write(ctx, fn)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	q := &Queries{x: tx, d: db.d, wake: db.wake, handoff: db.handoff.Load()}
	if err := fn(q); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	q.wake(q.woken)
	q.handoff.pass(q.handed)
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries are the statements of the store, bound to a transaction (from
// Write) or to the read pool (from Read).
type Queries struct {
	x     querier
	d     *dialect
	wake  func(kinds) // wakes the job workers
	woken kinds       // whose workers to wake once the transaction commits (never on rollback)
	// handoff is the hand-off registered when the transaction began, and
	// handed the jobs it leased, to pass on once the transaction commits.
	handoff *handoff
	handed  []Job
	// events collects the events appended, for the commit observer.
	events *[]*berth.Event
	// stmts, when set, holds prepared statements for x's pool; tx is set
	// when x is a transaction on that pool.
	stmts *stmtCache
	tx    *sql.Tx
}

// prepared returns query prepared for q, or nil to run it unprepared.
func (q *Queries) prepared(ctx context.Context, query string) *sql.Stmt {
	if q.stmts == nil {
		return nil
	}
	s, err := q.stmts.get(ctx, query, q.tx != nil)
	if err != nil || s == nil {
		return nil // let the plain call report the error
	}
	if q.tx != nil {
		return q.tx.StmtContext(ctx, s)
	}
	return s
}

// wakeAfterCommit wakes the workers of a kind of jobs ("" for every kind)
// once the transaction commits.
func (q *Queries) wakeAfterCommit(kind string) { q.woken.add(kind) }

func (q *Queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := q.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return q.x.ExecContext(ctx, q.d.rebind(query), args...)
}

func (q *Queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := q.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.x.QueryContext(ctx, q.d.rebind(query), args...)
}

func (q *Queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := q.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.x.QueryRowContext(ctx, q.d.rebind(query), args...)
}
