// Package apptest runs Tenure for end-to-end tests: the real app serving on 127.0.0.1:0
// over a storage engine, the demo store built through the real intake, and a headless
// Chromium to drive the pages. Tests of the API, the dashboard and the widget share it.
package apptest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// Serve builds the app on engine e with clock (workers off: tests run jobs themselves)
// and serves it on 127.0.0.1:0 until the test ends, when it checks that the server
// stopped cleanly. It returns the app and its base URL.
func Serve(t testing.TB, e storagetest.Engine, clock tenure.Clock) (*app.App, string) {
	t.Helper()
	cfg, _, err := config.Load("test", nil, func(string) string { return "" }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL, cfg.Workers, cfg.NodeName = e.DSN, false, "test-node"
	if e.Name == "postgres" {
		cfg.SecretKey = TestSecretKey(e.DSN) // SQLite uses the key file beside the database
	}
	a, err := app.New(context.Background(), cfg, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = a.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = a.Close()
	})
	return a, "http://" + ln.Addr().String()
}

// Demo is a demo store served for a test.
type Demo struct {
	App       *app.App
	URL       string
	Clock     *demo.Clock // follows the wall clock once the history is replayed
	Tenant    tenure.Tenant
	Key       string   // the tenant's admin API key
	RewardIDs []string // the demo catalog, cheapest first
}

// DemoOptions size the generated store. Redeem lets members redeem rewards as the
// history replays, as `tenure demo` does.
type DemoOptions struct {
	Customers, Months int
	Seed              uint64
	Redeem            bool
}

// ServeDemo generates a store history ending now, configures a tenant as the demo store
// (program, rules, tiers, catalog) and replays the history through the real intake and
// jobs before serving it. Keep the store small: a hundred customers over a few months
// replays in a second or two.
func ServeDemo(t testing.TB, e storagetest.Engine, o DemoOptions) *Demo {
	t.Helper()
	ctx := context.Background()
	h := demo.Generate(demo.Options{Customers: o.Customers, Months: o.Months, Seed: o.Seed, End: time.Now().UTC()})
	d := &Demo{Clock: demo.NewClock(h.Start)}
	d.App, d.URL = Serve(t, e, d.Clock)
	svc := d.App.Service
	tn, key, err := svc.Tenants.Create(ctx, "Kawa & Herbata (test)")
	if err != nil {
		t.Fatal(err)
	}
	if d.RewardIDs, err = demo.Setup(ctx, svc, tn.ID, "test"); err != nil {
		t.Fatal(err)
	}
	var redeem []string
	if o.Redeem {
		redeem = d.RewardIDs
	}
	if err := demo.Replay(ctx, svc, d.Clock, tn.ID, h, redeem, nil); err != nil {
		t.Fatal(err)
	}
	d.Clock.Live()
	if _, err := svc.RunDueJobs(ctx, "test", 100); err != nil {
		t.Fatal(err)
	}
	if d.Tenant, err = svc.Tenants.Get(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	// As `tenure demo` does: the analytics are computed before the first page is served.
	if _, err := svc.Reports.Snapshot(ctx, tn.ID, 0); err != nil {
		t.Fatal(err)
	}
	d.Key = key
	return d
}

// TestSecretKey is the key that seals stored secrets in a test database: derived from its
// DSN, so that every node of a test started on the same database uses the same key.
func TestSecretKey(dsn string) string {
	sum := sha256.Sum256([]byte("tenure test secret key " + dsn))
	return base64.StdEncoding.EncodeToString(sum[:])
}
