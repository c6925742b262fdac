package service_test

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

// seedPlans are the box plans of seed 000: Basic 49 zl monthly with 10 % off extra
// purchases, Premium 89 zl every two weeks with 20 % off and exclusive products, Gold
// 129 zl weekly with 30 % off and promo codes.
func seedPlans() []subscription.Plan {
	return []subscription.Plan{
		{Key: "basic", Name: "Basic", Currency: "PLN", Price: 4900, Interval: subscription.Interval{Unit: subscription.Month, Count: 1},
			Benefits: subscription.PlanBenefits{ExtraPercentOff: 10}, Products: []string{"coffee-250", "tea-100"}, Proration: subscription.ProrateImmediate,
			Commitment: []subscription.CommitmentStep{{AfterPaid: 6, PercentOff: 5}, {AfterPaid: 12, PercentOff: 10}},
			Milestones: []subscription.Milestone{{Paid: 3, Points: 100}, {Paid: 6, Points: 250}, {Paid: 12, Points: 600}}, Active: true},
		{Key: "premium", Name: "Premium", Currency: "PLN", Price: 8900, Interval: subscription.Interval{Unit: subscription.Week, Count: 2},
			Benefits: subscription.PlanBenefits{ExtraPercentOff: 20, ExclusiveRewards: true}, Proration: subscription.ProrateImmediate,
			Milestones: []subscription.Milestone{{Paid: 3, Points: 100}, {Paid: 6, Points: 250}, {Paid: 12, Points: 600}}, Active: true},
		{Key: "gold", Name: "Gold", Currency: "PLN", Price: 12900, Interval: subscription.Interval{Unit: subscription.Week, Count: 1},
			Benefits: subscription.PlanBenefits{ExtraPercentOff: 30, PromoCodes: true}, Proration: subscription.ProratePeriodEnd, Active: true},
	}
}

type subEnv struct {
	*env
	subs *service.Subscriptions
}

func newSubEnv(t *testing.T, e storagetest.Engine) *subEnv {
	v := &subEnv{env: newEnv(t, e, nil)}
	v.subs = v.svc.Subscriptions
	for _, p := range seedPlans() {
		if _, err := v.subs.CreatePlan(ctx, v.tenant, "test", p); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func (v *subEnv) subscribe(customer, plan, card string) subscription.Subscription {
	v.t.Helper()
	s, err := v.subs.Subscribe(ctx, v.tenant, "test", "", service.SubscribeRequest{CustomerID: customer, Plan: plan, PaymentMethod: card})
	if err != nil {
		v.t.Fatalf("subscribe %s to %s: %v", customer, plan, err)
	}
	return s
}

func (v *subEnv) sub(id string) subscription.Subscription {
	v.t.Helper()
	s, err := v.subs.Subscription(ctx, v.tenant, id)
	if err != nil {
		v.t.Fatal(err)
	}
	return s
}

func (v *subEnv) act(id, action string, req service.ActionRequest) (service.ActionResult, error) {
	return v.subs.Act(ctx, v.tenant, "customer", "", id, action, req)
}

// advanceTo moves the clock day by day to t, running due jobs each day.
func (v *subEnv) advanceTo(t time.Time) {
	v.t.Helper()
	for v.clock.Now().Before(t) {
		next := v.clock.Now().Add(24 * time.Hour)
		if next.After(t) {
			next = t
		}
		v.clock.Set(next)
		v.runJobs()
	}
}

func (v *subEnv) renewals(id string) []service.RenewalWithCharges {
	v.t.Helper()
	tl, err := v.subs.Timeline(ctx, v.tenant, id)
	if err != nil {
		v.t.Fatal(err)
	}
	return tl.Renewals
}

func statuses(rs []service.RenewalWithCharges) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		out[r.Status]++
	}
	return out
}

func TestSubscriptionRenewalsBookOrdersAndMilestones(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newSubEnv(t, e)
		start := v.clock.Now()
		s := v.subscribe("anna", "premium", service.CardSucceeds)
		if s.State != subscription.Active || s.Paid != 1 || !s.NextAt.Equal(start.AddDate(0, 0, 14)) {
			t.Fatalf("after subscribe: %+v", s)
		}
		o, err := v.svc.Members.Order(ctx, v.tenant, "subscription-"+v.renewals(s.ID)[0].ID)
		if err != nil || o.Subtotal() != 8900 {
			t.Fatalf("renewal order: %+v %v", o, err)
		}
		// Six weeks: renewals at +14, +28, +42 days.
		v.advanceTo(start.AddDate(0, 0, 43))
		s = v.sub(s.ID)
		rs := v.renewals(s.ID)
		if s.Paid != 4 || len(rs) != 4 || statuses(rs)[subscription.RenewalPaid] != 4 {
			t.Fatalf("paid %d, renewals %v", s.Paid, statuses(rs))
		}
		for i, r := range rs {
			if want := start.AddDate(0, 0, 14*i); !r.DueAt.Equal(want) || len(r.Charges) != 1 {
				t.Fatalf("renewal %d due %s (want %s), %d charges", i, r.DueAt, want, len(r.Charges))
			}
		}
		// 4 orders of 89 zl earn 89 points each (pending until fulfilment) and the 3rd
		// paid renewal's milestone 100 points.
		b := v.points("anna")
		if b.Pending != 4*89 || b.Available != 100 {
			t.Fatalf("points %+v, want 356 pending and 100 available", b)
		}
		// Running the jobs again changes nothing.
		v.runJobs()
		if n := len(v.renewals(s.ID)); n != 4 {
			t.Fatalf("%d renewals after a second run", n)
		}
		v.verify()
	})
}

func TestSubscriptionDunning(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newSubEnv(t, e)
		start := v.clock.Now()
		// A card that fails twice, then succeeds: recovered on the 3rd attempt, anchor kept.
		s := v.subscribe("bob", "basic", service.CardFailN+"2")
		if s.State != subscription.PastDue || s.Failed != 1 {
			t.Fatalf("after the first attempt: %s failed %d", s.State, s.Failed)
		}
		v.advanceTo(start.AddDate(0, 0, 1))
		if s = v.sub(s.ID); s.State != subscription.PastDue || s.Failed != 2 {
			t.Fatalf("after the 2nd attempt: %s failed %d", s.State, s.Failed)
		}
		v.advanceTo(start.AddDate(0, 0, 4))
		s = v.sub(s.ID)
		if s.State != subscription.Active || s.Paid != 1 || !s.Schedule.Anchor.Equal(start) || !s.NextAt.Equal(start.AddDate(0, 1, 0)) {
			t.Fatalf("after the 3rd attempt: %s paid %d anchor %s next %s", s.State, s.Paid, s.Schedule.Anchor, s.NextAt)
		}
		rs := v.renewals(s.ID)
		if len(rs) != 1 || len(rs[0].Charges) != 3 || rs[0].Status != subscription.RenewalPaid {
			t.Fatalf("renewals %+v", rs)
		}
		// The card declines each renewal's first two attempts: the next renewal is due on
		// the original anchor and recovers the same way.
		v.advanceTo(start.AddDate(0, 1, 4))
		s = v.sub(s.ID)
		rs = v.renewals(s.ID)
		if s.State != subscription.Active || s.Paid != 2 || len(rs) != 2 || !rs[1].DueAt.Equal(start.AddDate(0, 1, 0)) || len(rs[1].Charges) != 3 ||
			!s.NextAt.Equal(start.AddDate(0, 2, 0)) {
			t.Fatalf("second renewal: %s paid %d, renewals %d, next %s", s.State, s.Paid, len(rs), s.NextAt)
		}

		// A card that always fails: 1 + 4 attempts over 1, 3, 5, 7 days, then the final action (cancel).
		c := v.subscribe("carl", "basic", service.CardFails)
		v.advanceTo(v.clock.Now().AddDate(0, 0, 20))
		c = v.sub(c.ID)
		rs = v.renewals(c.ID)
		if c.State != subscription.Cancelled || len(rs) != 1 || len(rs[0].Charges) != 5 || rs[0].Status != subscription.RenewalUnpaid {
			t.Fatalf("always failing: %s, renewals %d, charges %d", c.State, len(rs), len(rs[0].Charges))
		}
		v.advanceTo(v.clock.Now().AddDate(0, 2, 0))
		if n := len(v.renewals(c.ID)); n != 1 {
			t.Fatalf("%d renewals after cancellation", n)
		}
		v.verify()
	})
}

func TestSubscriptionSaveFlowDiscount(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newSubEnv(t, e)
		start := v.clock.Now()
		s := v.subscribe("dora", "premium", "")
		rec, err := v.subs.StartCancel(ctx, v.tenant, "customer", s.ID, subscription.ReasonTooExpensive)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Offers) == 0 || rec.Offers[0].Kind != subscription.OfferDiscount {
			t.Fatalf("offers %+v", rec.Offers)
		}
		off := rec.Offers[0]
		rec, err = v.subs.DecideCancel(ctx, v.tenant, "customer", "k1", rec.ID, service.CancelDecision{Accept: subscription.OfferDiscount})
		if err != nil || rec.Outcome != subscription.SaveAccepted {
			t.Fatalf("accept: %+v %v", rec, err)
		}
		// Replaying the same key returns the same outcome and changes nothing.
		if again, err := v.subs.DecideCancel(ctx, v.tenant, "customer", "k1", rec.ID, service.CancelDecision{Accept: subscription.OfferDiscount}); err != nil || again.Outcome != rec.Outcome {
			t.Fatalf("replay: %+v %v", again, err)
		}
		v.advanceTo(v.clock.Now().AddDate(0, 0, 14*(off.Renewals+2)+1))
		rs := v.renewals(s.ID)
		discounted := 8900 - (8900*int64(off.PercentOff)+50)/100
		for i, r := range rs {
			want := int64(8900)
			if i >= 1 && i <= off.Renewals {
				want = discounted
			}
			if r.Quote.Total != want {
				t.Fatalf("renewal %d total %d, want %d (all: %d renewals)", i, r.Quote.Total, want, len(rs))
			}
		}
		if len(rs) != off.Renewals+3 {
			t.Fatalf("%d renewals", len(rs))
		}
		m, err := v.subs.Metrics(ctx, v.tenant, start, v.clock.Now())
		if err != nil || m.Funnel.SaveFlows != 1 || m.Funnel.Saved != 1 || m.Funnel.SaveRate != 1 {
			t.Fatalf("metrics funnel %+v %v", m.Funnel, err)
		}
	})
}

func TestSubscriptionBadInputWritesNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newSubEnv(t, e)
		s := v.subscribe("eve", "basic", "")
		c := v.subscribe("fred", "basic", "")
		if _, err := v.act(c.ID, service.ActCancel, service.ActionRequest{}); err != nil {
			t.Fatal(err)
		}
		other, _, err := v.svc.Tenants.Create(ctx, "Other store")
		if err != nil {
			t.Fatal(err)
		}
		past := v.clock.Now().Add(-time.Hour)
		pastDelivery := s.Schedule.Start(0)
		before := v.counts()
		cases := []struct {
			name  string
			call  func() error
			kind  tenure.Kind
			field string
		}{
			{"unknown plan", func() error {
				_, err := v.subs.Subscribe(ctx, v.tenant, "t", "", service.SubscribeRequest{CustomerID: "gina", Plan: "platinum"})
				return err
			}, tenure.KindInvalid, "plan"},
			{"interval 0", func() error {
				_, err := v.subs.Subscribe(ctx, v.tenant, "t", "", service.SubscribeRequest{CustomerID: "gina", Plan: "basic", Interval: &subscription.Interval{Unit: subscription.Month}})
				return err
			}, tenure.KindInvalid, "interval"},
			{"negative price", func() error {
				p := seedPlans()[0]
				p.Key, p.Price = "cheap", -100
				_, err := v.subs.CreatePlan(ctx, v.tenant, "t", p)
				return err
			}, tenure.KindInvalid, "price"},
			{"pause in the past", func() error { _, err := v.act(s.ID, service.ActPause, service.ActionRequest{Until: &past}); return err }, tenure.KindInvalid, "until"},
			{"skip of a past delivery", func() error {
				_, err := v.act(s.ID, service.ActSkip, service.ActionRequest{DeliveryAt: &pastDelivery})
				return err
			}, tenure.KindInvalid, "delivery_at"},
			{"action on a cancelled subscription", func() error { _, err := v.act(c.ID, service.ActPause, service.ActionRequest{}); return err }, tenure.KindConflict, "state"},
			{"another tenant's subscription", func() error {
				_, err := v.subs.Act(ctx, other.ID, "t", "", s.ID, service.ActPause, service.ActionRequest{})
				return err
			}, tenure.KindNotFound, ""},
			{"unknown action", func() error { _, err := v.act(s.ID, "explode", service.ActionRequest{}); return err }, tenure.KindInvalid, "action"},
			{"swap to a product outside the plan", func() error {
				_, err := v.act(s.ID, service.ActSwap, service.ActionRequest{Product: "wine"})
				return err
			}, tenure.KindInvalid, "product"},
		}
		for _, tc := range cases {
			err := tc.call()
			if tenure.KindOf(err) != tc.kind {
				t.Errorf("%s: %v, want kind %s", tc.name, err, tc.kind)
				continue
			}
			if tc.field != "" {
				fe := err.(*tenure.Error).Fields
				if len(fe) == 0 || fe[0].Field != tc.field {
					t.Errorf("%s: fields %+v, want %s", tc.name, fe, tc.field)
				}
			}
		}
		sameCounts(t, before, v.counts())
		var n int64
		if err := v.db.Raw().QueryRow(`SELECT COUNT(*) FROM subscription_transitions`).Scan(&n); err != nil || n != 5 {
			t.Fatalf("transitions %d, want 5 (two created, two renewed, one cancelled): %v", n, err)
		}
	})
}
