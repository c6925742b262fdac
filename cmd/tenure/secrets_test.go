package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/secret"
)

// TestSecretsRotateKeyFile stores a widget secret in an SQLite database sealed with its key
// file, runs `tenure secrets rotate`, and checks that the file now holds one new key, that
// the stored value is sealed under it, and that the secret reads back unchanged.
func TestSecretsRotateKeyFile(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "tenure.db")
	open := func() *app.App {
		cfg, _, err := config.Load("test", []string{"-database-url", db}, func(string) string { return "" }, io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, cfg, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	if _, err := a.Bootstrap(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	ts, _ := a.Service.Tenants.List(ctx)
	_, want, err := a.Service.Widget.RotateSecret(ctx, ts[0].ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	oldKey, err := os.ReadFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}

	var out, errs bytes.Buffer
	if code := run(ctx, []string{"secrets", "rotate", "-database-url", db}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("rotate: %d %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "1 stored secrets sealed") {
		t.Fatalf("output: %s", out.String())
	}
	newKey, err := os.ReadFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if fields := strings.Fields(string(newKey)); len(fields) != 1 || bytes.Equal(newKey, oldKey) {
		t.Fatalf("the key file should hold one new key, holds %d (changed: %v)", len(fields), !bytes.Equal(newKey, oldKey))
	}
	if fi, _ := os.Stat(db + ".key"); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	ring, _ := secret.Parse(string(newKey))
	a = open()
	defer a.Close()
	var stored string
	if err := a.DB.Raw().QueryRow(`SELECT secret FROM widget_settings`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "enc:v1:"+ring.ID()+":") {
		t.Fatalf("not sealed under the new key: %.24s", stored)
	}
	got, _, err := a.Service.Widget.Key(ctx, ts[0].ID)
	if err != nil || got != want {
		t.Fatalf("the secret does not read back after rotation: %v", err)
	}
}
