package dashboard_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

// TestSubscriptionPages: the plans with their subscribers and MRR, the MRR movements,
// the save-flow results and the dunning queue, one subscription's timeline, the roles
// that may see them, and the WCAG rules in a real browser.
func TestSubscriptionPages(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		s := start(t, e)
		subs := s.app.Service.Subscriptions
		tid := s.tenant.ID
		cur := s.tenant.Program.Currency
		for _, p := range []subscription.Plan{
			{Key: "basic", Name: "Basic", Currency: cur, Price: 4900, Interval: subscription.Interval{Unit: subscription.Month, Count: 1}, Benefits: subscription.PlanBenefits{ExtraPercentOff: 10}, Active: true},
			{Key: "premium", Name: "Premium", Currency: cur, Price: 8900, Interval: subscription.Interval{Unit: subscription.Week, Count: 2}, Benefits: subscription.PlanBenefits{ExtraPercentOff: 20, ExclusiveRewards: true}, Active: true},
		} {
			if _, err := subs.CreatePlan(ctx, tid, "test", p); err != nil {
				t.Fatal(err)
			}
		}
		var ids []string
		for i, card := range []string{service.CardSucceeds, service.CardSucceeds, service.CardFails} {
			sub, err := subs.Subscribe(ctx, tid, "test", "", service.SubscribeRequest{CustomerID: fmt.Sprintf("cust-%05d", i+1), Plan: []string{"basic", "premium", "basic"}[i], PaymentMethod: card})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sub.ID)
		}
		flow, err := subs.StartCancel(ctx, tid, "test", ids[1], subscription.ReasonTooExpensive)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := subs.DecideCancel(ctx, tid, "test", "", flow.ID, service.CancelDecision{Accept: subscription.OfferDiscount}); err != nil {
			t.Fatal(err)
		}

		c := s.client(t)
		c.signIn(s.staff[service.RoleSupport])
		p := c.get("/admin/subscriptions")
		if p.Status != 200 {
			t.Fatalf("subscriptions page: %d", p.Status)
		}
		for _, want := range []string{`id="plans-table"`, "Premium", `id="mrr-table"`, `id="mrr-movements"`, `id="chart-data"`, "too expensive", "discount", ids[2], "save rate 100.0%"} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the subscriptions page lacks %q", want)
			}
		}
		if p := c.get("/admin/subscriptions?state=past_due"); p.Status != 200 || !strings.Contains(p.Body, ids[2]) || strings.Contains(p.Body, `href="/admin/subscriptions/`+ids[0]) {
			t.Errorf("past-due filter: %d", p.Status)
		}
		if p := c.get("/admin/subscriptions?state=sleeping"); p.Status != 422 {
			t.Errorf("unknown state: %d, want 422", p.Status)
		}
		tl := c.get("/admin/subscriptions/" + ids[2])
		for _, want := range []string{`id="timeline-table"`, "<code>failed</code>", "card declined", "past due"} {
			if !strings.Contains(tl.Body, want) {
				t.Errorf("the timeline lacks %q", want)
			}
		}
		if p := c.get("/admin/subscriptions/sub_nope"); p.Status != 404 {
			t.Errorf("unknown subscription: %d", p.Status)
		}

		if e.Name != "sqlite" {
			return
		}
		b := apptest.NewBrowser(t)
		signIn(t, b, s, s.staff[service.RoleOwner])
		for _, path := range []string{"/admin/subscriptions", "/admin/subscriptions/" + ids[1]} {
			b.Open(t, s.url+path)
			for _, v := range b.Audit(t) {
				t.Errorf("%s: %s", path, v)
			}
			if path != "/admin/subscriptions" {
				continue
			}
			// The MRR movements chart is drawn: this month's new MRR is the three new
			// subscriptions' (Basic 49.00 twice, Premium 89.00 every two weeks = 192.83).
			b.Wait(t, "the MRR chart", `(window.tenureCharts || []).length === 1`)
			checks := apptest.Eval[[]chartCheck](t, b, chartsJS)
			if len(checks) != 1 || checks[0].ID != "mrr-movements" || len(checks[0].Series) != 5 {
				t.Fatalf("charts on the subscriptions page: %+v", checks)
			}
			for _, ser := range checks[0].Series {
				switch {
				case ser.Label == "New" && (ser.Sum != 290.83 || !ser.Path || ser.Pixels < 30):
					t.Errorf("new MRR series: %+v, want 290.83 drawn", ser)
				case ser.Label != "New" && ser.Sum != 0:
					t.Errorf("%s MRR series: %+v, want 0", ser.Label, ser)
				}
			}
		}
	})
}
