package subscription

import (
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestSaveFlow(t *testing.T) {
	basic, premium, gold := seedPlans()
	plans := []Plan{basic, premium, gold}
	f := DefaultSaveFlow()
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	s := sub(Active)
	s.PlanID, s.Price, s.Schedule.Interval = premium.ID, premium.Price, premium.Interval
	offers, err := f.OffersFor(ReasonTooExpensive, s, plans)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) != 2 || offers[0].Kind != OfferDiscount || offers[1].Kind != OfferCheaper || offers[1].Plan != "basic" {
		t.Fatalf("too expensive on Premium offers %+v", offers)
	}
	// On Basic nothing is cheaper.
	b := s
	b.PlanID, b.Price, b.Schedule.Interval = basic.ID, basic.Price, basic.Interval
	if offers, _ := f.OffersFor(ReasonTooExpensive, b, plans); len(offers) != 1 {
		t.Fatalf("too expensive on Basic offers %+v", offers)
	}
	// A past-due subscription is offered no pause.
	pd := s
	pd.State = PastDue
	if offers, _ := f.OffersFor(ReasonTravelling, pd, plans); len(offers) != 0 {
		t.Fatalf("travelling while past due offers %+v", offers)
	}
	if _, err := f.OffersFor("bored", s, plans); tenure.KindOf(err) != tenure.KindInvalid {
		t.Fatalf("unknown reason: %v", err)
	}

	// Accepting the discount discounts exactly the next 3 renewals.
	o, _ := Pick(offers, OfferDiscount)
	s, err = Accept(s, o, ReasonTooExpensive, now)
	if err != nil {
		t.Fatal(err)
	}
	var totals []int64
	for i := 0; i < 5; i++ {
		q := Price(s, premium)
		totals = append(totals, q.Total)
		s, _, _ = Apply(s, Event{Kind: EvPaid, Amount: q.Total, PeriodStart: now, PeriodEnd: now}, now)
	}
	want := []int64{7120, 7120, 7120, 8900, 8900}
	for i := range want {
		if totals[i] != want[i] {
			t.Fatalf("renewal totals %v, want %v", totals, want)
		}
	}
	if s.Offer != nil {
		t.Fatalf("offer left %+v", s.Offer)
	}

	p, _ := Pick(f[ReasonTravelling], OfferPause)
	paused, err := Accept(sub(Active), p, ReasonTravelling, now)
	if err != nil || paused.State != Paused || !paused.PausedUntil.Equal(now.AddDate(0, 0, 28)) {
		t.Fatalf("pause offer: %v %+v", err, paused)
	}
	bad := SaveFlow{"too_expensive": {{Kind: OfferDiscount, PercentOff: 0, Renewals: 30}, {Kind: "gift"}}}
	err = bad.Validate()
	fields := map[string]bool{}
	for _, fe := range err.(*tenure.Error).Fields {
		fields[fe.Field] = true
	}
	for _, f := range []string{"reasons.too_expensive[0].percent_off", "reasons.too_expensive[0].renewals", "reasons.too_expensive[1].kind"} {
		if !fields[f] {
			t.Errorf("missing %s in %v", f, err)
		}
	}
}
