package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/secret"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// storedSecrets makes one of every credential Tenure keeps: an API key, a staff password,
// a widget signing secret and a webhook signing secret, and returns them in clear.
func storedSecrets(t *testing.T, s *server) []string {
	t.Helper()
	ctx := context.Background()
	ts, err := s.app.Service.Tenants.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tenant := ts[0].ID
	_, widgetSecret, err := s.app.Service.Widget.RotateSecret(ctx, tenant, "test")
	if err != nil {
		t.Fatal(err)
	}
	hook := s.do("POST", "/v1/webhooks", s.key, `{"url":"https://example.com/hook"}`)
	if hook.Status != 200 {
		t.Fatalf("webhook: %d %s", hook.Status, hook.Body)
	}
	_, password, err := s.app.Service.Access.CreateStaff(ctx, tenant, "test", service.NewStaff{Email: "owner@example.com", Name: "Owner", Role: service.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	return []string{s.key, widgetSecret, hook.JSON(t)["secret"].(string), password}
}

// textColumns lists every table's text columns.
func textColumns(t *testing.T, db *sql.DB, engine string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	q := `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'jsonb', 'json')`
	if engine == "sqlite" {
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND upper(p.type) IN ('TEXT', 'JSON', 'JSONB')`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoSecretInClear stores every kind of credential, then reads every text column of
// every table on each engine (and, on SQLite, the raw database and WAL files): none of
// the secrets may appear. The widget and webhook secrets still work: they are read back.
func TestNoSecretInClear(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		secrets := storedSecrets(t, s)
		db := s.app.DB.Raw()
		cols := textColumns(t, db, e.Name)
		if len(cols["webhooks"]) == 0 || len(cols["widget_settings"]) == 0 {
			t.Fatalf("the schema scan found no text columns of webhooks or widget_settings: %v", cols)
		}
		scanned := 0
		for table, cs := range cols {
			for _, c := range cs {
				rows, err := db.Query(`SELECT CAST(` + c + ` AS TEXT) FROM ` + table + ` WHERE ` + c + ` IS NOT NULL`)
				if err != nil {
					t.Fatalf("%s.%s: %v", table, c, err)
				}
				for rows.Next() {
					var v string
					if err := rows.Scan(&v); err != nil {
						t.Fatal(err)
					}
					scanned++
					for _, sec := range secrets {
						if strings.Contains(v, sec) {
							t.Errorf("%s.%s holds a secret in clear (%.12s...)", table, c, sec)
						}
					}
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
			}
		}
		if scanned == 0 {
			t.Fatal("scanned no values")
		}
		if e.Name == "sqlite" {
			for _, f := range []string{e.DSN, e.DSN + "-wal"} {
				raw, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, sec := range secrets {
					if bytes.Contains(raw, []byte(sec)) {
						t.Errorf("%s holds a secret in clear (%.12s...)", f, sec)
					}
				}
			}
		}
		ts, _ := s.app.Service.Tenants.List(context.Background())
		got, _, err := s.app.Service.Widget.Key(context.Background(), ts[0].ID)
		if err != nil || got != secrets[1] {
			t.Fatalf("the widget secret does not read back: %v", err)
		}
	})
}

// TestSQLiteFilesAreOwnerOnly opens a fresh database under a permissive umask: the
// database, its WAL and shared-memory files and the key file are all mode 0600.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	e := storagetest.Engine{Name: "sqlite", DSN: t.TempDir() + "/tenure.db"}
	s := start(t, e)
	storedSecrets(t, s)
	for _, f := range []string{e.DSN, e.DSN + "-wal", e.DSN + "-shm", e.DSN + ".key"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

// TestExistingSQLiteFileIsTightened opens a database file left world-readable by an
// earlier version: it is made 0600.
func TestExistingSQLiteFileIsTightened(t *testing.T) {
	e := storagetest.Engine{Name: "sqlite", DSN: t.TempDir() + "/tenure.db"}
	a := newApp(t, e, "")
	_ = a.Close()
	if err := os.Chmod(e.DSN, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = newApp(t, e, "").Close()
	if fi, _ := os.Stat(e.DSN); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func newApp(t *testing.T, e storagetest.Engine, key string) *app.App {
	t.Helper()
	a, err := tryApp(e, key)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func tryApp(e storagetest.Engine, key string) (*app.App, error) {
	cfg, _, err := config.Load("test", nil, func(string) string { return "" }, io.Discard, nil)
	if err != nil {
		return nil, err
	}
	cfg.DatabaseURL, cfg.Workers, cfg.SecretKey = e.DSN, false, key
	return app.New(context.Background(), cfg, nil, slog.New(slog.DiscardHandler))
}

// TestPlaintextSecretsAreSealedOnStart writes secrets in clear, as a database from before
// sealing has them, and restarts: they are sealed, and read back unchanged.
func TestPlaintextSecretsAreSealedOnStart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		secrets := storedSecrets(t, s)
		db := s.app.DB.Raw()
		ts, _ := s.app.Service.Tenants.List(context.Background())
		if _, err := db.Exec(`UPDATE widget_settings SET secret = $1`, secrets[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE webhooks SET secret = $1`, secrets[2]); err != nil {
			t.Fatal(err)
		}
		key := ""
		if e.Name == "postgres" {
			key = apptest.TestSecretKey(e.DSN)
		}
		a := newApp(t, e, key)
		defer a.Close()
		var widget, hook string
		if err := db.QueryRow(`SELECT secret FROM widget_settings`).Scan(&widget); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`SELECT secret FROM webhooks`).Scan(&hook); err != nil {
			t.Fatal(err)
		}
		if !secret.IsSealed(widget) || !secret.IsSealed(hook) {
			t.Fatalf("not sealed on start: %.20s %.20s", widget, hook)
		}
		got, _, err := a.Service.Widget.Key(context.Background(), ts[0].ID)
		if err != nil || got != secrets[1] {
			t.Fatalf("widget secret after sealing: %v", err)
		}
		hooks, err := a.Service.Webhooks.List(context.Background(), ts[0].ID)
		if err != nil || len(hooks) != 1 || hooks[0].Secret != secrets[2] {
			t.Fatalf("webhook secret after sealing: %v", err)
		}
	})
}

// TestSecretKeyRotation seals under key A, restarts with "B,A" (everything is re-sealed
// under B), then with B alone (it reads), then with A alone (refused, naming the key).
func TestSecretKeyRotation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		keyA, keyB := secret.Generate(), secret.Generate()
		a := newApp(t, e, keyA)
		var out bytes.Buffer
		if _, err := a.Bootstrap(context.Background(), &out); err != nil {
			t.Fatal(err)
		}
		ts, _ := a.Service.Tenants.List(context.Background())
		_, widgetSecret, err := a.Service.Widget.RotateSecret(context.Background(), ts[0].ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		_ = a.Close()

		a = newApp(t, e, keyB+","+keyA)
		var stored string
		if err := a.DB.Raw().QueryRow(`SELECT secret FROM widget_settings`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		ringB, _ := secret.Parse(keyB)
		if !strings.HasPrefix(stored, "enc:v1:"+ringB.ID()+":") {
			t.Fatalf("not re-sealed under the new key: %.24s", stored)
		}
		_ = a.Close()

		a = newApp(t, e, keyB)
		got, _, err := a.Service.Widget.Key(context.Background(), ts[0].ID)
		if err != nil || got != widgetSecret {
			t.Fatalf("the new key alone does not read the secret: %v", err)
		}
		_ = a.Close()

		if a, err := tryApp(e, keyA); err == nil {
			_ = a.Close()
			t.Fatal("the retired key alone was accepted")
		} else if !strings.Contains(err.Error(), ringB.ID()) {
			t.Fatalf("the refusal does not name the missing key: %v", err)
		}
	})
}

// TestPostgresNeedsASecretKey: without TENURE_SECRET_KEY, PostgreSQL refuses to start
// with a message saying what to do.
func TestPostgresNeedsASecretKey(t *testing.T) {
	for _, e := range storagetest.Engines(t) {
		if e.Name != "postgres" {
			continue
		}
		a, err := tryApp(e, "")
		if err == nil {
			_ = a.Close()
			t.Fatal("started without a secret key")
		}
		if !strings.Contains(err.Error(), "TENURE_SECRET_KEY") || !strings.Contains(err.Error(), "tenure secrets generate") {
			t.Fatalf("unclear refusal: %v", err)
		}
	}
}
