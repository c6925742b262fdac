package analytics_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/importer"
)

var onlineRetail = filepath.Join("..", "testdata", "online-retail", "online_retail_2010-12_2011-12.csv.gz")

// readmeConfig keeps what the README's published cohort analysis keeps: identified
// customers' lines with quantity > 0 and price > 0 outside C and A invoices. No stock code
// is dropped as a non-product, and the four 0.001 prices are rounded instead of rejected.
func readmeConfig() importer.Config {
	cfg := importer.DefaultConfig()
	cfg.NonProductCodes = []string{}
	cfg.RoundSubMinorPrices = true
	return cfg
}

// onlineRetailOrders imports the Online Retail file and returns one analytics order per
// member invoice (cancellations are not netted: the README's analysis removes them).
func onlineRetailOrders(t testing.TB, cfg importer.Config) []analytics.Order {
	t.Helper()
	f, err := os.Open(onlineRetail)
	if err != nil {
		t.Fatalf("the Online Retail file is required: %v", err)
	}
	defer f.Close()
	var orders []analytics.Order
	sink := importer.SinkFuncs{OnOrder: func(o *importer.Order) error {
		orders = append(orders, analytics.Order{Customer: o.CustomerID, At: o.PlacedAt, Amount: o.Total(), Items: o.Items()})
		return nil
	}}
	if _, err := importer.Import(context.Background(), f, cfg, sink); err != nil {
		t.Fatal(err)
	}
	return orders
}

func TestOnlineRetailDecember2010CohortRetention(t *testing.T) {
	h := history(t, onlineRetailOrders(t, readmeConfig())...)
	if h.Customers() != 4338 {
		t.Errorf("customers = %d, want 4338", h.Customers())
	}
	table := h.Cohorts(time.Time{}, time.Time{})
	dec := table[0]
	if dec.Month != time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("first cohort is %v, want December 2010", dec.Month)
	}
	got := dec.Retention(1)
	t.Logf("December 2010 cohort: %d customers, %d active in January 2011, month-1 retention %.4f", dec.Size, dec.Active[1], got)
	if math.Abs(got-0.366) > 0.002 {
		t.Errorf("month-1 retention = %.4f, want 0.366 +/- 0.002", got)
	}
	if len(table) != 13 || len(dec.Active) != 13 {
		t.Errorf("table has %d cohorts, December %d months; want 13 and 13 (Dec 2010 .. Dec 2011)", len(table), len(dec.Active))
	}
}

// TestOnlineRetailAllMetrics runs every metric over the real history with the importer's
// defaults and checks invariants that must hold whatever the data.
func TestOnlineRetailAllMetrics(t *testing.T) {
	h := history(t, onlineRetailOrders(t, importer.Config{})...)
	first, last := h.Span()
	series := h.Series(analytics.Month, first, last.Add(time.Second), analytics.Options{})
	var orders int
	for _, m := range series {
		orders += m.Orders
		if m.CustomersAtEnd != m.Retained+m.Reactivated+m.NewAtEnd {
			t.Errorf("%s: customers at end %d != retained %d + reactivated %d + new %d", m.Label(),
				m.CustomersAtEnd, m.Retained, m.Reactivated, m.NewAtEnd)
		}
		if m.Orders != m.FirstOrders.Orders+m.RepeatOrders.Orders {
			t.Errorf("%s: first + repeat orders != orders", m.Label())
		}
	}
	if orders != h.Orders() {
		t.Errorf("monthly orders add up to %d, want %d", orders, h.Orders())
	}
	m := series[1] // January 2011
	t.Logf("January 2011: retention %.4f (%d at start, %d at end, %d new), repeat rate %.4f, frequency %.3f, AOV %.0f p, first-order AOV %.0f p vs repeat %.0f p",
		m.RetentionRate, m.CustomersAtStart, m.CustomersAtEnd, m.NewAtEnd, m.RepeatPurchaseRate, m.PurchaseFrequency,
		m.AOV, m.FirstOrders.AOV, m.RepeatOrders.AOV)
	for _, w := range []time.Duration{0, 90 * 24 * time.Hour} {
		for _, q := range h.Series(analytics.Quarter, first, last.Add(time.Second), analytics.Options{ActivityWindow: w}) {
			t.Logf("window %v, %s: retention %.4f (start %d, end %d, new at end %d, retained %d, reactivated %d)", w, q.Label(),
				q.RetentionRate, q.CustomersAtStart, q.CustomersAtEnd, q.NewAtEnd, q.Retained, q.Reactivated)
		}
	}
	dec := h.Cohorts(time.Time{}, time.Time{})[0]
	t.Logf("defaults (fees and postage skipped): December 2010 cohort %d customers, month-1 retention %.4f", dec.Size, dec.Retention(1))
	rs := h.RFM(time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC), analytics.SegmentConfig{})
	if len(rs) != h.Customers() {
		t.Errorf("RFM scored %d customers, want %d", len(rs), h.Customers())
	}
	t.Logf("segments at 2011-12-10: %v", analytics.SegmentCounts(rs))
}

// BenchmarkAllMetrics computes monthly series, cohorts and RFM over the Online Retail
// history (18.4k orders from 396k lines) and over 400k synthetic orders of 40k customers.
func BenchmarkAllMetrics(b *testing.B) {
	real := onlineRetailOrders(b, importer.Config{})
	synthetic := make([]analytics.Order, 400_000)
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range synthetic {
		c := (i * 7919) % 40_000
		synthetic[i] = analytics.Order{Customer: "cust-" + strconv.Itoa(c), At: start.Add(time.Duration(i) * 79 * time.Second),
			Amount: int64(1000 + i%5000), Items: int64(1 + i%7)}
	}
	for _, in := range []struct {
		name   string
		orders []analytics.Order
	}{{"online-retail", real}, {"synthetic-400k", synthetic}} {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := analytics.NewHistory(in.orders)
				if err != nil {
					b.Fatal(err)
				}
				first, last := h.Span()
				h.Series(analytics.Month, first, last.Add(time.Second), analytics.Options{})
				h.Series(analytics.Quarter, first, last.Add(time.Second), analytics.Options{})
				h.Cohorts(time.Time{}, time.Time{})
				h.RFM(last.Add(time.Second), analytics.SegmentConfig{})
			}
			b.ReportMetric(float64(len(in.orders)*b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}
