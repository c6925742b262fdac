package ledger

import (
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Eligible returns the order amount that earns points and how much of it was refunded.
func Eligible(p tenure.Program, o *tenure.Order) (amount, refunded int64) {
	amount = o.Subtotal()
	goods, shipping, _ := o.Refunded()
	refunded = goods
	if p.IncludeShipping {
		amount += o.Shipping
		refunded += shipping
	}
	return amount, min(refunded, amount)
}

// AvailableAt returns when an order's points become available under the program, or nil
// while the anchor (payment or fulfilment) is unknown.
func AvailableAt(p tenure.Program, o *tenure.Order) *time.Time {
	anchor := o.PaidAt
	if p.AvailableOn == "fulfilment" {
		anchor = o.FulfilledAt
	}
	if anchor == nil {
		return nil
	}
	t := anchor.AddDate(0, 0, p.ReturnWindowDays)
	return &t
}

// Target returns the net points an order is worth now: its base points scaled by the share
// of the eligible amount not refunded (rounded down), or zero when unpaid or cancelled.
// Because it depends only on the order's accumulated facts, events arriving in any order
// converge on the same target.
func Target(p tenure.Program, o *tenure.Order, base int64) int64 {
	if o.PaidAt == nil || o.CancelledAt != nil || base <= 0 {
		return 0
	}
	amount, refunded := Eligible(p, o)
	if _, _, full := o.Refunded(); full || amount <= 0 || refunded >= amount {
		return 0
	}
	// base <= 10^16 and amount <= ~10^12: use a split to avoid overflow.
	return mulDiv(base, amount-refunded, amount)
}

func mulDiv(a, b, c int64) int64 {
	q, r := a/c, a%c
	return q*b + r*b/c
}

// SettleOrder brings the member's book in line with the order's target: it earns what is
// missing, claws back what is too much (per the negative-balance policy), and releases
// pending points whose time has come. It updates o.Points and returns the outcome.
func SettleOrder(b *Book, p tenure.Program, o *tenure.Order, base int64, c Cause) tenure.PointsOutcome {
	target := Target(p, o, base)
	at := AvailableAt(p, o)
	due := at != nil && !at.After(b.now)
	var out tenure.PointsOutcome

	lot := b.Lot(o.Points.LotID)
	delta := target - o.Points.Credited
	switch {
	case delta > 0:
		if lot == nil {
			lot = b.NewLot("order", o.ID)
			o.Points.LotID = lot.ID
		}
		b.Earn(lot, delta, !due, p.ExpiresAt(b.now), c)
		out.Earned = delta
	case delta < 0:
		un := b.Clawback(lot, -delta, p.NegativeBalance, c)
		out.Reversed = -delta - un
		out.Uncollected = un
		o.Points.WrittenOff += un
	}
	o.Points.Credited = target

	if lot != nil && lot.Pending > 0 && due {
		out.Released = b.Release(lot, p.ExpiresAt(b.now), c)
	}
	if lot != nil && lot.Pending > 0 {
		lot.AvailableAt = at
	}
	out.OrderPoints = target
	out.Pending = lot != nil && lot.Pending > 0
	o.Points.Pending = out.Pending
	o.Points.AvailableAt = nil
	if out.Pending {
		out.AvailableAt = at
		o.Points.AvailableAt = at
	}
	return out
}
