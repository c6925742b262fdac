package widget

import (
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestDescribe(t *testing.T) {
	tests := []struct {
		name          string
		entry         tenure.Entry
		title, detail string
		shown         bool
	}{
		{"an order's points name the order and the rules that gave them",
			tenure.Entry{Kind: tenure.EntryEarn, Bucket: tenure.Pending, CauseType: "event", Reason: "order.paid ORD-7: 1 point per 1 zł +98, Weekend +98"},
			"Order ORD-7", "1 point per 1 zł +98, Weekend +98", true},
		{"a welcome bonus reads as a welcome",
			tenure.Entry{Kind: tenure.EntryEarn, Bucket: tenure.Available, CauseType: "event", Reason: "customer.created: Welcome bonus +50"},
			"Welcome to the program", "Welcome bonus +50", true},
		{"the pending half of a release is bookkeeping",
			tenure.Entry{Kind: tenure.EntryRelease, Bucket: tenure.Pending, CauseType: "job", Reason: "return window ended for order ORD-7"}, "", "", false},
		{"the available half of a release is no line of its own: the order's line says it",
			tenure.Entry{Kind: tenure.EntryRelease, Bucket: tenure.Available, CauseType: "job", Reason: "return window ended for order ORD-7"},
			"", "", false},
		{"a redemption names the reward and the code",
			tenure.Entry{Kind: tenure.EntrySpend, CauseType: "coupon", Reason: "redeemed 20 zł (off) coupon (AB12CD34)"},
			"Redeemed 20 zł (off) coupon", "Code AB12CD34", true},
		{"a cancelled coupon gives points back",
			tenure.Entry{Kind: tenure.EntryRestore, CauseType: "coupon", Reason: "coupon AB12CD34 cancelled: customer changed her mind"},
			"Points returned", "Coupon AB12CD34 cancelled", true},
		{"an expired coupon gives points back",
			tenure.Entry{Kind: tenure.EntryRestore, CauseType: "coupon", Reason: "coupon AB12CD34 expired unused"},
			"Points returned", "Coupon AB12CD34 expired unused", true},
		{"a refund names the order",
			tenure.Entry{Kind: tenure.EntryReverse, CauseType: "event", Reason: "order.refunded ORD-7"},
			"Order ORD-7 refunded", "Points for the returned goods", true},
		{"expiry is plain",
			tenure.Entry{Kind: tenure.EntryExpire, CauseType: "job", Reason: "lots expired"}, "Points expired", "", true},
		{"a staff adjustment hides the staff's note",
			tenure.Entry{Kind: tenure.EntryAdjust, CauseType: "adjustment", Reason: "fraud check, see ticket 12"}, "Adjusted by the store", "", true},
		{"a store spend hides the store's note",
			tenure.Entry{Kind: tenure.EntrySpend, CauseType: "spend", Reason: "internal ref 9"}, "Points used", "", true},
		{"a settlement pair is bookkeeping",
			tenure.Entry{Kind: tenure.EntrySettle, Reason: "settle"}, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			title, detail, shown := describe(tc.entry)
			if title != tc.title || detail != tc.detail || shown != tc.shown {
				t.Fatalf("got %q, %q, %v; want %q, %q, %v", title, detail, shown, tc.title, tc.detail, tc.shown)
			}
		})
	}
}

func TestGroupHistory(t *testing.T) {
	// Newest first, as the ledger lists them: a redemption that took two lots, the release
	// of ORD-1's points (a pair), ORD-2 still pending, ORD-1 earned.
	es := []tenure.Entry{
		{ID: "e7", Kind: tenure.EntrySpend, CauseType: "coupon", CauseID: "cpn_1", Amount: -100, Reason: "redeemed Tea (AB12)"},
		{ID: "e6", Kind: tenure.EntrySpend, CauseType: "coupon", CauseID: "cpn_1", Amount: -50, Reason: "redeemed Tea (AB12)"},
		{ID: "e5", Kind: tenure.EntryRelease, Bucket: tenure.Available, CauseType: "job", CauseID: "job_1", LotID: "lot_1", Amount: 120},
		{ID: "e4", Kind: tenure.EntryRelease, Bucket: tenure.Pending, CauseType: "job", CauseID: "job_1", LotID: "lot_1", Amount: -120},
		{ID: "e3", Kind: tenure.EntryEarn, Bucket: tenure.Pending, CauseType: "event", CauseID: "ev_2", LotID: "lot_2", Amount: 30, Reason: "order.paid ORD-2: Base +30"},
		{ID: "e2", Kind: tenure.EntryEarn, Bucket: tenure.Pending, CauseType: "event", CauseID: "ev_1", LotID: "lot_1", Amount: 120, Reason: "order.paid ORD-1: Base +120"},
	}
	pending := map[string]int64{"lot_2": 30}
	out, last := groupHistory(es, pending, 20)
	type line struct {
		title   string
		points  int64
		pending bool
	}
	var got []line
	for _, h := range out {
		got = append(got, line{h.Title, h.Points, h.Pending})
	}
	want := []line{{"Redeemed Tea", -150, false}, {"Order ORD-2", 30, true}, {"Order ORD-1", 120, false}}
	if len(got) != len(want) || last != len(es)-1 {
		t.Fatalf("got %v (last %d), want %v", got, last, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %v, want %v", i, got[i], want[i])
		}
	}
	// A page of two lines ends after the second; the next page starts with ORD-1.
	out, last = groupHistory(es, pending, 2)
	if len(out) != 2 || es[last].ID != "e3" {
		t.Errorf("a page of two: %d lines, last entry %s", len(out), es[last].ID)
	}
}
