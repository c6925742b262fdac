package analytics_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

func order(c string, at time.Time, amount, items int64) analytics.Order {
	return analytics.Order{Customer: c, At: at, Amount: amount, Items: items}
}

func history(t testing.TB, orders ...analytics.Order) *analytics.History {
	t.Helper()
	h, err := analytics.NewHistory(orders)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var feb2024 = analytics.Period{Start: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// base is the customer-base part of PeriodMetrics.
type base struct {
	start, end, new, newAtEnd, retained, reactivated int
	rate                                             float64
}

func TestRetentionFollowsSeed004(t *testing.T) {
	const month = 30 * 24 * time.Hour
	tests := []struct {
		name   string
		window time.Duration
		period analytics.Period
		orders []analytics.Order
		want   base
	}{
		{"a customer who buys only in the period counts as new, not retained", 0, feb2024,
			[]analytics.Order{order("a", day(2024, 2, 10), 100, 1)},
			base{start: 0, end: 1, new: 1, newAtEnd: 1, rate: 0}},
		{"a customer active at the start is retained without buying in the period", 0, feb2024,
			[]analytics.Order{order("a", day(2024, 1, 5), 100, 1)},
			base{start: 1, end: 1, retained: 1, rate: 1}},
		{"a customer whose last order leaves the window during the period is lost", month, feb2024,
			[]analytics.Order{order("a", day(2024, 1, 20), 100, 1)},
			base{start: 1, end: 0, rate: 0}},
		{"new customers are subtracted from the end count", 0, feb2024,
			[]analytics.Order{order("a", day(2024, 1, 5), 1, 1), order("b", day(2024, 1, 6), 1, 1),
				order("c", day(2024, 2, 7), 1, 1), order("d", day(2024, 2, 8), 1, 1)},
			base{start: 2, end: 4, new: 2, newAtEnd: 2, retained: 2, rate: 1}},
		{"a lapsed customer who returns is reactivated and can push retention above 1", month, feb2024,
			[]analytics.Order{order("a", day(2024, 1, 20), 1, 1), order("a", day(2024, 2, 20), 1, 1),
				order("b", day(2023, 10, 1), 1, 1), order("b", day(2024, 2, 10), 1, 1)},
			base{start: 1, end: 2, retained: 1, reactivated: 1, rate: 2}},
		{"a new customer gone by the end of a long period is not subtracted", month,
			analytics.Period{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)},
			[]analytics.Order{order("a", day(2023, 12, 20), 1, 1), order("a", day(2024, 3, 20), 1, 1),
				order("b", day(2024, 1, 5), 1, 1)},
			base{start: 1, end: 1, new: 1, newAtEnd: 0, retained: 1, rate: 1}},
		{"with a lifetime window nobody leaves and retention is 1", analytics.Lifetime, feb2024,
			[]analytics.Order{order("a", day(2020, 1, 1), 1, 1), order("b", day(2024, 1, 1), 1, 1), order("c", day(2024, 2, 2), 1, 1)},
			base{start: 2, end: 3, new: 1, newAtEnd: 1, retained: 2, rate: 1}},
		{"orders after the period do not count", 0, feb2024,
			[]analytics.Order{order("a", day(2024, 1, 5), 1, 1), order("b", day(2024, 3, 1), 1, 1)},
			base{start: 1, end: 1, retained: 1, rate: 1}},
		{"an order exactly at the start belongs to the period, not to the base at the start", 0, feb2024,
			[]analytics.Order{order("a", feb2024.Start, 1, 1)},
			base{start: 0, end: 1, new: 1, newAtEnd: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := history(t, tt.orders...).Metrics([]analytics.Period{tt.period}, analytics.Options{ActivityWindow: tt.window})[0]
			got := base{m.CustomersAtStart, m.CustomersAtEnd, m.NewCustomers, m.NewAtEnd, m.Retained, m.Reactivated, m.RetentionRate}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if m.CustomersAtStart > 0 && !near(m.ChurnRate, 1-m.RetentionRate) {
				t.Errorf("churn %v is not 1 - retention %v", m.ChurnRate, m.RetentionRate)
			}
			if m.CustomersAtEnd != m.Retained+m.Reactivated+m.NewAtEnd {
				t.Errorf("customers at end %d != retained + reactivated + new at end", m.CustomersAtEnd)
			}
		})
	}
}

// shop is a small history whose February 2024 metrics are worked out by hand below.
func shop(t testing.TB) *analytics.History {
	return history(t,
		order("alice", day(2024, 1, 10), 100, 1), order("alice", day(2024, 2, 3), 200, 2), order("alice", day(2024, 2, 20), 300, 3),
		order("bob", day(2024, 2, 5), 50, 1), order("bob", day(2024, 2, 6), 150, 5),
		order("carol", day(2024, 2, 28), 400, 4),
		order("dave", day(2023, 12, 1), 1000, 10),
	)
}

func TestPeriodMetricsByHand(t *testing.T) {
	m := shop(t).Metrics([]analytics.Period{feb2024}, analytics.Options{})[0]
	ints := map[string][2]int64{
		"orders (2 alice + 2 bob + 1 carol)":      {int64(m.Orders), 5},
		"customers who ordered":                   {int64(m.Customers), 3},
		"revenue 200+300+50+150+400":              {m.Revenue, 1100},
		"items":                                   {m.Items, 15},
		"new customers (bob, carol)":              {int64(m.NewCustomers), 2},
		"repeat customers in period (alice, bob)": {int64(m.RepeatCustomers), 2},
		"customers to date (all four)":            {int64(m.CustomersToDate), 4},
		"revenue to date":                         {m.RevenueToDate, 2200},
		"customers at start (alice, dave)":        {int64(m.CustomersAtStart), 2},
		"customers at end":                        {int64(m.CustomersAtEnd), 4},
		"first orders (bob's, carol's)":           {int64(m.FirstOrders.Orders), 2},
		"first order revenue":                     {m.FirstOrders.Revenue, 450},
		"repeat orders (alice 2, bob 1)":          {int64(m.RepeatOrders.Orders), 3},
		"repeat order items":                      {m.RepeatOrders.Items, 10},
	}
	for name, v := range ints {
		if v[0] != v[1] {
			t.Errorf("%s = %d, want %d", name, v[0], v[1])
		}
	}
	floats := map[string][2]float64{
		"retention (4 - 2) / 2":          {m.RetentionRate, 1},
		"churn":                          {m.ChurnRate, 0},
		"repeat purchase rate 2/3":       {m.RepeatPurchaseRate, 2.0 / 3},
		"purchase frequency 5/3":         {m.PurchaseFrequency, 5.0 / 3},
		"AOV 1100/5":                     {m.AOV, 220},
		"revenue per customer 1100/3":    {m.RevenuePerCustomer, 1100.0 / 3},
		"historical CLV 2200/4":          {m.HistoricalCLV, 550},
		"first-time AOV 450/2":           {m.FirstOrders.AOV, 225},
		"first-time items per order 5/2": {m.FirstOrders.ItemsPerOrder, 2.5},
		"repeat AOV 650/3":               {m.RepeatOrders.AOV, 650.0 / 3},
		"repeat items per order 10/3":    {m.RepeatOrders.ItemsPerOrder, 10.0 / 3},
	}
	for name, v := range floats {
		if !near(v[0], v[1]) {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
}

func TestSeriesCoversCalendarPeriods(t *testing.T) {
	h := shop(t)
	from, to := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	months := h.Series(analytics.Month, from, to, analytics.Options{})
	var labels []string
	for _, m := range months {
		labels = append(labels, m.Label())
	}
	if strings.Join(labels, ",") != "2024-01,2024-02,2024-03" {
		t.Fatalf("labels = %v: periods overlapping the range, the first starting at or before from", labels)
	}
	q := h.Series(analytics.Quarter, from, to, analytics.Options{})
	if len(q) != 1 || q[0].Label() != "2024-Q1" || q[0].Orders != months[0].Orders+months[1].Orders+months[2].Orders {
		t.Errorf("quarter = %+v", q)
	}
	if y := h.Series(analytics.Year, from, to, analytics.Options{}); len(y) != 1 || y[0].Label() != "2024" || y[0].Revenue != 1200 {
		t.Errorf("year = %+v", y)
	}
	if len(h.Series(analytics.Month, to, from, analytics.Options{})) != 0 {
		t.Error("an empty range has no periods")
	}
	custom := analytics.Period{Start: time.Date(2023, 11, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)}
	if l := custom.Label(); l != "2023-11-05..2024-03-05" {
		t.Errorf("custom label = %s", l)
	}
	whole := h.Metrics([]analytics.Period{custom}, analytics.Options{})[0]
	if whole.Orders != 7 || whole.Customers != 4 || whole.NewCustomers != 4 || !near(whole.HistoricalCLV, 550) {
		t.Errorf("whole range = %+v", whole)
	}
}

func TestSeriesCSV(t *testing.T) {
	var b bytes.Buffer
	if err := analytics.WriteSeriesCSV(&b, shop(t).Metrics([]analytics.Period{feb2024}, analytics.Options{})); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "2024-02,2024-02-01T00:00:00Z,2024-03-01T00:00:00Z,5,3,1100,15,2,2,2,4,2,2,0,1.0000,0.0000,0.6667,") {
		t.Errorf("csv =\n%s", b.String())
	}
}

func TestNewHistoryRejectsIncompleteOrders(t *testing.T) {
	if _, err := analytics.NewHistory([]analytics.Order{{Customer: " ", At: day(2024, 1, 1)}}); err == nil {
		t.Error("an order without a customer was accepted")
	}
	if _, err := analytics.NewHistory([]analytics.Order{{Customer: "a"}}); err == nil {
		t.Error("an order without a time was accepted")
	}
	h := history(t)
	if h.Customers() != 0 || len(h.Cohorts(time.Time{}, time.Time{})) != 0 || len(h.RFM(day(2024, 1, 1), analytics.SegmentConfig{})) != 0 {
		t.Error("an empty history should give empty results")
	}
	if m := h.Metrics([]analytics.Period{feb2024}, analytics.Options{})[0]; m.RetentionRate != 0 || m.AOV != 0 {
		t.Errorf("rates over nobody should be 0: %+v", m)
	}
}
