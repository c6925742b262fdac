package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the embedded migrations not yet applied, in order, each in its own
// transaction. Concurrent callers on PostgreSQL wait for each other. Each applied
// migration's SHA-256 is kept; a migration whose text changed after it was applied stops
// Migrate with an error naming it, since the database no longer matches the code's schema.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	unlock, err := db.d.lockMigrations(ctx, conn)
	if err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	if err := addChecksumColumn(ctx, conn); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		sum := checksum(body)
		var stored sql.NullString
		err = conn.QueryRowContext(ctx, `SELECT checksum FROM schema_migrations WHERE version = $1`, version).Scan(&stored)
		switch {
		case err == nil && !stored.Valid:
			// Applied before checksums were kept: trust it as it is now.
			if _, err := conn.ExecContext(ctx, `UPDATE schema_migrations SET checksum = $1 WHERE version = $2`, sum, version); err != nil {
				return err
			}
			continue
		case err == nil && stored.String != sum:
			return fmt.Errorf("migration %s was changed after it was applied to %s (checksum %s, now %s): a migration is never edited; add a new one", version, db.display, stored.String, sum)
		case err == nil:
			continue
		case !isNoRows(err):
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range splitSQL(string(body)) {
			if db.Engine != "sqlite" {
				// The one difference in schema text: SQLite's clustered tables. PostgreSQL
				// tables are heaps with separate indexes whatever is written.
				stmt = strings.ReplaceAll(stmt, ") WITHOUT ROWID", ")")
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("migration %s: %w\n%s", version, err, stmt)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at, checksum) VALUES ($1, $2, $3)`, version, ts(db.clock.Now()), sum); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		db.log.Info("migration applied", "version", version)
	}
	return nil
}

// checksum identifies a migration's text: SHA-256, hex.
func checksum(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// addChecksumColumn gives a schema_migrations table from before checksums its column.
func addChecksumColumn(ctx context.Context, conn *sql.Conn) error {
	// (A probe of the one column rather than SELECT *: PostgreSQL refuses a cached plan whose
	// result type changed.)
	if _, probe := conn.ExecContext(ctx, `SELECT checksum FROM schema_migrations WHERE 1 = 0`); probe == nil {
		return nil
	} else if _, err := conn.ExecContext(ctx, `ALTER TABLE schema_migrations ADD COLUMN checksum TEXT`); err != nil {
		return fmt.Errorf("schema_migrations: %w (probing the checksum column: %v)", err, probe)
	}
	return nil
}

// splitSQL splits a migration into statements at semicolons ending a line, dropping
// comment lines.
func splitSQL(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}
