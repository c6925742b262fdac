package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

func TestSubscriptionStorage(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		clock := tenure.NewManualClock(time.Date(2027, 1, 31, 9, 0, 0, 0, time.UTC))
		db := storagetest.Open(t, e, clock)
		now := clock.Now()
		plan := subscription.Plan{ID: "pl_basic", Key: "basic", Name: "Basic", Currency: "PLN", Price: 4900, Interval: subscription.Interval{Unit: subscription.Month, Count: 1}, Active: true}
		sub := subscription.Subscription{ID: "sub_1", MemberID: "mem_1", PlanID: plan.ID, PlanKey: "basic", State: subscription.Active,
			Price: 4900, Quantity: 1, Schedule: subscription.Calendar{Anchor: now, Interval: plan.Interval}, NextAt: now, CreatedAt: now, UpdatedAt: now}
		write := func(fn func(tx *storage.Tx) error) error { return db.Write(ctx, fn) }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(write(func(tx *storage.Tx) error {
			if err := tx.SavePlan(ctx, "ten_a", plan, true); err != nil {
				return err
			}
			return tx.InsertSubscription(ctx, "ten_a", sub)
		}))
		// A second plan with the same key is refused.
		err := write(func(tx *storage.Tx) error { p := plan; p.ID = "pl_other"; return tx.SavePlan(ctx, "ten_a", p, true) })
		if err == nil || !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate plan key: %v", err)
		}
		// Another tenant sees neither the plan nor the subscription.
		must(db.Read(ctx, func(tx *storage.Tx) error {
			if _, err := tx.Plan(ctx, "ten_b", "basic"); tenure.KindOf(err) != tenure.KindNotFound {
				t.Errorf("plan of another tenant: %v", err)
			}
			if _, err := tx.Subscription(ctx, "ten_b", "sub_1", false); tenure.KindOf(err) != tenure.KindNotFound {
				t.Errorf("subscription of another tenant: %v", err)
			}
			p, err := tx.Plan(ctx, "ten_a", "basic")
			if err != nil || p.Price != 4900 {
				t.Errorf("plan by key: %+v %v", p, err)
			}
			return nil
		}))

		// Optimistic versions: a stale writer conflicts.
		next := sub
		next.Version, next.State = 1, subscription.PastDue
		must(write(func(tx *storage.Tx) error { return tx.UpdateSubscription(ctx, "ten_a", next, 0) }))
		err = write(func(tx *storage.Tx) error { return tx.UpdateSubscription(ctx, "ten_a", next, 0) })
		if tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("stale update: %v", err)
		}

		// A renewal exists once per subscription and period start.
		r := subscription.Renewal{ID: "ren_1", SubscriptionID: "sub_1", DueAt: now, Status: subscription.RenewalPending, Quote: subscription.Quote{Base: 4900, Total: 4900}}
		var created [2]bool
		for i := range created {
			must(write(func(tx *storage.Tx) (err error) {
				rr := r
				rr.ID = tx.NewID("ren")
				created[i], err = tx.InsertRenewal(ctx, "ten_a", rr)
				return err
			}))
		}
		if !created[0] || created[1] {
			t.Fatalf("renewal created %v, want only the first", created)
		}
		// Charges are unique per renewal and attempt.
		c := subscription.Charge{ID: "ch_1", RenewalID: "ren_x", Attempt: 1, Provider: "test", IdempotencyKey: "ren_x:1", Status: subscription.ChargeFailed, Amount: 4900}
		must(write(func(tx *storage.Tx) error { return tx.InsertCharge(ctx, "ten_a", c) }))
		err = write(func(tx *storage.Tx) error { c2 := c; c2.ID = "ch_2"; return tx.InsertCharge(ctx, "ten_a", c2) })
		if err == nil || !db.IsUniqueViolation(err) {
			t.Fatalf("second attempt 1: %v", err)
		}

		// The timeline and the MRR history.
		clock.Advance(time.Hour)
		must(write(func(tx *storage.Tx) error {
			return tx.AddTransition(ctx, "ten_a", subscription.TransitionRecord{SubscriptionID: "sub_1", From: subscription.Active, To: subscription.PastDue,
				Event: subscription.EvFailed, Actor: "system", MRR: 4900, Detail: map[string]any{"renewal": "ren_1"}})
		}))
		must(db.Read(ctx, func(tx *storage.Tx) error {
			tl, err := tx.Transitions(ctx, "ten_a", "sub_1")
			if err != nil || len(tl) != 1 || tl[0].To != subscription.PastDue || tl[0].Detail["renewal"] != "ren_1" {
				t.Errorf("timeline %+v %v", tl, err)
			}
			ch, err := tx.MRRChanges(ctx, "ten_a", clock.Now().Add(time.Second))
			if err != nil || len(ch) != 1 || ch[0].MRR != 4900 {
				t.Errorf("mrr changes %+v %v", ch, err)
			}
			got, err := tx.Charges(ctx, "ten_a", "ren_x")
			if err != nil || len(got) != 1 || got[0].IdempotencyKey != "ren_x:1" {
				t.Errorf("charges %+v %v", got, err)
			}
			subs, err := tx.Subscriptions(ctx, "ten_a", storage.SubscriptionFilter{State: string(subscription.PastDue)})
			if err != nil || len(subs) != 1 {
				t.Errorf("past due subscriptions %d %v", len(subs), err)
			}
			return nil
		}))

		// Save-flow outcomes are counted by reason, offer and outcome.
		must(write(func(tx *storage.Tx) error {
			rec := subscription.SaveRecord{ID: "sv_1", SubscriptionID: "sub_1", Reason: subscription.ReasonTooExpensive, Outcome: subscription.SaveOpen, CreatedAt: tx.Now}
			if err := tx.SaveSaveRecord(ctx, "ten_a", rec, true); err != nil {
				return err
			}
			rec.Outcome, rec.Accepted, rec.DecidedAt = subscription.SaveAccepted, &subscription.Offer{Kind: subscription.OfferDiscount}, &tx.Now
			return tx.SaveSaveRecord(ctx, "ten_a", rec, false)
		}))
		must(db.Read(ctx, func(tx *storage.Tx) error {
			counts, err := tx.SaveCounts(ctx, "ten_a", now, clock.Now().Add(time.Second))
			if err != nil || len(counts) != 1 || counts[0] != (subscription.SaveCount{Reason: "too_expensive", Offer: "discount", Outcome: "accepted", Count: 1}) {
				t.Errorf("save counts %+v %v", counts, err)
			}
			return nil
		}))
	})
}
