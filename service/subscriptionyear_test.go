package service_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

// TestSubscriptionYear runs a year of renewals for 1,000 subscriptions of seed 000's
// plans with skips, pauses, plan and quantity changes, cancellations and failing cards,
// moving the clock a day at a time and running the due jobs, and then checks what the
// issue asks: every due renewal exists exactly once, none while paused or after the
// end, each paid renewal was charged once at the provider, and the proration credits add
// up to the documented policy to the minor unit.
func TestSubscriptionYear(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of 1,000 subscriptions; run without -short")
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		const n = 1000
		v := newSubEnv(t, e)
		prov := service.NewTestProvider()
		v.subs.AddProvider(prov)
		start := v.clock.Now()
		day := func(d int) time.Time { return start.AddDate(0, 0, d) }
		ids := make([]string, n)
		planOf := func(i int) string {
			switch {
			case i%10 < 6:
				return "basic"
			case i%10 < 9:
				return "premium"
			}
			return "gold"
		}
		card := func(i int) string {
			switch {
			case i%50 == 1:
				return service.CardFails
			case i%10 == 0:
				return service.CardFailN + "1"
			}
			return service.CardSucceeds
		}
		var wantCredit int64
		creditOf := func(s subscription.Subscription, now time.Time) int64 {
			// floor(last paid x unused / period), computed independently of the core.
			unused := big.NewInt(int64(s.PeriodEnd.Sub(now)))
			whole := big.NewInt(int64(s.PeriodEnd.Sub(*s.PeriodStart)))
			x := new(big.Int).Mul(big.NewInt(s.LastPaid), unused)
			return x.Quo(x, whole).Int64()
		}
		conflicts := 0
		do := func(i int, action string, req service.ActionRequest) {
			t.Helper()
			before := v.sub(ids[i])
			_, err := v.act(ids[i], action, req)
			if err == nil {
				return
			}
			fits := before.State == subscription.Active || before.State == subscription.Trialing
			switch action {
			case service.ActResume:
				fits = before.State == subscription.Paused
			case service.ActUncancel:
				fits = before.CancelAtPeriodEnd
			}
			if tenure.KindOf(err) == tenure.KindConflict && !fits {
				conflicts++ // e.g. a skip asked while past due: refused, as it must be
				return
			}
			t.Fatalf("day %s: %s of %d (%s): %v", v.clock.Now().Format(time.DateOnly), action, i, before.State, err)
		}
		for d := 0; d <= 365; d++ {
			v.advanceTo(day(d))
			now := v.clock.Now()
			for i := 0; i < n; i++ {
				switch {
				case d == i%28:
					s, err := v.subs.Subscribe(ctx, v.tenant, "test", "", service.SubscribeRequest{CustomerID: fmt.Sprintf("c%04d", i), Plan: planOf(i),
						PaymentMethod: card(i), Provider: "test"})
					if err != nil {
						t.Fatal(err)
					}
					ids[i] = s.ID
				case ids[i] == "":
				case i%7 == 2 && d == 30+i%20:
					do(i, service.ActSkip, service.ActionRequest{})
				case i%11 == 3 && d == 60+i%30:
					until := now.AddDate(0, 0, 21)
					do(i, service.ActPause, service.ActionRequest{Until: &until})
				case i%13 == 4 && d == 100:
					do(i, service.ActPause, service.ActionRequest{})
				case i%13 == 4 && d == 150:
					do(i, service.ActResume, service.ActionRequest{})
				case i%17 == 5 && planOf(i) == "basic" && d == 120:
					s := v.sub(ids[i])
					if s.State == subscription.Active && s.PeriodEnd.After(now) {
						wantCredit += creditOf(s, now)
					}
					do(i, service.ActChangePlan, service.ActionRequest{Plan: "premium"})
				case i%19 == 6 && planOf(i) == "gold" && d == 90:
					do(i, service.ActChangePlan, service.ActionRequest{Plan: "basic"})
				case i%37 == 10 && d == 40:
					do(i, service.ActQuantity, service.ActionRequest{Quantity: 2})
				case i%23 == 7 && d == 200:
					do(i, service.ActCancel, service.ActionRequest{})
				case i%29 == 8 && d == 220:
					do(i, service.ActCancel, service.ActionRequest{AtPeriodEnd: true})
				case i%58 == 8 && d == 221:
					do(i, service.ActUncancel, service.ActionRequest{})
				}
			}
		}
		now := v.clock.Now()

		var paid, charges, renewals, skipped int
		var gotCredit int64
		for i, id := range ids {
			tl, err := v.subs.Timeline(ctx, v.tenant, id)
			if err != nil {
				t.Fatal(err)
			}
			s := tl.Subscription
			// Pauses and the end, from the timeline.
			type span struct{ from, to time.Time }
			var pauses []span
			var ended *time.Time
			for _, tr := range tl.Transitions {
				switch {
				case tr.To == subscription.Paused && tr.From != subscription.Paused:
					pauses = append(pauses, span{tr.At, now.Add(time.Hour)})
				case tr.From == subscription.Paused && tr.To != subscription.Paused:
					pauses[len(pauses)-1].to = tr.At
				}
				if tr.To.Ended() && ended == nil {
					at := tr.At
					ended = &at
				}
			}
			seen := map[time.Time]bool{}
			for k, r := range tl.Renewals {
				renewals++
				if seen[r.DueAt] {
					t.Fatalf("sub %d: two renewals due %s", i, r.DueAt)
				}
				seen[r.DueAt] = true
				for _, p := range pauses {
					if r.DueAt.After(p.from) && r.DueAt.Before(p.to) {
						t.Fatalf("sub %d: renewal due %s while paused %s..%s", i, r.DueAt, p.from, p.to)
					}
				}
				if ended != nil && r.DueAt.After(*ended) {
					t.Fatalf("sub %d: renewal due %s after the end %s", i, r.DueAt, ended)
				}
				succeeded := 0
				for _, c := range r.Charges {
					charges++
					if c.Status == subscription.ChargeSucceeded {
						succeeded++
					}
				}
				switch r.Status {
				case subscription.RenewalPaid:
					paid++
					if succeeded != 1 {
						t.Fatalf("sub %d: paid renewal %s with %d successful charges", i, r.ID, succeeded)
					}
				case subscription.RenewalSkipped:
					skipped++
					if len(r.Charges) != 0 {
						t.Fatalf("sub %d: skipped renewal charged", i)
					}
				}
				// Consecutive renewals are consecutive periods unless a pause or a plan
				// change lies between them.
				if k > 0 {
					prev := tl.Renewals[k-1]
					if !r.DueAt.Equal(prev.PeriodEnd) && !between(tl.Transitions, prev.DueAt, r.DueAt) {
						t.Fatalf("sub %d: renewal due %s does not follow the period ending %s", i, r.DueAt, prev.PeriodEnd)
					}
				}
			}
			// Nothing due is left undone.
			if !s.State.Ended() && s.State != subscription.Paused && !s.NextAt.After(now) {
				t.Fatalf("sub %d (%s): renewal due %s not made by %s", i, s.State, s.NextAt, now)
			}
			b, err := v.svc.Members.Balance(ctx, v.tenant, s.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			gotCredit += b.Credit.Available
		}
		calls, providerPaid := prov.Counts()
		if calls != charges || providerPaid != paid {
			t.Fatalf("provider saw %d charges and %d paid keys; stored %d charges, %d paid renewals", calls, providerPaid, charges, paid)
		}
		if gotCredit != wantCredit || wantCredit == 0 {
			t.Fatalf("proration credit %d, want %d", gotCredit, wantCredit)
		}
		t.Logf("%d subscriptions, %d renewals (%d paid, %d skipped), %d charges, %d refused actions, credit %d", n, renewals, paid, skipped, charges, conflicts, gotCredit)
	})
}

// between reports whether a pause, resume or plan change happened in (from, to].
func between(trs []subscription.TransitionRecord, from, to time.Time) bool {
	for _, tr := range trs {
		if tr.At.After(from) && !tr.At.After(to) {
			switch tr.Event {
			case subscription.EvPause, subscription.EvResume, "plan_changed", "frequency_changed", "saved":
				return true
			}
		}
	}
	return false
}
