// Package storage keeps Tenure's state in SQLite (the embedded default) or PostgreSQL
// (scale-out) with one schema and one set of queries. The few places where the engines
// differ (row locks, SKIP LOCKED, migration locking, error codes) are in dialect.go.
//
// Every change happens inside DB.Write, which runs a function in one transaction whose
// Now is fixed from the injected clock when it begins, and retries it when the engine
// reports a transient conflict (SQLITE_BUSY, serialization failure, deadlock).
package storage

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// DB is an open database.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	d       dialect
	clock   tenure.Clock
	log     *slog.Logger
	Engine  string // "sqlite" or "postgres"
	display string

	writeStmts, readStmts *stmtCache
	keys                  keys

	// newDeliveries, if set, is called after a commit that queued webhook deliveries.
	newDeliveries atomic.Pointer[func()]
	changes       *changeFeed
	buckets       bucketConns

	// trace, when set, sees every statement the transactions and reads run.
	trace func(query string, args []any)

	// optimizedAt is when SQLite's planner statistics were last refreshed (Unix µs).
	optimizedAt atomic.Int64

	groups grouper
}

// OnNewDeliveries registers fn to be called after every commit of this handle that
// queued webhook deliveries, so a local delivery worker can start at once instead of at
// its next poll. fn must not block.
func (db *DB) OnNewDeliveries(fn func()) { db.newDeliveries.Store(&fn) }

// notifyDeliveries arranges for the new-deliveries callback to run after tx commits.
func (tx *Tx) notifyDeliveries() {
	if fn := tx.db.newDeliveries.Load(); fn != nil {
		tx.OnCommit(*fn)
	}
}

// Options tune how a database is opened; the zero value is the safe default.
type Options struct {
	// SQLiteSynchronous is SQLite's synchronous setting: "full" (the default: a committed
	// transaction survives a power loss) or "normal" (in WAL mode it survives a crash of
	// the process but not of the machine; commits skip an fsync). PostgreSQL ignores it.
	SQLiteSynchronous string
}

// Open connects to the database named by dsn: a postgres:// or postgresql:// URL, or an
// SQLite file path (optionally prefixed by sqlite: or file:). It does not migrate.
func Open(ctx context.Context, dsn string, clock tenure.Clock, log *slog.Logger) (*DB, error) {
	return OpenWith(ctx, dsn, clock, log, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, dsn string, clock tenure.Clock, log *slog.Logger, opt Options) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{clock: clock, log: log, changes: newChangeFeed()}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		err = db.openPostgres(ctx, dsn)
	} else {
		err = db.openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:"), opt.SQLiteSynchronous)
	}
	if err != nil {
		return nil, err
	}
	if db.Engine == "sqlite" {
		db.changes.live.Store(true) // one node: every change is made, and heard, in process
	}
	db.groups.limits = db.d.groups
	db.writeStmts = &stmtCache{pool: db.write}
	db.readStmts = &stmtCache{pool: db.read}
	if db.Engine == "postgres" {
		// pgx already caches prepared statements per connection.
		db.writeStmts, db.readStmts = nil, nil
	} else {
		db.optimize(ctx, "PRAGMA optimize=0x10002")
	}
	return db, nil
}

// String names the database without credentials.
func (db *DB) String() string { return db.display }

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres"
	}
	u.User = nil
	return u.String()
}

// Close stops the change listener and closes both pools.
func (db *DB) Close() error {
	db.stopListening()
	db.buckets.once.Do(func() {}) // none may open after Close
	if db.buckets.pool != nil && db.buckets.pool != db.write {
		_ = db.buckets.pool.Close()
	}
	for _, c := range []*stmtCache{db.writeStmts, db.readStmts} {
		if c != nil {
			c.m.Range(func(_, v any) bool { _ = v.(*sql.Stmt).Close(); return true })
		}
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Clock returns the clock transactions take their time from.
func (db *DB) Clock() tenure.Clock { return db.clock }

// Tx is one transaction. Now is fixed when it begins.
type Tx struct {
	tx  *sql.Tx
	d   dialect
	Now time.Time
	db  *DB

	webhooks map[string][]tenure.Webhook // per tenant, loaded once per transaction
	onCommit []func()
	changes  []Change // announced by Notify, sent and delivered on commit
	cache    *stmtCache
	missed   []string // statements to prepare once the transaction is over
	// detached, for a write sharing a grouped transaction, is the context its statements
	// run with instead of the caller's (see group.go).
	detached context.Context

	// Rows buffered until just before the commit, written with one INSERT per table.
	outbox, deliveries, jobs [][]any
	// Rule counters and budget spends, buffered the same way (rules.go).
	usage      map[usageRow]*Counter
	usageOrder []usageRow
	spends     map[budgetRow]int64
	spendOrder []budgetRow
}

// OnCommit registers fn to run after the transaction commits (never if it rolls back).
func (tx *Tx) OnCommit(fn func()) { tx.onCommit = append(tx.onCommit, fn) }

// NewID returns a new id with the given prefix stamped with the transaction's time.
func (tx *Tx) NewID(prefix string) string { return tenure.NewID(prefix, tx.Now) }

const maxAttempts = 8

// Write runs fn in a read-write transaction and commits it, retrying the whole function
// when the engine reports a transient conflict. fn must not have effects outside tx.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		err = db.run(ctx, db.write, false, fn)
		if err == nil {
			db.maybeOptimize(ctx)
		}
		// Domain errors (*tenure.Error) are answers, not transient failures.
		if err == nil || tenure.KindOf(err) != tenure.KindInternal || !db.d.retryable(err) {
			return err
		}
		db.log.Debug("retrying transaction", "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(1+attempt*attempt) * time.Millisecond):
		}
	}
	return err
}

// optimizeEvery is how often a write refreshes SQLite's planner statistics.
const optimizeEvery = time.Hour

// optimize refreshes SQLite's planner statistics (sqlite_stat1) for the tables whose
// size changed enough to matter, as SQLite recommends for long-lived connections: on
// open (0x10002 also covers tables never queried on this connection) and then hourly,
// after a write. analysis_limit bounds each table's scan, so a run costs milliseconds
// at any size. PostgreSQL's autovacuum does the same there. A failure only leaves older
// statistics, so it is logged, not returned.
//
// Statistics of a table under minStatRows rows are dropped again: taken while a store is
// new (or a demo is being replayed), they would tell the planner that a scan is cheapest
// long after the table has grown, until the next refresh. Without them SQLite assumes
// large tables and uses the indexes.
func (db *DB) optimize(ctx context.Context, pragma string) {
	db.optimizedAt.Store(db.clock.Now().UnixMicro())
	ctx = context.WithoutCancel(ctx)
	if _, err := db.write.ExecContext(ctx, pragma); err != nil {
		db.log.Warn("sqlite optimize", "err", err)
		return
	}
	res, err := db.write.ExecContext(ctx, `DELETE FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < `+strconv.Itoa(minStatRows))
	if err != nil {
		return // no statistics table yet: nothing was analysed
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if _, err := db.write.ExecContext(ctx, `ANALYZE sqlite_schema`); err != nil { // reload what is left
			db.log.Warn("sqlite optimize", "err", err)
		}
	}
}

// minStatRows is the smallest table whose planner statistics are kept.
const minStatRows = 1000

// maybeOptimize refreshes SQLite's statistics after a write when optimizeEvery has passed.
func (db *DB) maybeOptimize(ctx context.Context) {
	if db.Engine == "sqlite" && db.clock.Now().UnixMicro()-db.optimizedAt.Load() > optimizeEvery.Microseconds() {
		db.optimize(ctx, "PRAGMA optimize")
	}
}

// Read runs fn in a read-only transaction.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(*Tx) error) (err error) {
	sqlTx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly && db.Engine == "postgres"})
	if err != nil {
		return err
	}
	tx := &Tx{tx: sqlTx, d: db.d, Now: db.clock.Now(), db: db, cache: db.writeStmts}
	if pool == db.read && db.read != db.write {
		tx.cache = db.readStmts
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if len(tx.missed) > 0 {
			tx.cache.prepare(context.WithoutCancel(ctx), tx.missed)
		}
	}()
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := tx.flushBuffered(ctx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := tx.sendChanges(ctx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return err
	}
	if len(tx.changes) > 0 {
		db.changes.deliver(tx.changes)
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
}

// SetTrace makes fn see the text and arguments of every statement the DB's transactions
// and reads run, for tests that examine the queries a path sends (their plans, their
// number). Set it while no transaction runs; nil turns it off.
func (db *DB) SetTrace(fn func(query string, args []any)) { db.trace = fn }

// Raw returns the write pool, for benchmarks that measure the storage ceiling.
func (db *DB) Raw() *sql.DB { return db.write }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = tx.c(ctx)
	if tx.db.trace != nil {
		tx.db.trace(q, args)
	}
	if st := tx.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, q, args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = tx.c(ctx)
	if tx.db.trace != nil {
		tx.db.trace(q, args)
	}
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, q, args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = tx.c(ctx)
	if tx.db.trace != nil {
		tx.db.trace(q, args)
	}
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// stmt returns q prepared for this transaction, from a per-pool cache of prepared
// statements: parsing SQL is a large share of a small statement's cost in SQLite. A miss
// runs unprepared and is prepared on the pool after the transaction ends (preparing
// inside it would wait for the single writer connection the transaction holds). Only the
// first stmtCacheSize distinct statements are cached (multi-row inserts vary in shape).
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	c := tx.cache
	if c == nil {
		return nil
	}
	if v, ok := c.m.Load(q); ok {
		return tx.tx.StmtContext(ctx, v.(*sql.Stmt))
	}
	if c.n.Load() < stmtCacheSize && len(q) <= 4000 {
		tx.missed = append(tx.missed, q)
	}
	return nil
}

// prepare adds statements to the cache; called with no transaction open on the pool.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		if _, ok := c.m.Load(q); ok || c.n.Load() >= stmtCacheSize {
			continue
		}
		st, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		if _, loaded := c.m.LoadOrStore(q, st); loaded {
			_ = st.Close()
		} else {
			c.n.Add(1)
		}
	}
}

const stmtCacheSize = 512

// stmtCache holds statements prepared on one pool.
type stmtCache struct {
	pool *sql.DB
	m    sync.Map // query -> *sql.Stmt
	n    atomic.Int64
}

// ts converts a time to stored microseconds.
func ts(t time.Time) int64 { return t.UnixMicro() }

// nts converts an optional time to a nullable column value.
func nts(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// fromTS converts stored microseconds to UTC time.
func fromTS(us int64) time.Time { return time.UnixMicro(us).UTC() }

// fromNTS converts a nullable column to an optional time.
func fromNTS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromTS(v.Int64)
	return &t
}
