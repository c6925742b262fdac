package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/stripepay"
	"github.com/tenure-loyalty/tenure/subscription"
)

// TestRenewalsExactlyOnceAcrossACrash: 10,000 subscriptions whose trials end at the same
// instant, two `tenure serve` processes on one PostgreSQL renewing them, one killed with
// SIGKILL half-way. Every renewal is made and charged exactly once: one renewal row and
// one charge per subscription, one booked order per paid renewal (test provider), and
// one PaymentIntent idempotency key per renewal at stripe-mock (stripe provider).
func TestRenewalsExactlyOnceAcrossACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 renewals on two processes; run without -short")
	}
	var pg *storagetest.Engine
	for _, e := range storagetest.Engines(t) {
		if e.Name == "postgres" {
			pg = &e
		}
	}
	if pg == nil {
		t.Skip("two nodes share one PostgreSQL: set " + storagetest.PostgresEnv)
	}
	const n = 10_000
	ctx := context.Background()
	rec := apptest.RecordPaymentIntents(t, apptest.StripeMock(t))

	// The subscriptions, made eight days ago with a seven-day trial: due since a day.
	due := time.Now().UTC().Truncate(time.Second).Add(-24 * time.Hour)
	clock := tenure.NewManualClock(due.AddDate(0, 0, -7))
	svc := service.New(storagetest.Open(t, *pg, clock), nil)
	svc.Subscriptions.AddProvider(stripepay.New("sk_test_123", rec.URL, nil))
	tn, _, err := svc.Tenants.Create(ctx, "Coffee box")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Subscriptions.CreatePlan(ctx, tn.ID, "test", subscription.Plan{Key: "box", Name: "Box", Currency: "PLN", Price: 8900,
		Interval: subscription.Interval{Unit: subscription.Week, Count: 2}, TrialDays: 7, Active: true}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				req := service.SubscribeRequest{CustomerID: fmt.Sprint("c", i), Plan: "box", Provider: "test", PaymentMethod: service.CardSucceeds}
				if i%2 == 1 {
					req.Provider, req.PaymentMethod = "stripe", fmt.Sprintf("cus_%d:pm_card_visa", i)
				}
				if _, err := svc.Subscriptions.Subscribe(ctx, tn.ID, "test", "", req); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	db := openRaw(t, *pg)
	renewed := func() int {
		var c int
		if err := db.QueryRow(`SELECT COUNT(*) FROM subscription_renewals`).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	stripeFlags := []string{"-stripe-secret-key", "sk_test_123", "-stripe-api-url", rec.URL}
	start := time.Now()
	n1 := startNode(t, pg.DSN, append([]string{"-node-name", "node-1"}, stripeFlags...)...)
	n2 := startNode(t, pg.DSN, append([]string{"-node-name", "node-2"}, stripeFlags...)...)
	waitFor(t, "half the renewals", 5*time.Minute, func() bool { return renewed() >= n/2 })
	n1.stop(syscall.SIGKILL)
	killedAt := renewed()
	waitFor(t, "every renewal after the crash", 5*time.Minute, func() bool { return renewed() >= n })
	took := time.Since(start)
	time.Sleep(2 * time.Second) // anything running twice would show now
	n2.stop(syscall.SIGTERM)

	count := func(q string) int {
		var c int
		if err := db.QueryRow(q).Scan(&c); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return c
	}
	checks := []struct {
		what string
		q    string
		want int
	}{
		{"renewals", `SELECT COUNT(*) FROM subscription_renewals`, n},
		{"subscriptions with one renewal", `SELECT COUNT(DISTINCT subscription_id) FROM subscription_renewals`, n},
		{"charges", `SELECT COUNT(*) FROM subscription_charges`, n},
		{"renewals with one charge", `SELECT COUNT(DISTINCT renewal_id) FROM subscription_charges`, n},
		{"test-provider charges paid", `SELECT COUNT(*) FROM subscription_charges WHERE provider = 'test' AND status = 'succeeded'`, n / 2},
		{"renewal orders booked", `SELECT COUNT(*) FROM orders WHERE external_id LIKE 'subscription-ren_%'`, n / 2},
		{"stripe charges", `SELECT COUNT(*) FROM subscription_charges WHERE provider = 'stripe'`, n / 2},
	}
	for _, c := range checks {
		if got := count(c.q); got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
	keys := rec.Keys()
	requests := 0
	for k, c := range keys {
		requests += c
		if !strings.HasSuffix(k, "-1") {
			t.Errorf("idempotency key %s is not a first attempt", k)
		}
	}
	if len(keys) != n/2 {
		t.Errorf("stripe-mock saw %d renewals, want %d", len(keys), n/2)
	}
	t.Logf("%d renewals on two nodes, node-1 killed at %d; %s in all (%.0f renewals/s); %d PaymentIntent requests for %d keys",
		n, killedAt, took.Round(time.Second), float64(n)/took.Seconds(), requests, len(keys))
}
