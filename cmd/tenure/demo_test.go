package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestDemoNeverTouchesAServeDatabase creates a database the way production does (`keys
// create` bootstraps it), then points `tenure demo` at it through TENURE_DATABASE_URL and
// through -database-url: the demo refuses, exits non-zero, and the database is unchanged
// (same files and bytes on SQLite; same tenants, keys and tables on PostgreSQL). With
// -replace it builds the demo there; run again on its own database, it rebuilds it.
func TestDemoNeverTouchesAServeDatabase(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		env := func(extra map[string]string) func(string) string {
			return func(k string) string {
				if k == "TENURE_SECRET_KEY" {
					return apptest.TestSecretKey(e.DSN)
				}
				return extra[k]
			}
		}
		plain := env(nil)
		var out, errs bytes.Buffer
		if code := run(ctx, []string{"keys", "create", "-name", "prod", "-database-url", e.DSN}, &out, &errs, plain); code != 0 {
			t.Fatalf("keys create: %d %s", code, errs.String())
		}
		before := snapshot(t, e)
		out.Reset()
		if code := run(ctx, []string{"keys", "list", "-database-url", e.DSN}, &out, &errs, plain); code != 0 {
			t.Fatalf("keys list: %d %s", code, errs.String())
		}
		keysBefore := out.String()
		if e.Name == "sqlite" {
			before = snapshot(t, e) // keys list opened and closed the file
		}

		attempts := []struct {
			name string
			args []string
			env  func(string) string
		}{
			{"TENURE_DATABASE_URL", []string{"demo", "-no-serve", "-customers", "20", "-months", "1"}, env(map[string]string{"TENURE_DATABASE_URL": e.DSN})},
			{"-database-url", []string{"demo", "-no-serve", "-customers", "20", "-months", "1", "-database-url", e.DSN}, plain},
		}
		for _, a := range attempts {
			out.Reset()
			errs.Reset()
			code := run(ctx, a.args, &out, &errs, a.env)
			if code == 0 {
				t.Fatalf("%s: the demo ran on a serve database:\n%s", a.name, out.String())
			}
			msg := errs.String()
			if !strings.Contains(msg, "will not touch") || !strings.Contains(msg, "-replace") || !strings.Contains(msg, "My store") {
				t.Fatalf("%s: unclear refusal: %s", a.name, msg)
			}
			if after := snapshot(t, e); after != before {
				t.Fatalf("%s: the database changed:\nbefore %s\nafter  %s", a.name, before, after)
			}
		}
		out.Reset()
		if code := run(ctx, []string{"keys", "list", "-database-url", e.DSN}, &out, &errs, plain); code != 0 || out.String() != keysBefore {
			t.Fatalf("keys list after the refusals: %d\n%s\nbefore:\n%s", code, out.String(), keysBefore)
		}

		// -replace erases it and builds the demo; a second run rebuilds its own database.
		for _, args := range [][]string{
			{"demo", "-no-serve", "-customers", "20", "-months", "1", "-replace", "-database-url", e.DSN},
			{"demo", "-no-serve", "-customers", "20", "-months", "1", "-database-url", e.DSN},
		} {
			errs.Reset()
			if code := run(ctx, args, &out, &errs, plain); code != 0 {
				t.Fatalf("%v: %d %s", args, code, errs.String())
			}
			inv, err := storage.Inspect(ctx, e.DSN)
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Tenants) != 1 {
				t.Fatalf("%v: %d tenants, want the demo's alone: %v", args, len(inv.Tenants), inv.Tenants)
			}
			for _, name := range inv.Tenants {
				if name == "My store" {
					t.Fatalf("%v: the serve tenant survived -replace", args)
				}
			}
		}
	})
}

// TestDemoDefaultsToItsOwnFile: with no database named, the demo builds tenure-demo.db in
// the working directory, not the serve default tenure.db.
func TestDemoDefaultsToItsOwnFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"demo", "-no-serve", "-customers", "20", "-months", "1"}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("demo: %d %s", code, errs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "tenure-demo.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tenure.db")); err == nil {
		t.Fatal("the demo created tenure.db")
	}
}

// snapshot summarises a database: on SQLite the names, sizes and hashes of its files;
// on PostgreSQL its tenants, keys and tables.
func snapshot(t *testing.T, e storagetest.Engine) string {
	t.Helper()
	if e.Name == "sqlite" {
		dir := filepath.Dir(e.DSN)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, en := range entries {
			b, err := os.ReadFile(filepath.Join(dir, en.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := en.Info()
			parts = append(parts, fmt.Sprintf("%s:%v:%d:%x", en.Name(), fi.Mode(), len(b), sha256.Sum256(b)))
		}
		sort.Strings(parts)
		return strings.Join(parts, " ")
	}
	inv, err := storage.Inspect(context.Background(), e.DSN)
	if err != nil {
		t.Fatal(err)
	}
	db := openRaw(t, e)
	var keys, tables int
	if err := db.QueryRow(`SELECT COUNT(*) FROM api_keys`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id, name := range inv.Tenants {
		ids = append(ids, id+"="+name)
	}
	sort.Strings(ids)
	return fmt.Sprintf("%s keys=%d tables=%d meta=%v", strings.Join(ids, ","), keys, tables, sortedKeys(inv.Meta))
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
