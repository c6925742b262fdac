package service_test

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

// TestSubscriptionTrialNoticeAndExternal: a trial with a setup fee converts at its end
// after the upcoming-renewal notice; the external provider's renewal waits for the
// store's report, a failed report starts the ladder and a paid one recovers it; the
// funnel counts the conversion and the recovery; fixed-day anchors stub-bill the start.
func TestSubscriptionTrialNoticeAndExternal(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newSubEnv(t, e)
		start := v.clock.Now()
		if _, err := v.subs.CreatePlan(ctx, v.tenant, "test", subscription.Plan{Key: "trial-box", Name: "Trial box", Currency: "PLN", Price: 6000,
			Interval: subscription.Interval{Unit: subscription.Month, Count: 1}, TrialDays: 14, SetupFee: 1500, NoticeDays: 3, Active: true}); err != nil {
			t.Fatal(err)
		}
		s := v.subscribe("tia", "trial-box", "")
		if s.State != subscription.Trialing || !s.NextAt.Equal(start.AddDate(0, 0, 14)) || len(v.renewals(s.ID)) != 0 {
			t.Fatalf("trial: %+v", s)
		}
		outbox := func(typ string) int {
			var n int
			if err := v.db.Raw().QueryRow(`SELECT COUNT(*) FROM outbox WHERE type = $1`, typ).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		v.advanceTo(start.AddDate(0, 0, 10))
		if n := outbox("subscription.renewal_upcoming"); n != 0 {
			t.Fatalf("%d notices four days before", n)
		}
		v.advanceTo(start.AddDate(0, 0, 11))
		if n := outbox("subscription.renewal_upcoming"); n != 1 {
			t.Fatalf("%d notices three days before, want 1", n)
		}
		v.advanceTo(start.AddDate(0, 0, 14))
		s = v.sub(s.ID)
		rs := v.renewals(s.ID)
		if s.State != subscription.Active || s.Paid != 1 || len(rs) != 1 || rs[0].Quote.Total != 7500 {
			t.Fatalf("converted: %s paid %d renewals %d", s.State, s.Paid, len(rs))
		}

		// The external provider.
		x, err := v.subs.Subscribe(ctx, v.tenant, "test", "", service.SubscribeRequest{CustomerID: "xavier", Plan: "basic", Provider: "external"})
		if err != nil {
			t.Fatal(err)
		}
		if outbox("subscription.renewal_due") != 1 {
			t.Fatal("no subscription.renewal_due")
		}
		ren := v.renewals(x.ID)[0]
		if _, err := v.subs.ReportPayment(ctx, v.tenant, "store", service.PaymentReport{Type: "payment.failed", RenewalID: ren.ID, Error: "insufficient funds"}); err != nil {
			t.Fatal(err)
		}
		if x = v.sub(x.ID); x.State != subscription.PastDue {
			t.Fatalf("after a failed report: %s", x.State)
		}
		v.advanceTo(v.clock.Now().AddDate(0, 0, 1)) // the retry asks the store again
		if outbox("subscription.renewal_due") != 2 {
			t.Fatalf("%d renewal_due messages, want 2", outbox("subscription.renewal_due"))
		}
		if _, err := v.subs.ReportPayment(ctx, v.tenant, "store", service.PaymentReport{Type: "payment.succeeded", RenewalID: ren.ID, Reference: "pay-9"}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.subs.ReportPayment(ctx, v.tenant, "store", service.PaymentReport{Type: "payment.failed", RenewalID: ren.ID}); tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("a contradicting report: %v", err)
		}
		if x = v.sub(x.ID); x.State != subscription.Active || x.Paid != 1 {
			t.Fatalf("after the paid report: %s paid %d", x.State, x.Paid)
		}
		m, err := v.subs.Metrics(ctx, v.tenant, start, v.clock.Now())
		if err != nil || m.Funnel.TrialsConverted != 1 || m.Funnel.TrialConversion != 1 || m.Funnel.DunningRecovered != 1 || m.Funnel.DunningRecovery != 1 {
			t.Fatalf("funnel %+v %v", m.Funnel, err)
		}

		// A fixed day of month: the stub to the 31st is billed now, then 31st, 30th...
		if _, err := v.subs.CreatePlan(ctx, v.tenant, "test", subscription.Plan{Key: "month-end", Name: "Month end", Currency: "PLN", Price: 3100,
			Interval: subscription.Interval{Unit: subscription.Month, Count: 1}, Anchor: subscription.AnchorDayOfMonth, AnchorDay: 31, Active: true}); err != nil {
			t.Fatal(err)
		}
		v.clock.Set(time.Date(2027, 1, 21, 10, 0, 0, 0, time.UTC))
		me := v.subscribe("mia", "month-end", "")
		rs = v.renewals(me.ID)
		// 10 days of the 28 from 31 Jan to 28 Feb: floor(3100 x 10/28) = 1107.
		if len(rs) != 1 || rs[0].Quote.Total != 1107 || !me.NextAt.Equal(time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("stub: %d renewals, total %d, next %s", len(rs), rs[0].Quote.Total, me.NextAt)
		}
		v.advanceTo(time.Date(2027, 3, 31, 11, 0, 0, 0, time.UTC))
		var dues []string
		for _, r := range v.renewals(me.ID) {
			dues = append(dues, r.DueAt.Format("01-02"))
		}
		if got := dues; len(got) != 4 || got[1] != "01-31" || got[2] != "02-28" || got[3] != "03-31" {
			t.Fatalf("month-end renewals %v", got)
		}
	})
}
