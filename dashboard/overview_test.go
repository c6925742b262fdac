package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestOverviewNumbers checks the overview's numbers and chart series against a small,
// hand-counted history, on every storage engine (the per-day grouping is SQL that both
// must agree on).
func TestOverviewNumbers(t *testing.T) {
	ctx := context.Background()
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		clock := tenure.NewManualClock(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)) // a Monday
		db := storagetest.Open(t, e, clock)
		svc := service.New(db, nil)
		tn, _, err := svc.Tenants.Create(ctx, "Numbers")
		if err != nil {
			t.Fatal(err)
		}
		order := func(id, customer string, amount int64) tenure.Event {
			return tenure.Event{ID: id, Type: tenure.OrderPaid, CustomerID: customer,
				Order: &tenure.OrderData{ID: id, Lines: []tenure.LineData{{Quantity: 1, UnitPrice: amount}}}}
		}
		ingest := func(evs ...tenure.Event) {
			t.Helper()
			if _, err := svc.Intake.Ingest(ctx, tn.ID, evs, service.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		ingest(order("o1", "c1", 10000))                          // day 1: c1 joins, 100 points pending
		clock.Advance(24 * time.Hour)                             // day 2
		ingest(order("o2", "c1", 5000), order("o3", "c2", 20000)) // 50 + 200 points; c2 joins
		for _, amount := range []int64{30, -10} {
			if _, err := svc.Intake.Adjust(ctx, tn.ID, "test", "c1", "", service.LedgerOp{Amount: amount, Reason: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Intake.Spend(ctx, tn.ID, "test", "c1", "", service.LedgerOp{Amount: 5, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(7 * 24 * time.Hour) // the weekly chart shows complete weeks: let the week of 2 March end
		if tn, err = svc.Tenants.Get(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}

		d := New(svc, nil)
		got, err := d.overviewData(ctx, tn)
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		check("members", got.Members, int64(2))
		check("active", got.Active, int64(2))
		check("issued (earned + positive adjustments)", got.Issued, int64(380))
		check("redeemed", got.Redeemed, int64(5))
		check("expired", got.Expired, int64(0))
		check("outstanding", got.Outstanding, int64(15))
		check("pending", got.Pending, int64(350))
		check("liability (1 point = 0.01)", got.LiabilityMinor, int64(15))
		check("orders", got.Orders, int64(3))
		check("revenue", got.Revenue, int64(35000))
		check("repeat rate", got.RepeatRate, 0.5)
		check("AOV", got.AOV, 35000.0/3)

		week := func(c chart, series int) map[string]int64 {
			out := map[string]int64{}
			for i, v := range c.Series[series].Values {
				if v != 0 {
					out[c.Labels[i]] = v
				}
			}
			return out
		}
		points, members, revenue := got.Charts[0], got.Charts[1], got.Charts[2]
		check("weeks", len(points.X), 52)
		check("issued in the week of 2 Mar", week(points, 0)["2 Mar 2026"], int64(380))
		check("redeemed in the week of 2 Mar", week(points, 1)["2 Mar 2026"], int64(5))
		check("months", len(members.X), 12)
		check("new members in March", week(members, 0)["Mar 2026 (to date)"], int64(2))
		check("revenue in March", week(revenue, 0)["Mar 2026 (to date)"], int64(35000))
		check("orders in March", revenue.Extra[0].Values[11], int64(3))
		check("nothing outside the period", len(week(points, 0))+len(week(members, 0))+len(week(revenue, 0)), 3)

		// The overview and the API's program metrics are one definition: the same period
		// gives the same figures.
		pm, err := svc.Reports.ProgramMetrics(ctx, tn.ID, got.From, got.To.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		check("API members", pm.Members, got.Members)
		check("API active", pm.ActiveMembers, got.Active)
		check("API issued", pm.Issued, got.Issued)
		check("API redeemed", pm.Redeemed, got.Redeemed)
		check("API expired", pm.Expired, got.Expired)
		check("API outstanding", pm.Outstanding, got.Outstanding)
		check("API liability", pm.LiabilityMinor, got.LiabilityMinor)
	})
}
