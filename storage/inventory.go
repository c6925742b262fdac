package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Meta returns a fact about the database (see the meta table); found is false if unset.
func (tx *Tx) Meta(ctx context.Context, key string) (value string, found bool, err error) {
	err = tx.queryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&value)
	if isNoRows(err) {
		return "", false, nil
	}
	return value, err == nil, err
}

// SetMeta records a fact about the database.
func (tx *Tx) SetMeta(ctx context.Context, key, value string) error {
	_, err := tx.exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Inventory describes what a database holds, read without changing anything (an SQLite
// file is opened read-only; nothing is created or migrated).
type Inventory struct {
	Exists  bool              // the SQLite file exists (always true for PostgreSQL)
	Tables  int               // tables in the file, or in the PostgreSQL schema in use
	Tenure  bool              // it has Tenure's tenants table
	Tenants map[string]string // tenant id -> name
	Meta    map[string]string
}

// Empty reports whether the database holds no table at all.
func (inv Inventory) Empty() bool { return !inv.Exists || inv.Tables == 0 }

// Inspect reads what the database at dsn holds, changing nothing.
func Inspect(ctx context.Context, dsn string) (Inventory, error) {
	inv := Inventory{Tenants: map[string]string{}, Meta: map[string]string{}}
	var db *sql.DB
	var err error
	tableCount := `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`
	hasTable := `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	if isPostgres(dsn) {
		inv.Exists = true
		db, err = sql.Open("pgx", dsn)
	} else {
		path := sqlitePath(dsn)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return inv, nil
		} else if err != nil {
			return inv, err
		}
		inv.Exists = true
		// Read-only. Without a WAL file nobody has the database open and it is whole, so it
		// is read as immutable: SQLite then creates no -wal or -shm file beside it.
		mode := "mode=ro"
		if _, err := os.Stat(path + "-wal"); errors.Is(err, os.ErrNotExist) {
			mode += "&immutable=1"
		}
		db, err = sql.Open("sqlite", "file:"+path+"?"+mode+"&_pragma=busy_timeout(10000)")
		tableCount = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`
		hasTable = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	}
	if err != nil {
		return inv, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, tableCount).Scan(&inv.Tables); err != nil {
		return inv, fmt.Errorf("not a database Tenure can read: %w", err)
	}
	read := func(table, q string, into map[string]string) error {
		var n int
		if err := db.QueryRowContext(ctx, hasTable, table).Scan(&n); err != nil || n == 0 {
			return err
		}
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			into[k] = v
		}
		return rows.Err()
	}
	var n int
	if err := db.QueryRowContext(ctx, hasTable, "tenants").Scan(&n); err != nil {
		return inv, err
	}
	inv.Tenure = n > 0
	if err := read("tenants", `SELECT id, name FROM tenants`, inv.Tenants); err != nil {
		return inv, err
	}
	return inv, read("meta", `SELECT key, value FROM meta`, inv.Meta)
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if p == "" {
		p = "tenure.db"
	}
	return p
}

var createTable = regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)`)

// Tables lists the tables Tenure's migrations create, in creation order.
func Tables() []string {
	names, _ := migrations.ReadDir("migrations")
	sort.Slice(names, func(i, j int) bool { return names[i].Name() < names[j].Name() })
	var out []string
	for _, n := range names {
		body, _ := migrations.ReadFile("migrations/" + n.Name())
		for _, m := range createTable.FindAllStringSubmatch(string(body), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// Erase deletes everything Tenure stored at dsn: the SQLite file with its WAL and
// shared-memory files, or in PostgreSQL every Tenure table of the schema in use (other
// tables are left alone). Only an explicit request may call it.
func Erase(ctx context.Context, dsn string) error {
	if !isPostgres(dsn) {
		path := sqlitePath(dsn)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		return nil
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	tables := append(Tables(), "schema_migrations")
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS `+tables[i]+` CASCADE`); err != nil {
			return err
		}
	}
	return nil
}

// Redact names a database without credentials.
func Redact(dsn string) string {
	if isPostgres(dsn) {
		return redact(dsn)
	}
	return "sqlite:" + sqlitePath(dsn)
}
