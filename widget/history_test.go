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
		{"the available half of a release says the points can be used",
			tenure.Entry{Kind: tenure.EntryRelease, Bucket: tenure.Available, CauseType: "job", Reason: "return window ended for order ORD-7"},
			"Points now available", "Order ORD-7", true},
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
