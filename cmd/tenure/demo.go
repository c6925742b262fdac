package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/widget"
)

// runDemo builds a demo store in its own database (tenure-demo.db unless told otherwise),
// replays its history through the real intake, rules and jobs, then serves it. It never
// touches a database it did not build, unless -replace says so.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var customers, months, subscribers int
	var seed uint64
	var noServe, replace bool
	cfg, _, err := config.Load("tenure demo", args, func(k string) string {
		if k == "TENURE_DATABASE_URL" && getenv(k) == "" {
			return "tenure-demo.db"
		}
		// The demo store is generated again on every run, so its replay need not wait for
		// each commit to reach the disk (power-loss durability; serve defaults to full).
		if k == "TENURE_SQLITE_SYNCHRONOUS" && getenv(k) == "" {
			return "normal"
		}
		return getenv(k)
	}, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&customers, "customers", 3000, "customers in the generated store")
		fs.IntVar(&months, "months", 15, "months of history")
		fs.IntVar(&subscribers, "subscribers", -1, "customers who subscribe to a coffee box; -1: one in thirty")
		fs.Uint64Var(&seed, "seed", 42, "random seed: the same seed gives the same store")
		fs.BoolVar(&noServe, "no-serve", false, "build the demo and exit without serving")
		fs.BoolVar(&replace, "replace", false, "erase the database named by -database-url or TENURE_DATABASE_URL even if the demo did not build it")
	})
	if err != nil {
		return err
	}
	if customers < 1 || customers > 1_000_000 || months < 1 || months > 120 {
		return fmt.Errorf("-customers must be 1..1000000 and -months 1..120")
	}
	if err := app.PrepareDemoDatabase(ctx, cfg.DatabaseURL, replace); err != nil {
		return err
	}
	started := time.Now()
	end := time.Now().UTC()
	if subscribers < 0 {
		subscribers = customers / 30
	}
	h := demo.Generate(demo.Options{Customers: customers, Months: months, Seed: seed, End: end, Subscribers: subscribers})
	clock := demo.NewClock(h.Start)
	a, err := app.New(ctx, cfg, clock, newLogger(config.Config{LogLevel: "warn", LogFormat: cfg.LogFormat}, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	// Marked before the tenant exists, so that a demo interrupted halfway is still known
	// as one and rebuilt by the next run.
	if err := a.MarkDemo(ctx); err != nil {
		return err
	}
	t, key, err := a.Service.Tenants.Create(ctx, app.DemoTenantName)
	if err != nil {
		return err
	}
	if err := a.MarkDemo(ctx, t.ID); err != nil {
		return err
	}
	rewardIDs, err := demo.Setup(ctx, a.Service, t.ID, "demo")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Generating %d customers over %d months (seed %d): %d orders, %d events\n", customers, months, seed, h.Orders, len(h.Events))
	bar := newProgress(stderr, "events")
	if err := demo.Replay(ctx, a.Service, clock, t.ID, h, rewardIDs, bar.update); err != nil {
		return err
	}
	clock.Live()
	// Segments are added once the history is in, and counted once: counting them after
	// every replayed day would only slow the demo down.
	for _, seg := range demo.Segments() {
		if _, err := a.Service.Segments.Save(ctx, t.ID, "demo", seg); err != nil {
			return err
		}
	}
	if _, err := a.Service.Segments.Refresh(ctx, t.ID); err != nil {
		return err
	}
	// Compute the store's analytics now (cohorts, RFM, the CLV models, lift), so that the
	// dashboard's first analytics and member pages are instant.
	sn, err := a.Service.Reports.Snapshot(ctx, t.ID, 0)
	if err != nil {
		return err
	}
	clvNote := "no CLV model: " + sn.CLVError
	if sn.CLV != nil {
		clvNote = fmt.Sprintf("CLV model usable: %v", sn.CLV.Usable)
	}
	fmt.Fprintf(stdout, "Analytics: %d customers with orders, %d cohorts, lift measured for %d rule(s), %s\n",
		sn.Customers, len(sn.Cohorts), len(sn.Lifts), clvNote)
	if len(h.Subs) > 0 {
		now := clock.Now()
		m, err := a.Service.Subscriptions.Metrics(ctx, t.ID, now, now)
		if err != nil {
			return err
		}
		last := m.Movements[len(m.Movements)-1]
		fmt.Fprintf(stdout, "Subscriptions: %d box subscribers paying, MRR %.2f %s\n", last.EndSubscribers, float64(last.End)/100, demo.Plans()[0].Currency)
	}
	owner, password, err := a.Service.Access.CreateStaff(ctx, t.ID, "demo", service.NewStaff{Email: "owner@demo.example", Name: "Demo owner", Role: service.RoleOwner})
	if err != nil {
		return err
	}
	// The demo storefront plays the store's backend: it holds the widget secret and signs
	// a member token for whichever demo customer the page is opened as.
	_, widgetSecret, err := a.Service.Widget.RotateSecret(ctx, t.ID, "demo")
	if err != nil {
		return err
	}
	shop := http.NewServeMux()
	shop.Handle("GET /demo/shop", &widget.Storefront{Shop: "Kawa & Herbata", TenantID: t.ID, Secret: widgetSecret, Clock: clock,
		Members: []string{"cust-00001", "cust-00002", "cust-00003", "cust-00004", "cust-00005"}})
	shop.Handle("/", a.Handler)
	a.Handler = shop
	members, _ := a.Service.Members.Count(ctx, t.ID)
	fmt.Fprintf(stdout, "Demo store ready in %.1fs: %d members, %d orders.\n", time.Since(started).Seconds(), members, h.Orders)
	if noServe {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, `
  Dashboard    %[1]s/admin/
  Sign in as   %[3]s / %[4]s
  Storefront   %[1]s/demo/shop?member=cust-00001   (a demo shop with the loyalty widget)
  API          %[1]s/v1   (OpenAPI: %[1]s/openapi.json)
  Admin key    %[2]s

Try:
  curl -s %[1]s/v1/members?limit=3 -H "Authorization: Bearer %[2]s"
  curl -s %[1]s/v1/members/cust-00001/balance -H "Authorization: Bearer %[2]s"
  curl -s %[1]s/v1/rules -H "Authorization: Bearer %[2]s"

Press Ctrl+C to stop.
`, base, key, owner.Email, password)
	return a.Serve(ctx, ln)
}
