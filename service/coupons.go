package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/storage"
)

// couponChanged writes the books, then the notification and the audit entry of a coupon
// transition.
func (s *core) couponChanged(ctx context.Context, tx *storage.Tx, u *unit, c rewards.Coupon, points *ledger.Book, typ, actor string) error {
	if err := u.flush(ctx); err != nil {
		return err
	}
	msg := couponMessage{Coupon: c, Balance: points.Balance.Available}
	if _, err := tx.Emit(ctx, u.tenantID, typ, c.MemberID, msg); err != nil {
		return err
	}
	return tx.Audit(ctx, u.tenantID, actor, typ, "coupon", c.ID, map[string]any{
		"reward_id": c.RewardID, "code": c.Code, "points": c.Points, "points_returned": c.PointsReturned, "state": c.State})
}

// couponMessage is the body of reward.redeemed and coupon.* notifications.
type couponMessage struct {
	rewards.Coupon
	Balance int64 `json:"balance_available" doc:"The member's points after the change"`
}

// Coupon loads a coupon by id or by code.
func (s *Rewards) Coupon(ctx context.Context, tenantID, ref string) (c rewards.Coupon, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { c, err = tx.Coupon(ctx, tenantID, ref, false); return err })
	return c, err
}

// MemberCoupons lists a member's coupons, newest first, optionally in one state.
func (s *Rewards) MemberCoupons(ctx context.Context, tenantID, memberRef, state, before string, limit int) (cs []rewards.Coupon, next string, err error) {
	limit = clampLimit(limit)
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		cs, err = tx.MemberCoupons(ctx, tenantID, m.ID, state, before, limit+1)
		return err
	})
	if len(cs) > limit {
		cs = cs[:limit]
		next = cs[limit-1].ID
	}
	return cs, next, err
}

// CouponUse is the store reporting that a coupon was used on an order. OrderTotal, when
// sent, is checked against the coupon's minimum order.
type CouponUse struct {
	OrderID    string `json:"order_id" minLength:"1" maxLength:"128" doc:"The store's order id"`
	OrderTotal *int64 `json:"order_total,omitempty" minimum:"0" doc:"The order's value in minor units, to check the minimum order"`
}

// CouponCancel is the store reporting a coupon unused, or its order cancelled.
type CouponCancel struct {
	Reason string `json:"reason,omitempty" maxLength:"500"`
}

// UseCoupon marks a coupon used. Reporting the same use again changes nothing.
func (s *Rewards) UseCoupon(ctx context.Context, tenantID, actor, ref string, in CouponUse) (rewards.Coupon, error) {
	return s.couponOp(ctx, tenantID, actor, ref, false, "coupon.used", func(u *unit, c *rewards.Coupon, _ *rewards.Reward) (bool, error) {
		return c.Use(in.OrderID, in.OrderTotal, u.tx.Now)
	})
}

// CancelCoupon cancels a coupon and gives back its points as a new lot with the program's
// expiry (a restore entry after the spend, so the history explains itself). A store-credit
// coupon takes its credit back first and is refused if that credit has been spent. The
// reward's unit goes back into stock. Cancelling twice changes nothing.
func (s *Rewards) CancelCoupon(ctx context.Context, tenantID, actor, ref string, in CouponCancel) (rewards.Coupon, error) {
	return s.couponOp(ctx, tenantID, actor, ref, true, "coupon.cancelled", func(u *unit, c *rewards.Coupon, r *rewards.Reward) (bool, error) {
		wasCredit := c.Type == rewards.StoreCredit && c.State != rewards.Cancelled
		refund, changed, err := c.Cancel(in.Reason, u.tx.Now)
		if err != nil || !changed {
			return changed, err
		}
		cause := ledger.Cause{Type: "coupon", ID: c.ID, Reason: "coupon " + c.Code + " cancelled" + reasonSuffix(c.CancelReason), Actor: actor}
		if wasCredit {
			credit, err := u.book(ctx, c.MemberID, tenure.Credit)
			if err != nil {
				return false, err
			}
			if err := credit.Spend(tenure.EntryReverse, c.Value, cause); err != nil {
				return false, tenure.Errorf(tenure.KindConflict, "service.CancelCoupon", "the store credit of this coupon has been spent: %v", err)
			}
		}
		if r.Stock != nil {
			*r.Stock++
			r.UpdatedAt = u.tx.Now
			if err := u.tx.UpdateReward(ctx, u.tenantID, *r); err != nil {
				return false, err
			}
		}
		return true, u.restore(ctx, c.MemberID, refund, cause)
	})
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// restore gives points back to a member through the Book, with the program's expiry.
func (u *unit) restore(ctx context.Context, memberID string, amount int64, c ledger.Cause) error {
	if amount <= 0 {
		return nil
	}
	b, err := u.book(ctx, memberID, tenure.Points)
	if err == nil {
		b.Restore(amount, u.prog.ExpiresAt(u.tx.Now), c)
	}
	return err
}

// couponOp runs one coupon transition in a transaction: it locks the member's row, then
// (withReward) the reward's, then the coupon's, lets decide change the coupon, and writes
// the coupon, the books, a notification and an audit entry. An unchanged coupon writes
// nothing.
func (s *Rewards) couponOp(ctx context.Context, tenantID, actor, ref string, withReward bool, typ string,
	decide func(*unit, *rewards.Coupon, *rewards.Reward) (bool, error)) (c rewards.Coupon, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		c, err = s.lockCoupon(ctx, tx, tenantID, ref)
		if err != nil {
			return err
		}
		var r rewards.Reward
		if withReward {
			if r, err = tx.Reward(ctx, tenantID, c.RewardID, true); err != nil {
				return err
			}
		}
		if c, err = tx.Coupon(ctx, tenantID, c.ID, true); err != nil {
			return err
		}
		u, err := s.newUnit(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		changed, err := decide(u, &c, &r)
		if err != nil || !changed {
			return err
		}
		return s.saveCoupon(ctx, u, c, typ, actor)
	})
	return c, err
}

// lockCoupon finds a coupon and locks its member's row, the first lock of every coupon
// transition.
func (s *core) lockCoupon(ctx context.Context, tx *storage.Tx, tenantID, ref string) (rewards.Coupon, error) {
	c, err := tx.Coupon(ctx, tenantID, ref, false)
	if err != nil {
		return c, err
	}
	_, err = tx.Member(ctx, tenantID, c.MemberID, true)
	return c, err
}

func (s *core) saveCoupon(ctx context.Context, u *unit, c rewards.Coupon, typ, actor string) error {
	if err := u.tx.SaveCoupon(ctx, u.tenantID, c, false); err != nil {
		return err
	}
	points, err := u.book(ctx, c.MemberID, tenure.Points)
	if err != nil {
		return err
	}
	return s.couponChanged(ctx, u.tx, u, c, points, typ, actor)
}

// runRewardJob runs the rewards' scheduled work; handled is false for other kinds. A
// coupon still issued at its valid_until expires, giving its points back if its reward
// said so; a coupon used or cancelled in the meantime is left alone.
func (s *core) runRewardJob(ctx context.Context, tx *storage.Tx, j storage.Job) (handled bool, err error) {
	if j.Kind != jobCouponExpire {
		return false, nil
	}
	c, err := s.lockCoupon(ctx, tx, j.TenantID, j.Payload)
	if tenure.KindOf(err) == tenure.KindNotFound {
		return true, nil
	}
	if err != nil {
		return true, err
	}
	if c, err = tx.Coupon(ctx, j.TenantID, c.ID, true); err != nil {
		return true, err
	}
	refund, changed := c.Expire(tx.Now)
	if !changed {
		return true, nil
	}
	u, err := s.newUnit(ctx, tx, j.TenantID)
	if err != nil {
		return true, err
	}
	cause := ledger.Cause{Type: "coupon", ID: c.ID, Reason: "coupon " + c.Code + " expired unused"}
	if err := u.restore(ctx, c.MemberID, refund, cause); err != nil {
		return true, err
	}
	return true, s.saveCoupon(ctx, u, c, "coupon.expired", "system")
}
