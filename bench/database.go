package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver, for creating and dropping schemas
)

// scratch is where one benchmark run keeps its data: a temporary SQLite file or a private
// PostgreSQL schema. reset empties it before each measurement, so that every measurement
// starts from the same state; close removes it.
type scratch struct {
	engine string // "sqlite" or "postgres"
	dsn    string // what storage.Open is given
	where  string // for the report, without credentials
	// synchronous is SQLite's synchronous setting for the fixtures ("" is the default).
	synchronous string

	path   string  // sqlite: the database file
	admin  *sql.DB // postgres: a connection outside the schema
	schema string  // postgres: bench_<random>
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newScratch prepares the run's database. An empty dsn means a temporary SQLite file in
// os.TempDir(). An SQLite path must not exist yet: the benchmark deletes what it writes
// and so never opens a real database. A postgres:// URL names the server; the run works in
// a new schema there, selected for every connection through the URL's search_path.
func newScratch(ctx context.Context, dsn string) (*scratch, error) {
	if isPostgres(dsn) {
		return newPostgresScratch(ctx, dsn)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if path == "" {
		path = filepath.Join(os.TempDir(), "tenure-bench-"+randomHex(6)+".db")
	} else if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("bench: %s exists; give a path that does not, the benchmark deletes its database afterwards", path)
	}
	return &scratch{engine: "sqlite", dsn: path, where: "sqlite:" + path, path: path}, nil
}

func newPostgresScratch(ctx context.Context, dsn string) (*scratch, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("bench: database URL: %w", err)
	}
	schema := "bench_" + randomHex(6)
	q := u.Query()
	q.Del("search_path")
	base := *u
	base.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", base.String())
	if err != nil {
		return nil, err
	}
	admin.SetMaxOpenConns(1)
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		return nil, fmt.Errorf("bench: postgres: %w", err)
	}
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	shown := *u
	shown.User = nil
	return &scratch{engine: "postgres", dsn: u.String(), where: shown.String(), admin: admin, schema: schema}, nil
}

// reset leaves an empty database behind: the SQLite file and its WAL are deleted, the
// PostgreSQL schema is dropped and created again.
func (s *scratch) reset(ctx context.Context) error {
	if s.engine == "sqlite" {
		return s.removeFiles()
	}
	if _, err := s.admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+s.schema+` CASCADE`); err != nil {
		return err
	}
	_, err := s.admin.ExecContext(ctx, `CREATE SCHEMA `+s.schema)
	return err
}

func (s *scratch) removeFiles() error {
	var errs []error
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(s.path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// close deletes everything the run wrote.
func (s *scratch) close() error {
	if s.engine == "sqlite" {
		return s.removeFiles()
	}
	_, err := s.admin.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+s.schema+` CASCADE`)
	return errors.Join(err, s.admin.Close())
}
