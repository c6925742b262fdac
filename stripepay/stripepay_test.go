package stripepay_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/stripepay"
	"github.com/tenure-loyalty/tenure/subscription"
)

var ctx = context.Background()

func TestChargeAgainstStripeMock(t *testing.T) {
	rec := apptest.RecordPaymentIntents(t, apptest.StripeMock(t))
	base := rec.URL
	p := stripepay.New("sk_test_123", base, nil)
	req := service.ChargeRequest{SubscriptionID: "sub_1", RenewalID: "ren_1", CustomerID: "anna", PaymentMethod: "cus_123:pm_card_visa",
		Currency: "PLN", Amount: 8900, Attempt: 1, IdempotencyKey: "ren_1-1"}
	r, err := p.Charge(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// stripe-mock answers every PaymentIntent with its fixture's requires_payment_method:
	// for an off-session confirmation that is a declined charge.
	if r.Status != subscription.ChargeFailed || !strings.HasPrefix(r.Ref, "pi_") {
		t.Fatalf("result %+v", r)
	}
	f := rec.Form("ren_1-1")
	if f.Get("amount") != "8900" || f.Get("currency") != "pln" || f.Get("confirm") != "true" || f.Get("off_session") != "true" ||
		f.Get("customer") != "cus_123" || f.Get("payment_method") != "pm_card_visa" || f.Get("metadata[tenure_renewal_id]") != "ren_1" {
		t.Fatalf("request %v", f)
	}
	// A network failure is an error, to be retried with the same key.
	bad := stripepay.New("sk_test_123", "http://127.0.0.1:1", nil)
	if _, err := bad.Charge(ctx, req); err == nil {
		t.Fatal("charge to a closed port succeeded")
	}
}

// TestRenewalsChargedOnceAtStripe: 300 trials end at the same instant and two nodes
// run the due jobs at once; stripe-mock is asked for exactly one PaymentIntent per
// renewal, each with its renewal's idempotency key.
func TestRenewalsChargedOnceAtStripe(t *testing.T) {
	mock := apptest.StripeMock(t)
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		const n = 300
		rec := apptest.RecordPaymentIntents(t, mock)
		base := rec.URL
		clock := tenure.NewManualClock(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
		nodes := []*service.Service{service.New(storagetest.Open(t, e, clock), nil), service.New(storagetest.Open(t, e, clock), nil)}
		for _, nd := range nodes {
			nd.Subscriptions.AddProvider(stripepay.New("sk_test_123", base, nil))
		}
		tn, _, err := nodes[0].Tenants.Create(ctx, "Coffee box")
		if err != nil {
			t.Fatal(err)
		}
		subs := nodes[0].Subscriptions
		if _, err := subs.CreatePlan(ctx, tn.ID, "test", subscription.Plan{Key: "box", Name: "Box", Currency: "PLN", Price: 8900,
			Interval: subscription.Interval{Unit: subscription.Week, Count: 2}, TrialDays: 7, Active: true}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := subs.Subscribe(ctx, tn.ID, "test", "", service.SubscribeRequest{CustomerID: "c" + itoa(i), Plan: "box",
				Provider: "stripe", PaymentMethod: "cus_" + itoa(i) + ":pm_card_visa"}); err != nil {
				t.Fatal(err)
			}
		}
		if len(rec.Keys()) != 0 {
			t.Fatalf("%d charges during the trials", len(rec.Keys()))
		}
		clock.Advance(7 * 24 * time.Hour)
		var wg sync.WaitGroup
		for i, nd := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					done, err := nd.RunDueJobs(ctx, "node-"+itoa(i), 25)
					if err != nil {
						t.Error(err)
						return
					}
					if done == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		requests := 0
		keys := rec.Keys()
		for key, c := range keys {
			requests += c
			if !strings.HasSuffix(key, "-1") {
				t.Errorf("key %s is not a first attempt", key)
			}
		}
		if len(keys) != n {
			t.Fatalf("stripe-mock saw %d renewals (%d requests), want %d", len(keys), requests, n)
		}
		list, err := subs.List(ctx, tn.ID, service.SubscriptionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			tl, err := subs.Timeline(ctx, tn.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(tl.Renewals) != 1 || len(tl.Renewals[0].Charges) != 1 || keys[tl.Renewals[0].Charges[0].IdempotencyKey] == 0 {
				t.Fatalf("subscription %s: %d renewals", s.ID, len(tl.Renewals))
			}
		}
		t.Logf("%d renewals, %d PaymentIntent requests at stripe-mock", n, requests)
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
