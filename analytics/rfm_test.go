package analytics_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
)

var april2024 = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

func TestRFMScoresAndTies(t *testing.T) {
	h := history(t,
		order("c1", day(2024, 3, 30), 100, 1),
		order("c2", day(2024, 3, 1), 100, 1),
		order("c3", day(2024, 1, 1), 500, 1),
		order("c4", day(2024, 2, 1), 50, 1), order("c4", day(2024, 2, 15), 50, 1),
		order("c5", day(2024, 2, 27), 200, 1), order("c5", day(2024, 3, 10), 200, 1), order("c5", day(2024, 3, 20), 200, 1),
		order("c5", day(2024, 3, 30), 200, 1), order("c5", day(2024, 3, 31), 200, 1),
		order("c5", april2024, 9999, 1), // at the reference date: not yet known
	)
	rs := h.RFM(april2024, analytics.SegmentConfig{})
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s r%d f%d m%d %d/%d/%d %s", r.Customer, r.RecencyDays, r.Frequency, r.Monetary, r.R, r.F, r.M, r.Segment))
	}
	want := []string{
		"c1 r1 f1 m100 4/1/1 new",         // first order 1.5 days ago
		"c2 r30 f1 m100 3/1/1 occasional", // one order 30.5 days ago: past the new window
		"c3 r90 f1 m500 1/1/4 occasional", // one order 90.5 days ago: quiet, but never repeated
		"c4 r45 f2 m100 2/4/1 active",     // three customers with one order: F skips 2 and 3
		"c5 r0 f5 m1000 5/5/5 vip",        // the top 5% of 5 customers is one place
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("RFM =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if counts := analytics.SegmentCounts(rs); counts[analytics.Occasional] != 2 || counts[analytics.VIP] != 1 {
		t.Errorf("segment counts = %v", counts)
	}
	var b bytes.Buffer
	if err := analytics.WriteRFMCSV(&b, rs[:1]); err != nil {
		t.Fatal(err)
	}
	if want := "customer,first,last,recency_days,frequency,monetary,r,f,m,rfm,segment\nc1,2024-03-30T12:00:00Z,2024-03-30T12:00:00Z,1,1,100,4,1,1,411,new\n"; b.String() != want {
		t.Errorf("RFM CSV =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestRFMScoresSpreadEvenlyWithoutTies(t *testing.T) {
	var orders []analytics.Order
	for i := range 10 {
		orders = append(orders, order(fmt.Sprintf("c%02d", i), day(2024, 1, 1+i), int64(100*(i+1)), 1))
	}
	rs := history(t, orders...).RFM(april2024, analytics.SegmentConfig{})
	for i, r := range rs {
		if want := 1 + i/2; r.M != want || r.R != want {
			t.Errorf("%s: R %d M %d, want %d (two customers per quintile)", r.Customer, r.R, r.M, want)
		}
		if r.F != 1 {
			t.Errorf("%s: F %d, want 1 when everyone ties", r.Customer, r.F)
		}
	}
}

func TestLifecycleSegmentsByPrecedence(t *testing.T) {
	ago := func(days float64) time.Time { return april2024.Add(-time.Duration(days * 24 * float64(time.Hour))) }
	repeat := func(n int, lastDaysAgo float64, amount int64) []analytics.Order {
		var os []analytics.Order
		for i := range n {
			os = append(os, order("x", ago(lastDaysAgo+10*float64(n-1-i)), amount, 1)) // 10 days apart
		}
		return os
	}
	cfg := analytics.SegmentConfig{VIPMinMonetary: 10_000}
	tests := []struct {
		name   string
		orders []analytics.Order
		want   analytics.Segment
	}{
		{"a customer silent past LapsedAfter is lapsed however loyal before", repeat(10, 200, 5000), analytics.Lapsed},
		{"a first order within NewWithin makes a customer new even with two orders", repeat(2, 5, 100), analytics.New},
		{"a repeat buyer silent past ActiveWithin is at risk", repeat(3, 100, 100), analytics.AtRisk},
		{"a big spender gone quiet is at risk, not VIP", repeat(3, 100, 9000), analytics.AtRisk},
		{"a one-time buyer silent past ActiveWithin is occasional, not at risk", repeat(1, 100, 100), analytics.Occasional},
		{"an active top spender is VIP before loyal", repeat(6, 5, 5000), analytics.VIP},
		{"an active buyer with LoyalMinOrders orders is loyal", repeat(5, 5, 100), analytics.Loyal},
		{"an active buyer with two orders is active", repeat(2, 40, 100), analytics.Active},
		{"an order exactly ActiveWithin ago still counts as active", repeat(2, 90, 100), analytics.Active},
		{"an active one-time buyer past the new window is occasional", repeat(1, 40, 100), analytics.Occasional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := history(t, tt.orders...).RFM(april2024, cfg)
			if len(rs) != 1 || rs[0].Segment != tt.want {
				t.Errorf("segment = %+v, want %s", rs, tt.want)
			}
		})
	}
}

func TestVIPTopShareKeepsTiedSpendersTogether(t *testing.T) {
	var orders []analytics.Order
	for i := range 40 {
		amount := int64(i + 1)
		switch i {
		case 37, 38, 39:
			amount = 1000 // three tied at the top; 5% of 40 is 2 places
		case 36:
			amount = 900
		}
		orders = append(orders, order(fmt.Sprintf("c%02d", i), day(2024, 2, 1), amount, 1))
		orders = append(orders, order(fmt.Sprintf("c%02d", i), day(2024, 3, 1), 0, 1))
	}
	rs := history(t, orders...).RFM(april2024, analytics.SegmentConfig{})
	var vips []string
	for _, r := range rs {
		if r.Segment == analytics.VIP {
			vips = append(vips, r.Customer)
		}
	}
	if strings.Join(vips, ",") != "c37,c38,c39" {
		t.Errorf("VIPs = %v, want the three tied top spenders and not the fourth", vips)
	}
}
