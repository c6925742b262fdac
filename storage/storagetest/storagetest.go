// Package storagetest runs behaviour tests on every storage engine: a fresh SQLite file in
// t.TempDir() always, and a fresh PostgreSQL schema when TENURE_TEST_POSTGRES_URL is set
// (CI sets it and fails if the server is unreachable).
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/secret"
	"github.com/tenure-loyalty/tenure/storage"
)

// PostgresEnv names the variable holding the PostgreSQL URL for tests.
const PostgresEnv = "TENURE_TEST_POSTGRES_URL"

// Engine is one storage engine a test runs on.
type Engine struct {
	Name string // "sqlite" or "postgres"
	DSN  string // a fresh, empty database or schema
}

var warnOnce sync.Once

// Engines returns a fresh database on each available engine; cleanup drops them.
func Engines(t testing.TB) []Engine {
	t.Helper()
	out := []Engine{{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "tenure.db")}}
	if pg := os.Getenv(PostgresEnv); pg != "" {
		out = append(out, Engine{Name: "postgres", DSN: FreshSchema(t, pg)})
	} else {
		warnOnce.Do(func() { t.Logf("%s is not set: storage behaviour runs on SQLite only (CI sets it)", PostgresEnv) })
	}
	return out
}

// Each runs fn as a subtest per engine.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) { fn(t, e) })
	}
}

// FreshSchema creates an empty schema on the PostgreSQL server at base and returns a URL
// whose connections use it. The schema is dropped when the test ends.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	schema := "t_" + hex.EncodeToString(raw[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres %s: %v", PostgresEnv, err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		_ = admin.Close()
		t.Fatalf("postgres at %s is unreachable or refused CREATE SCHEMA: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens and migrates the engine's database with clock; it is closed at cleanup.
func Open(t testing.TB, e Engine, clock tenure.Clock) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), e.DSN, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if e.Name == "postgres" {
		db.SetKeyring(TestKeyring(t))
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestKeyring returns a fresh keyring for sealing stored secrets in a test.
func TestKeyring(t testing.TB) *secret.Keyring {
	t.Helper()
	k, err := secret.Parse(secret.Generate())
	if err != nil {
		t.Fatal(err)
	}
	return k
}
