package storage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func open(t *testing.T, dsn string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), dsn, tenure.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Migrations keep their checksums: running them again changes nothing, a database from
// before checksums gets them, and an applied migration whose text differs is refused.
func TestMigrationChecksums(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db := open(t, e.DSN)
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second run: %v", err)
		}
		raw := db.Raw()
		var applied, summed int
		if err := raw.QueryRow(`SELECT COUNT(*), COUNT(checksum) FROM schema_migrations`).Scan(&applied, &summed); err != nil {
			t.Fatal(err)
		}
		if applied < 9 || summed != applied {
			t.Fatalf("%d migrations applied, %d with a checksum", applied, summed)
		}
		var sum string
		if err := raw.QueryRow(`SELECT checksum FROM schema_migrations WHERE version = '0001_core'`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if len(sum) != 64 {
			t.Fatalf("checksum %q is not a hex SHA-256", sum)
		}

		// A database migrated before checksums were kept: they are filled in, not refused.
		if _, err := raw.Exec(`UPDATE schema_migrations SET checksum = NULL`); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("filling checksums: %v", err)
		}
		var again string
		if err := raw.QueryRow(`SELECT checksum FROM schema_migrations WHERE version = '0001_core'`).Scan(&again); err != nil || again != sum {
			t.Fatalf("refilled checksum %q (%v), want %q", again, err, sum)
		}

		// The stored text no longer matches: Migrate names the migration and applies nothing.
		if _, err := raw.Exec(`UPDATE schema_migrations SET checksum = 'edited' WHERE version = '0002_rules'`); err != nil {
			t.Fatal(err)
		}
		err := db.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "0002_rules") || !strings.Contains(err.Error(), "changed after it was applied") {
			t.Fatalf("edited migration: %v", err)
		}
	})
}
