package subscription

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func seedPlans() (basic, premium, gold Plan) {
	basic = Plan{ID: "pl_b", Key: "basic", Name: "Basic", Currency: "PLN", Price: 4900, Interval: Interval{Month, 1},
		Benefits: PlanBenefits{ExtraPercentOff: 10}, Commitment: []CommitmentStep{{6, 5}, {12, 10}}, Proration: ProrateImmediate, Active: true}
	premium = Plan{ID: "pl_p", Key: "premium", Name: "Premium", Currency: "PLN", Price: 8900, Interval: Interval{Week, 2},
		Benefits: PlanBenefits{ExtraPercentOff: 20, ExclusiveRewards: true}, Proration: ProrateImmediate, Active: true}
	gold = Plan{ID: "pl_g", Key: "gold", Name: "Gold", Currency: "PLN", Price: 12900, Interval: Interval{Week, 1},
		Benefits: PlanBenefits{ExtraPercentOff: 30, PromoCodes: true}, Proration: ProratePeriodEnd, Active: true}
	for _, p := range []*Plan{&basic, &premium, &gold} {
		p.Normalize()
	}
	return
}

func TestPrice(t *testing.T) {
	basic, _, _ := seedPlans()
	basic.SetupFee = 1500
	s := Subscription{Price: 4900, Quantity: 1}
	tests := []struct {
		name  string
		paid  int
		qty   int
		offer *AppliedOffer
		want  Quote
	}{
		{"the first renewal carries the setup fee", 0, 1, nil, Quote{Base: 4900, SetupFee: 1500, Total: 6400}},
		{"no commitment discount before 6 paid periods", 5, 1, nil, Quote{Base: 4900, Total: 4900}},
		{"5 % after 6 paid periods, rounded half up", 6, 1, nil, Quote{Base: 4900, CommitmentPercent: 5, Discount: 245, Total: 4655}},
		{"10 % after 12", 12, 3, nil, Quote{Base: 14700, CommitmentPercent: 10, Discount: 1470, Total: 13230}},
		{"a save offer adds to the commitment discount", 7, 1, &AppliedOffer{PercentOff: 20, Remaining: 2}, Quote{Base: 4900, CommitmentPercent: 5, OfferPercent: 20, Discount: 1225, Total: 3675}},
		{"half a grosz rounds up", 0, 1, &AppliedOffer{PercentOff: 15, Remaining: 1}, Quote{Base: 4900, OfferPercent: 15, Discount: 735, SetupFee: 1500, Total: 5665}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Paid, s.Quantity, s.Offer = tc.paid, tc.qty, tc.offer
			if got := Price(s, basic); got != tc.want {
				t.Fatalf("Price = %+v, want %+v", got, tc.want)
			}
		})
	}
	s.Price, s.Paid, s.Quantity, s.Offer = 4999, 0, 1, &AppliedOffer{PercentOff: 10, Remaining: 1}
	basic.SetupFee = 0
	if q := Price(s, basic); q.Discount != 500 || q.Total != 4499 { // 499.9 -> 500
		t.Fatalf("49.99 less 10 %% = %+v", q)
	}
}

func TestProrate(t *testing.T) {
	day := 24 * time.Hour
	if got := Prorate(4900, 10*day, 31*day); got != 1580 { // 1580.6 floored
		t.Fatalf("10/31 of 49.00 = %d", got)
	}
	if got := Prorate(maxPrice, 5*365*day, 5*365*day); got != maxPrice {
		t.Fatalf("whole of the largest price over five years = %d", got)
	}
	if got := Prorate(4900, 40*day, 31*day); got != 4900 {
		t.Fatalf("part beyond the whole = %d", got)
	}
	if Prorate(4900, -day, 31*day) != 0 || Prorate(4900, day, 0) != 0 {
		t.Fatal("negative part or empty whole must credit nothing")
	}
}

func TestChangePlan(t *testing.T) {
	basic, premium, gold := seedPlans()
	start := date(2027, 3, 1)
	end := date(2027, 4, 1) // 31 days
	s := Subscription{ID: "s", PlanID: basic.ID, PlanKey: "basic", State: Active, Price: 4900, Quantity: 1,
		Schedule: Calendar{Anchor: date(2027, 1, 1), Interval: basic.Interval}, Cycle: 3, NextAt: end,
		PeriodStart: &start, PeriodEnd: &end, LastPaid: 4900, Paid: 3}
	when := date(2027, 3, 22) // 10 days of 31 unused
	got, c, err := ChangePlan(s, basic, premium, premium.Interval, when)
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy != ProrateImmediate || c.Credit != 1580 || !c.ChargeNow {
		t.Fatalf("change %+v, want immediate with 15.80 credit", c)
	}
	if got.PlanKey != "premium" || got.Price != 8900 || !got.NextAt.Equal(when) || !got.Schedule.Anchor.Equal(when) || got.Cycle != 0 {
		t.Fatalf("after change %+v", got)
	}
	// Leaving gold (period end policy) waits for the renewal.
	g := s
	g.PlanID, g.PlanKey, g.Price, g.Schedule.Interval = gold.ID, "gold", 12900, gold.Interval
	got, c, err = ChangePlan(g, gold, basic, basic.Interval, when)
	if err != nil || c.Policy != ProratePeriodEnd || c.Credit != 0 || got.Pending == nil || got.PlanKey != "gold" {
		t.Fatalf("period end change %+v %+v %v", c, got.Pending, err)
	}
	got = ApplyPending(got)
	if got.PlanKey != "basic" || got.Price != 4900 || !got.Schedule.Anchor.Equal(end) || got.Schedule.Interval != basic.Interval || got.Cycle != 0 {
		t.Fatalf("pending applied: %+v", got)
	}
	if _, _, err := ChangePlan(s, basic, gold, Interval{Month, 1}, when); tenure.KindOf(err) != tenure.KindInvalid {
		t.Fatalf("gold monthly is not sold: %v", err)
	}
	s.State = Cancelled
	if _, _, err := ChangePlan(s, basic, premium, premium.Interval, when); tenure.KindOf(err) != tenure.KindConflict {
		t.Fatalf("change of a cancelled subscription: %v", err)
	}
}

func TestSkip(t *testing.T) {
	s := sub(Active) // next 17 Mar, every 2 weeks from 6 Jan
	got, when, err := Skip(s, nil, now)
	if err != nil || !when.Equal(date(2027, 3, 17)) || len(got.Skips) != 1 {
		t.Fatalf("skip next: %v %s %v", err, when, got.Skips)
	}
	chosen := date(2027, 4, 14)
	if got, _, err = Skip(got, &chosen, now); err != nil || len(got.Skips) != 2 {
		t.Fatalf("skip 14 Apr: %v %v", err, got.Skips)
	}
	past := date(2027, 3, 3)
	for _, bad := range []time.Time{past, date(2027, 4, 15)} {
		if _, _, err := Skip(s, &bad, now); tenure.KindOf(err) != tenure.KindInvalid || err.(*tenure.Error).Fields[0].Field != "delivery_at" {
			t.Fatalf("skip of %s: %v", bad, err)
		}
	}
}

func TestNextRetry(t *testing.T) {
	d := DefaultDunning()
	at := date(2027, 3, 1)
	var got []time.Time
	for n := 1; ; n++ {
		next, ok := NextRetry(d, n, at)
		if !ok {
			break
		}
		got = append(got, next)
		at = next
	}
	want := []time.Time{date(2027, 3, 2), date(2027, 3, 5), date(2027, 3, 10), date(2027, 3, 17)}
	if len(got) != len(want) {
		t.Fatalf("retries %v", got)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Fatalf("retry %d at %s, want %s", i+1, got[i], want[i])
		}
	}
}

func TestPlanValidate(t *testing.T) {
	basic, premium, gold := seedPlans()
	for _, p := range []Plan{basic, premium, gold} {
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", p.Key, err)
		}
	}
	bad := basic
	bad.Key, bad.Price, bad.Interval = "Bad Key", -1, Interval{Month, 0}
	bad.Commitment = []CommitmentStep{{6, 5}, {3, 120}}
	bad.Anchor, bad.AnchorDay = AnchorDayOfMonth, 32
	bad.Dunning.Final = "explode"
	bad.MembershipOnly, bad.Products = true, []string{"coffee"}
	err := bad.Validate()
	want := []string{"key", "price", "interval", "commitment_discounts[1].after_paid", "commitment_discounts[1].percent_off",
		"products", "anchor_day", "dunning.final_action"}
	fields := map[string]bool{}
	for _, f := range err.(*tenure.Error).Fields {
		fields[f.Field] = true
	}
	for _, f := range want {
		if !fields[f] {
			t.Errorf("no problem named %s in %v", f, err)
		}
	}
	if p, ok := premium.PriceFor(Interval{Week, 2}); !ok || p != 8900 {
		t.Fatal("PriceFor own interval")
	}
	premium.Prices = []FrequencyPrice{{Interval{Month, 1}, 17900}}
	if p, ok := premium.PriceFor(Interval{Month, 1}); !ok || p != 17900 {
		t.Fatal("PriceFor a frequency price")
	}
}
