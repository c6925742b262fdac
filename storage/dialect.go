package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds what differs between the engines.
type dialect struct {
	// forUpdate is appended to SELECTs that read a row about to be changed. SQLite needs
	// none: its single writer connection already serialises writers.
	forUpdate string
	// skipLocked is appended to queue claims so that nodes claim different rows.
	skipLocked     string
	lockMigrations func(ctx context.Context, conn *sql.Conn) (func(), error)
	retryable      func(error) bool
	uniqueViolated func(error) bool
	// placeholder returns the n-th parameter of a statement made only of positional
	// parameters (multi-row inserts). SQLite looks each "$n" name up in a list, which is
	// quadratic in statements with thousands of parameters; "?" is bound by position.
	placeholder func(n int) string
	groups      groupLimits
	// releaseSavepoints makes a grouped write release its savepoint when it succeeds.
	// SQLite copies a page into the savepoint journal the first time each open savepoint
	// changes it, checking every open savepoint, so an unreleased stack makes a group cost
	// the square of its size; releasing the only open savepoint empties that journal.
	// PostgreSQL keeps them open: a release is one more round trip, and a released
	// subtransaction costs the same as an open one.
	releaseSavepoints bool
}

func (db *DB) openSQLite(ctx context.Context, path, synchronous string) error {
	if path == "" {
		path = "tenure.db"
	}
	switch synchronous {
	case "", "full":
		synchronous = "FULL"
	case "normal":
		synchronous = "NORMAL"
	default:
		return fmt.Errorf("open sqlite: synchronous must be full or normal, not %q", synchronous)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// The file is created readable by its owner only, whatever the umask, before SQLite
	// opens it; SQLite gives the -wal and -shm files the database file's mode, and
	// restrictFile tightens any that exist from before.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_ = f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := restrictFile(path + suffix); err != nil {
			return err
		}
	}
	db.keys.file = path + ".key"
	// mmap_size lets every connection read pages from the file mapping instead of copying
	// them with a system call each: with a million members the tables outgrow each
	// connection's page cache and random reads pay for it. The writer's larger page cache
	// keeps the B-tree pages that random keys (store-supplied event and order ids) touch,
	// and its savepoint journals stay in memory (temp_store) rather than in temporary files.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(" + synchronous + ")&_pragma=foreign_keys(1)&_pragma=analysis_limit(1000)&_pragma=mmap_size(1073741824)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=cache_size(-65536)&_pragma=temp_store(2)&_txlock=immediate")
	if err != nil {
		return err
	}
	// One writer connection: SQLite allows one writer at a time, and queuing in Go is cheaper
	// than busy-waiting in the engine.
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	r.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := restrictFile(path + suffix); err != nil {
			return err
		}
	}
	db.write, db.read, db.Engine, db.display = w, r, "sqlite", "sqlite:"+path
	db.d = dialect{
		placeholder:       func(int) string { return "?" },
		groups:            groupLimits{leaders: 1, maxGroup: 256},
		releaseSavepoints: true,
		lockMigrations:    func(context.Context, *sql.Conn) (func(), error) { return func() {}, nil },
		retryable: func(err error) bool {
			var se *sqlite.Error
			if errors.As(err, &se) {
				code := se.Code() & 0xff
				return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
			}
			return false
		},
		uniqueViolated: func(err error) bool {
			var se *sqlite.Error
			return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
		},
	}
	return nil
}

func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(32)
	p.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.PingContext(ctx); err != nil {
		_ = p.Close()
		return fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	db.write, db.read, db.Engine, db.display = p, p, "postgres", redact(dsn)
	var schema string
	if err := p.QueryRowContext(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		_ = p.Close()
		return fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	db.changes.dsn, db.changes.channel = dsn, channelFor(schema)
	db.d = dialect{
		placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
		groups:      groupLimits{leaders: 8, maxGroup: 48},
		forUpdate:   " FOR UPDATE",
		skipLocked:  " FOR UPDATE SKIP LOCKED",
		lockMigrations: func(ctx context.Context, conn *sql.Conn) (func(), error) {
			// An arbitrary constant key: "tenure" in ASCII.
			if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(116101110117114)`); err != nil {
				return nil, err
			}
			return func() { _, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(116101110117114)`) }, nil
		},
		retryable: func(err error) bool {
			var pe *pgconn.PgError
			// serialization_failure, deadlock_detected, unique_violation (a concurrent insert of
			// the same key: the retry sees the winner's row).
			return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505")
		},
		uniqueViolated: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-key conflict on either engine.
func (db *DB) IsUniqueViolation(err error) bool { return db.d.uniqueViolated(err) }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
