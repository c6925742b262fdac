package clv

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the time-zone test must not depend on the host's zoneinfo
)

func day(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func TestSummarizeDefinitions(t *testing.T) {
	end := day(2024, 3, 31, 0)
	txns := []Transaction{
		{"a", day(2024, 1, 1, 9), 10},
		{"a", day(2024, 1, 1, 18), 5}, // same day as the first: merged into it
		{"a", day(2024, 1, 15, 8), 20},
		{"a", day(2024, 1, 15, 20), 2}, // same day: day total 22
		{"a", day(2024, 2, 12, 0), 30},
		{"a", day(2024, 3, 31, 23), 8}, // on the calibration end date: included
		{"a", day(2024, 4, 1, 0), 99},  // after calibration: ignored
		{"b", day(2024, 3, 1, 12), 7},  // single purchase
		{"c", day(2024, 4, 2, 0), 5},   // first purchase after calibration: not in summary
		{"b", day(2024, 4, 20, 0), 1},
		{"b", day(2024, 4, 20, 5), 1}, // holdout: same day counts once
		{"a", day(2024, 5, 1, 0), 1},
		{"a", day(2024, 7, 1, 0), 1}, // beyond the holdout end
	}
	cs, err := Summarize(txns, end, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != "a" || cs[1].ID != "b" {
		t.Fatalf("customers %+v", cs)
	}
	a := cs[0]
	// Purchase days: Jan 1 (15), Jan 15 (22), Feb 12 (30), Mar 31 (8).
	want := Customer{ID: "a", X: 3, Tx: 90.0 / 7, T: 90.0 / 7, Monetary: (22 + 30 + 8) / 3.0}
	if a.X != want.X || math.Abs(a.Tx-want.Tx) > 1e-12 || math.Abs(a.T-want.T) > 1e-12 || math.Abs(a.Monetary-want.Monetary) > 1e-12 {
		t.Errorf("a = %+v, want %+v", a, want)
	}
	b := cs[1]
	if b.X != 0 || b.Tx != 0 || math.Abs(b.T-30.0/7) > 1e-12 || b.Monetary != 0 {
		t.Errorf("b = %+v", b)
	}
	// Daily units.
	cs, _ = Summarize(txns, end, 24*time.Hour)
	if cs[0].T != 90 || cs[0].Tx != 90 {
		t.Errorf("days: %+v", cs[0])
	}
	h, err := HoldoutPurchases(txns, []Customer{{ID: "a"}, {ID: "b"}, {ID: "zz"}}, end, day(2024, 6, 29, 0))
	if err != nil {
		t.Fatal(err)
	}
	if h[0] != 2 || h[1] != 1 || h[2] != 0 { // a: Apr 1, May 1; b: Apr 20
		t.Errorf("holdout counts %v, want [2 1 0]", h)
	}
}

// Calendar days come from each timestamp's own location, so a purchase late in the
// evening in New York is on that New York date, and a DST change does not shift periods.
func TestSummarizeTimeZones(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	txns := []Transaction{
		{"a", time.Date(2024, 3, 3, 23, 30, 0, 0, ny), 1}, // 04:30 UTC on Mar 4
		{"a", time.Date(2024, 3, 17, 0, 30, 0, 0, ny), 1}, // after the DST change of Mar 10
	}
	cs, err := Summarize(txns, time.Date(2024, 3, 31, 0, 0, 0, 0, ny), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].Tx != 2 || cs[0].T != 4 {
		t.Errorf("got %+v, want t_x = 2 weeks, T = 4 weeks", cs[0])
	}
}

func TestSummarizeErrors(t *testing.T) {
	end := day(2024, 3, 31, 0)
	ok := Transaction{"a", day(2024, 1, 1, 0), 1}
	bad := []Transaction{
		{"", day(2024, 1, 2, 0), 1},
		{"a", time.Time{}, 1},
		{"a", day(2024, 1, 2, 0), math.NaN()},
		{"a", day(2024, 1, 2, 0), -5},
	}
	for _, b := range bad {
		_, err := Summarize([]Transaction{ok, ok, b}, end, 24*time.Hour)
		var de *DataError
		if !errors.As(err, &de) || de.Index != 2 || !strings.Contains(err.Error(), "transaction 2") {
			t.Errorf("%+v: err %v, want a DataError for index 2", b, err)
		}
		if _, err := HoldoutPurchases([]Transaction{ok, ok, b}, nil, end, end); err == nil {
			t.Errorf("HoldoutPurchases accepted %+v", b)
		}
	}
	if _, err := Summarize([]Transaction{ok}, end, 0); err == nil {
		t.Error("zero period accepted")
	}
	if _, err := Summarize([]Transaction{ok}, day(2023, 1, 1, 0), time.Hour); err == nil {
		t.Error("no calibration transactions accepted")
	}
	if _, err := HoldoutPurchases(nil, nil, end, day(2024, 1, 1, 0)); err == nil {
		t.Error("holdout end before calibration end accepted")
	}
	if _, err := HoldoutPurchases(nil, []Customer{{ID: "a"}, {ID: "a"}}, end, end); err == nil {
		t.Error("duplicate customer ids accepted")
	}
}

func TestCompareHoldout(t *testing.T) {
	m := BGNBD{0.243, 4.414, 0.793, 2.426}
	cs := []Customer{{X: 0, T: 30}, {X: 1, Tx: 5, T: 30}, {X: 9, Tx: 29, T: 30}, {X: 12, Tx: 20, T: 30}}
	c, err := CompareHoldout(m, cs, []int{0, 2, 5, 7}, 39, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 8 || c.Rows[7].Customers != 2 || c.Rows[7].Actual != 6 || c.Actual != 14 || c.Customers != 4 {
		t.Errorf("comparison %+v", c)
	}
	sum := 0.0
	for _, cu := range cs {
		sum += m.ConditionalExpectedPurchases(39, cu.X, cu.Tx, cu.T)
	}
	if math.Abs(sum-c.Predicted) > 1e-9 {
		t.Errorf("predicted total %v, want %v", c.Predicted, sum)
	}
	if !strings.Contains(c.String(), "7+") || math.IsNaN(c.MeanAbsoluteError()) {
		t.Errorf("report:\n%s", c)
	}
	if _, err := CompareHoldout(m, cs, []int{1}, 39, 0); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := CompareHoldout(m, cs, []int{0, -1, 0, 0}, 39, 0); err == nil {
		t.Error("negative count accepted")
	}
	if _, err := CompareHoldout(BGNBD{}, cs, []int{0, 0, 0, 0}, 39, 0); err == nil {
		t.Error("invalid model accepted")
	}
}
