package rewards

import (
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// State is where a coupon is in its lifecycle.
type State string

// Coupon states. Issued is the only state a coupon can be used or expire from; a cancel is
// accepted from any state but cancelled, and returns whatever points are still out.
const (
	Issued    State = "issued"
	Used      State = "used"
	Expired   State = "expired"
	Cancelled State = "cancelled"
)

// Coupon is what a redemption issued: a unique code worth the reward, with its own
// lifecycle. It keeps a copy of the reward's terms at the time of issue, so that later
// edits of the catalog do not change coupons already in members' hands.
type Coupon struct {
	ID             string     `json:"id"`
	Code           string     `json:"code"`
	RewardID       string     `json:"reward_id"`
	RewardName     string     `json:"reward_name"`
	Type           Type       `json:"type"`
	MemberID       string     `json:"member_id"`
	CustomerID     string     `json:"customer_id" doc:"The store's id of the member"`
	Points         int64      `json:"points" doc:"Points spent on it"`
	Percent        int64      `json:"percent,omitempty"`
	Value          int64      `json:"value" doc:"Minor units off, or credited for store_credit; 0 where none applies"`
	Currency       string     `json:"currency"`
	ProductID      string     `json:"product_id,omitempty"`
	MinOrder       int64      `json:"min_order" doc:"Minimum order (minor units) it may be used on"`
	ValidUntil     *time.Time `json:"valid_until,omitempty" doc:"Absent when it never expires"`
	ReturnOnExpiry bool       `json:"return_points_on_expiry,omitempty"`
	State          State      `json:"state" enum:"issued,used,expired,cancelled"`
	OrderID        string     `json:"order_id,omitempty" doc:"The store's order it was used on"`
	CancelReason   string     `json:"cancel_reason,omitempty"`
	PointsReturned int64      `json:"points_returned,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UsedAt         *time.Time `json:"used_at,omitempty"`
	ExpiredAt      *time.Time `json:"expired_at,omitempty"`
	CancelledAt    *time.Time `json:"cancelled_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// NewCoupon is the coupon a granted decision issues at now. Store credit goes into the
// member's wallet at once, so its coupon is born used and never expires.
func NewCoupon(id string, r Reward, m tenure.Member, d Decision, currency string, now time.Time) Coupon {
	c := Coupon{
		ID: id, RewardID: r.ID, RewardName: r.Name, Type: r.Type, MemberID: m.ID, CustomerID: m.ExternalID,
		Points: d.Cost, Percent: r.Percent, Value: d.Value, Currency: currency, ProductID: r.ProductID,
		MinOrder: r.MinOrder, ReturnOnExpiry: r.ReturnOnExpiry, State: Issued, CreatedAt: now, UpdatedAt: now,
	}
	if r.Type == StoreCredit {
		c.State, c.UsedAt = Used, &now
		return c
	}
	if r.ValidDays > 0 {
		t := now.AddDate(0, 0, r.ValidDays)
		c.ValidUntil = &t
	}
	return c
}

func conflict(field, format string, args ...any) error {
	e := tenure.Invalid("rewards.Coupon", field, format, args...)
	e.Kind, e.Message = tenure.KindConflict, e.Fields[0].Message
	return e
}

// Use marks an issued coupon used on an order. orderTotal, when given, must reach the
// coupon's minimum order. Using it again on the same order changes nothing (changed is
// false); on another order, or once expired or cancelled, it is a KindConflict.
func (c *Coupon) Use(orderID string, orderTotal *int64, now time.Time) (changed bool, err error) {
	orderID = strings.TrimSpace(orderID)
	if fe := tenure.ValidateExternalID("order_id", orderID); fe != nil {
		return false, tenure.Invalid("rewards.Use", fe.Field, "%s", fe.Message)
	}
	if orderTotal != nil && (*orderTotal < 0 || *orderTotal > tenure.MaxMoney) {
		return false, tenure.Invalid("rewards.Use", "order_total", "must be between 0 and %d", int64(tenure.MaxMoney))
	}
	switch {
	case c.Type == StoreCredit:
		return false, conflict("id", "store credit went into the member's wallet when redeemed; there is nothing to use")
	case c.State == Used && c.OrderID == orderID:
		return false, nil
	case c.State == Used:
		return false, conflict("order_id", "already used on order %q", c.OrderID)
	case c.State == Cancelled:
		return false, conflict("id", "the coupon is cancelled")
	case c.State == Expired || (c.ValidUntil != nil && !now.Before(*c.ValidUntil)):
		return false, conflict("id", "the coupon expired at %s", c.ValidUntil.UTC().Format(time.RFC3339))
	case orderTotal != nil && *orderTotal < c.MinOrder:
		return false, conflict("order_total", "the coupon needs an order of at least %d; this one is %d", c.MinOrder, *orderTotal)
	}
	c.State, c.OrderID, c.UsedAt, c.UpdatedAt = Used, orderID, &now, now
	return true, nil
}

// Cancel cancels the coupon — the store reports it unused, or the order it was used on was
// cancelled — and returns the points still to give back. Cancelling a cancelled coupon
// changes nothing.
func (c *Coupon) Cancel(reason string, now time.Time) (refund int64, changed bool, err error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return 0, false, tenure.Invalid("rewards.Cancel", "reason", "must be at most 500 characters")
	}
	if c.State == Cancelled {
		return 0, false, nil
	}
	refund = c.Points - c.PointsReturned
	c.State, c.CancelReason, c.CancelledAt, c.UpdatedAt = Cancelled, reason, &now, now
	c.PointsReturned = c.Points
	return refund, true, nil
}

// Expire expires an issued coupon whose validity has ended, returning the points to give
// back (all of them if the reward said so, otherwise none). Anything else is left alone.
func (c *Coupon) Expire(now time.Time) (refund int64, changed bool) {
	if c.State != Issued || c.ValidUntil == nil || now.Before(*c.ValidUntil) {
		return 0, false
	}
	c.State, c.ExpiredAt, c.UpdatedAt = Expired, &now, now
	if c.ReturnOnExpiry {
		refund = c.Points - c.PointsReturned
		c.PointsReturned = c.Points
	}
	return refund, true
}
