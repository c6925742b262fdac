package service_test

import (
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSubscriptionLoyalty is the seed 000 acceptance on loyalty: a Premium subscriber's
// extra order gets 20 % off through the plan's benefit, renewals earn points and a rule
// can target them (order.subscription, member.subscription.plan), a Basic subscriber
// cannot see the Premium-only reward, and a refunded renewal claws its points back.
func TestSubscriptionLoyalty(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newSubEnv(t, e)
		saveRules(t, v.env, rules.Set{Rules: []rules.Rule{
			rules.FromProgram(tenure.DefaultProgram()),
			{ID: "premium-renewal", Name: "Premium renewal bonus", Kind: rules.KindAction, Event: tenure.OrderPaid, Points: 50,
				Condition: `order.subscription && member.subscription.plan == "premium"`},
		}})
		exclusive, err := v.svc.Rewards.Create(ctx, v.tenant, "test", rewards.RewardDefinition{Name: "Premium tasting set", Type: rewards.FreeProduct,
			ProductID: "tasting-set", Cost: 10, SubscriptionPlans: []string{"premium"}})
		if err != nil {
			t.Fatal(err)
		}
		prem := v.subscribe("pia", "premium", "")
		basic := v.subscribe("bart", "basic", "")

		// The renewal earned 89 points (1 per zloty) plus the premium renewal bonus; the
		// Basic renewal only its 49.
		if b := v.points("pia"); b.Pending+b.Available != 89+50 {
			t.Fatalf("premium renewal points %+v, want 139", b)
		}
		if b := v.points("bart"); b.Pending+b.Available != 49 {
			t.Fatalf("basic renewal points %+v, want 49", b)
		}
		// An extra order of 150.00 zl: the Premium benefit is 20 % off = 30.00.
		bp, err := v.subs.Benefits(ctx, v.tenant, "pia", 15000)
		if err != nil || bp.ExtraPercentOff != 20 || bp.Discount != 3000 || !bp.ExclusiveRewards {
			t.Fatalf("premium benefits %+v %v", bp, err)
		}
		if bb, _ := v.subs.Benefits(ctx, v.tenant, "bart", 15000); bb.Discount != 1500 || bb.ExclusiveRewards {
			t.Fatalf("basic benefits %+v", bb)
		}
		// The extra order is not a renewal: no renewal bonus.
		v.ingest(tenure.Event{ID: "extra-1", Type: tenure.OrderPaid, CustomerID: "pia", Order: &tenure.OrderData{ID: "extra-1",
			Lines: []tenure.LineData{{ID: "1", ProductID: "mug", Quantity: 1, UnitPrice: 15000, Discount: bp.Discount}}}})
		if b := v.points("pia"); b.Pending+b.Available != 139+120 {
			t.Fatalf("after the extra order %+v, want 259", b)
		}
		// Reward visibility.
		seen := func(customer string) rewards.Decision {
			offers, err := v.svc.Rewards.Available(ctx, v.tenant, customer)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range offers {
				if o.Reward.ID == exclusive.ID {
					return o.Decision
				}
			}
			t.Fatalf("reward missing for %s", customer)
			return rewards.Decision{}
		}
		if d := seen("bart"); d.Available || d.Reason != rewards.ReasonPlan {
			t.Fatalf("basic subscriber sees the premium reward: %+v", d)
		}
		if d := seen("pia"); d.Reason == rewards.ReasonPlan {
			t.Fatalf("premium subscriber cannot see the premium reward: %+v", d)
		}
		// A refunded renewal claws back what it earned.
		rs := v.renewals(prem.ID)
		if _, err := v.subs.RefundRenewal(ctx, v.tenant, "staff", rs[0].ID, "returned"); err != nil {
			t.Fatal(err)
		}
		if b := v.points("pia"); b.Pending+b.Available != 120 {
			t.Fatalf("after the refund %+v, want 120 (the extra order's)", b)
		}
		if _, err := v.subs.RefundRenewal(ctx, v.tenant, "staff", rs[0].ID, "returned"); tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("second refund: %v", err)
		}
		// Cancelled now: entitled to the end of the paid period, then not.
		if _, err := v.act(basic.ID, service.ActCancel, service.ActionRequest{}); err != nil {
			t.Fatal(err)
		}
		if d := seen("bart"); d.Reason != rewards.ReasonPlan {
			t.Fatalf("cancelled basic: %+v", d)
		}
		if bb, _ := v.subs.Benefits(ctx, v.tenant, "bart", 0); !bb.Subscribed {
			t.Fatal("a cancelled subscriber keeps the benefits to the end of the paid period")
		}
		v.clock.Set(v.sub(basic.ID).PeriodEnd.Add(1))
		if bb, _ := v.subs.Benefits(ctx, v.tenant, "bart", 0); bb.Subscribed {
			t.Fatal("benefits after the paid period")
		}
		v.verify()
	})
}
