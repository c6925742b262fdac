package subscription

import (
	"math"
	"testing"
	"time"
)

func TestMonthlyAmount(t *testing.T) {
	for _, tc := range []struct {
		amount int64
		iv     Interval
		want   int64
	}{
		{4900, Interval{Month, 1}, 4900},
		{8900, Interval{Week, 2}, 19283}, // 8900 * 26 / 12 = 19283.33
		{12900, Interval{Week, 1}, 55900},
		{30000, Interval{Month, 3}, 10000},
		{59900, Interval{Year, 1}, 4992}, // 4991.67
		{100, Interval{Day, 1}, 3042},    // 3041.67
	} {
		if got := MonthlyAmount(tc.amount, tc.iv); got != tc.want {
			t.Errorf("MonthlyAmount(%d, %v) = %d, want %d", tc.amount, tc.iv, got, tc.want)
		}
	}
}

// TestMovementsWorkedExample is the ten-subscription example of docs/metrics.md, computed
// there by hand: March 2027 with seed 000's plans (Basic 4900 monthly = 4900 MRR,
// Premium 8900 every two weeks = 19283, Gold 12900 weekly = 55900).
func TestMovementsWorkedExample(t *testing.T) {
	const basic, premium, gold = 4900, 19283, 55900
	d := func(m time.Month, day int) time.Time { return time.Date(2027, m, day, 10, 0, 0, 0, time.UTC) }
	changes := []MRRChange{
		{"A", d(1, 10), basic},                          // stays on Basic
		{"B", d(2, 5), premium},                         // stays on Premium
		{"C", d(3, 3), basic},                           // new in March
		{"D", d(3, 20), gold},                           // new in March
		{"E", d(1, 4), basic}, {"E", d(3, 15), premium}, // upgrade: expansion
		{"F", d(2, 1), gold}, {"F", d(3, 8), premium}, // downgrade: contraction
		{"G", d(1, 7), premium}, {"G", d(3, 12), 0}, // cancelled: churned
		{"H", d(1, 9), basic}, {"H", d(2, 10), 0}, {"H", d(3, 5), basic}, // paused in Feb, resumed: reactivated
		{"I", d(3, 1), 0},                         // trialing all March: nothing
		{"J", d(3, 2), basic}, {"J", d(3, 25), 0}, // in and out within March: nothing
	}
	ms := Movements(changes, d(1, 1), d(3, 31))
	if len(ms) != 3 {
		t.Fatalf("%d months", len(ms))
	}
	mar := ms[2]
	want := Movement{Month: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC),
		Start: 104266, New: 60800, Expansion: 14383, Contraction: 36617, Churned: 19283, Reactivated: 4900,
		End: 128449, ARR: 1541388, StartSubscribers: 5, EndSubscribers: 7, NewSubscribers: 2, ChurnedSubscribers: 1, Reactivations: 1,
		SubscriberChurn: 0.2, RevenueChurn: 55900.0 / 104266.0, ARPU: 18350, LTV: 91750}
	if mar != want {
		t.Fatalf("March:\n got %+v\nwant %+v", mar, want)
	}
	for _, m := range ms {
		if m.Start+m.New+m.Expansion+m.Reactivated-m.Contraction-m.Churned != m.End {
			t.Errorf("%s: the bridge does not add up: %+v", m.Month.Format("2006-01"), m)
		}
	}
	// February: F and B new, H churned by its pause.
	feb := ms[1]
	if feb.New != gold+premium || feb.Churned != basic || feb.Start != basic+basic+premium+basic || feb.End != ms[2].Start {
		t.Fatalf("February %+v", feb)
	}
	if math.Abs(mar.RevenueChurn-0.536128) > 1e-6 {
		t.Fatalf("revenue churn %f", mar.RevenueChurn)
	}
}

func TestMRROfSubscription(t *testing.T) {
	basic, premium, _ := seedPlans()
	s := Subscription{State: Active, Price: 4900, Quantity: 2, Schedule: Calendar{Interval: basic.Interval}, Paid: 12}
	if got := MRR(s, basic); got != 8820 { // 9800 less 10 %
		t.Fatalf("Basic x2 after 12 paid = %d", got)
	}
	s.State = Paused
	if MRR(s, basic) != 0 {
		t.Fatal("a paused subscription has no MRR")
	}
	s = Subscription{State: PastDue, Price: 8900, Quantity: 1, Schedule: Calendar{Interval: premium.Interval}}
	if got := MRR(s, premium); got != 19283 {
		t.Fatalf("past-due Premium = %d", got)
	}
}

func TestFunnel(t *testing.T) {
	f := Funnel{TrialsEnded: 8, TrialsConverted: 6, DunningStarted: 4, DunningRecovered: 3, SaveFlows: 10, Saved: 4}.Rates()
	if f.TrialConversion != 0.75 || f.DunningRecovery != 0.75 || f.SaveRate != 0.4 {
		t.Fatalf("%+v", f)
	}
	if (Funnel{}).Rates().SaveRate != 0 {
		t.Fatal("no flows is a 0 rate")
	}
}
