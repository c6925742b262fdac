package service

import (
	"context"
	"crypto/rand"
	"math/big"
	"slices"
	"strconv"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/storage"
)

// jobCouponExpire expires one coupon at its valid_until; payload and key are its id.
const jobCouponExpire = "coupon.expire"

// CreateReward validates and adds a reward to the catalog.
func (s *Service) CreateReward(ctx context.Context, tenantID, actor string, d rewards.RewardDefinition) (r rewards.Reward, err error) {
	if err := d.Validate(); err != nil {
		return r, err
	}
	err = s.DB.Write(ctx, func(tx *storage.Tx) error {
		r = rewards.Reward{ID: tx.NewID(rewards.PrefixReward), RewardDefinition: d, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.InsertReward(ctx, tenantID, r); err != nil {
			return err
		}
		if r.CodeSource == rewards.CodesPool {
			r.CodesAvailable = new(int64)
		}
		return tx.Audit(ctx, tenantID, actor, "reward.created", "reward", r.ID, map[string]any{"reward": d})
	})
	return r, err
}

// UpdateReward replaces a reward's definition, stock included. Coupons already issued
// keep the terms they were issued with.
func (s *Service) UpdateReward(ctx context.Context, tenantID, actor, id string, d rewards.RewardDefinition) (rewards.Reward, error) {
	if err := d.Validate(); err != nil {
		return rewards.Reward{}, err
	}
	return s.changeReward(ctx, tenantID, actor, id, "reward.updated", func(_ *storage.Tx, r *rewards.Reward) error {
		r.RewardDefinition = d
		return nil
	})
}

// ArchiveReward takes a reward out of the catalog: it can no longer be redeemed, and its
// coupons live on. Archiving twice changes nothing more.
func (s *Service) ArchiveReward(ctx context.Context, tenantID, actor, id string) (rewards.Reward, error) {
	return s.changeReward(ctx, tenantID, actor, id, "reward.archived", func(tx *storage.Tx, r *rewards.Reward) error {
		if r.ArchivedAt == nil {
			t := tx.Now
			r.ArchivedAt = &t
		}
		return nil
	})
}

// AddRewardCodes uploads codes to a pool reward; each is handed out once, in upload order.
// Codes the tenant already has (in any pool or on a coupon) are refused by position.
func (s *Service) AddRewardCodes(ctx context.Context, tenantID, actor, id string, codes []string) (rewards.Reward, error) {
	codes, err := rewards.CheckPoolCodes(codes)
	if err != nil {
		return rewards.Reward{}, err
	}
	return s.changeReward(ctx, tenantID, actor, id, "reward.codes_added", func(tx *storage.Tx, r *rewards.Reward) error {
		if r.CodeSource != rewards.CodesPool {
			return tenure.Invalid("service.AddRewardCodes", "codes", "the reward's code_source is %s, not pool", r.CodeSource)
		}
		taken, err := tx.CodesTaken(ctx, tenantID, codes)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			e := &tenure.Error{Kind: tenure.KindConflict, Op: "service.AddRewardCodes", Message: "codes already in use"}
			for i, c := range codes {
				if len(e.Fields) < 20 && slices.Contains(taken, c) {
					e.Fields = append(e.Fields, tenure.FieldError{Field: "codes[" + strconv.Itoa(i) + "]", Message: "code " + c + " is already in use"})
				}
			}
			return e
		}
		*r.CodesAvailable += int64(len(codes))
		return tx.AddRewardCodes(ctx, tenantID, r.ID, codes)
	})
}

// changeReward locks a reward, applies change, and writes it with an audit entry.
func (s *Service) changeReward(ctx context.Context, tenantID, actor, id, action string, change func(*storage.Tx, *rewards.Reward) error) (r rewards.Reward, err error) {
	err = s.DB.Write(ctx, func(tx *storage.Tx) error {
		if r, err = tx.Reward(ctx, tenantID, id, true); err != nil {
			return err
		}
		if err := change(tx, &r); err != nil {
			return err
		}
		r.UpdatedAt = tx.Now
		if err := tx.UpdateReward(ctx, tenantID, r); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, action, "reward", r.ID, map[string]any{"reward": r.RewardDefinition})
	})
	return r, err
}

// Reward loads one reward.
func (s *Service) Reward(ctx context.Context, tenantID, id string) (r rewards.Reward, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { r, err = tx.Reward(ctx, tenantID, id, false); return err })
	return r, err
}

// Rewards lists the catalog in creation order, archived rewards only when asked.
func (s *Service) Rewards(ctx context.Context, tenantID string, archived bool, after string, limit int) (rs []rewards.Reward, next string, err error) {
	limit = clampLimit(limit)
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { rs, err = tx.Rewards(ctx, tenantID, archived, after, limit+1); return err })
	if len(rs) > limit {
		rs = rs[:limit]
		next = rs[limit-1].ID
	}
	return rs, next, err
}

// RewardOffer is a reward as one member sees it: whether she may redeem it now, and if
// not, why.
type RewardOffer struct {
	Reward rewards.Reward `json:"reward"`
	rewards.Decision
}

// AvailableRewards judges every reward in the catalog for a member, in catalog order.
func (s *Service) AvailableRewards(ctx context.Context, tenantID, memberRef string) (out []RewardOffer, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		who, err := s.memberAudience(ctx, tx, tenantID, m)
		if err != nil {
			return err
		}
		bal, err := tx.Balance(ctx, tenantID, m.ID, tenure.Points, false)
		if err != nil {
			return err
		}
		who.Points = bal.Available
		held, err := tx.HeldCoupons(ctx, tenantID, m.ID)
		if err != nil {
			return err
		}
		rs, err := tx.Rewards(ctx, tenantID, false, "", 0)
		if err != nil {
			return err
		}
		for _, r := range rs {
			d := rewards.Decide(rewards.Input{Reward: r, Member: who, Held: held[r.ID], Now: tx.Now})
			out = append(out, RewardOffer{Reward: r, Decision: d})
		}
		return nil
	})
	return out, err
}

// memberAudience is what reward visibility is checked against: the member's tier (from
// the tier engine when wired, else the "tier" attribute) and the segments they are in.
func (s *Service) memberAudience(ctx context.Context, tx *storage.Tx, tenantID string, m tenure.Member) (rewards.Member, error) {
	var who rewards.Member
	who.Tier, _ = m.Attributes["tier"].(string)
	if s.MemberTier != nil {
		t, err := s.MemberTier(ctx, tx, tenantID, m.ID)
		if err != nil {
			return who, err
		}
		if t != "" { // a store without Tenure tiers may keep its own in the "tier" attribute
			who.Tier = t
		}
	}
	var err error
	if who.Segments, err = tx.MemberSegments(ctx, m.ID); err != nil {
		return who, err
	}
	ms, err := memberSubscription(ctx, tx, tenantID, m.ID)
	who.Plans = ms.Plans
	return who, err
}

// RedeemRequest asks for a reward on a member's behalf.
type RedeemRequest struct {
	RewardID string `json:"reward_id" minLength:"1" maxLength:"64"`
	Points   int64  `json:"points,omitempty" minimum:"0" doc:"For points_discount: how many points to convert, a multiple of the reward's cost; default one step"`
}

// Redeem spends a member's points on a reward and issues a coupon with a unique code. The
// member's row is locked first, then the reward's, so that concurrent redemptions can
// neither spend the same points twice nor issue more coupons than the stock holds.
func (s *Service) Redeem(ctx context.Context, tenantID, actor, memberRef, idemKey string, req RedeemRequest) (c rewards.Coupon, err error) {
	if req.Points < 0 {
		return c, tenure.Invalid("service.Redeem", "points", "must not be negative")
	}
	err = s.DB.WriteGrouped(ctx, func(tx *storage.Tx) error {
		c, err = idempotent(ctx, tx, tenantID, idemKey, "reward.redeem/"+memberRef, req, func() (rewards.Coupon, error) {
			return s.redeem(ctx, tx, tenantID, actor, memberRef, req)
		})
		return err
	})
	return c, err
}

func (s *Service) redeem(ctx context.Context, tx *storage.Tx, tenantID, actor, memberRef string, req RedeemRequest) (c rewards.Coupon, err error) {
	u, err := s.newUnit(ctx, tx, tenantID)
	if err != nil {
		return c, err
	}
	m, err := tx.Member(ctx, tenantID, memberRef, true)
	if err != nil {
		return c, err
	}
	r, err := tx.Reward(ctx, tenantID, req.RewardID, true)
	if tenure.KindOf(err) == tenure.KindNotFound {
		return c, &tenure.Error{Kind: tenure.KindNotFound, Op: "service.Redeem", Message: "no such reward",
			Fields: []tenure.FieldError{{Field: "reward_id", Message: "no reward " + req.RewardID + " in this program"}}}
	}
	if err != nil {
		return c, err
	}
	if _, _, err := rewards.Price(r, req.Points); err != nil {
		return c, err
	}
	who, err := s.memberAudience(ctx, tx, tenantID, m)
	if err != nil {
		return c, err
	}
	points, err := u.book(ctx, m.ID, tenure.Points)
	if err != nil {
		return c, err
	}
	held, err := tx.HeldCoupons(ctx, tenantID, m.ID)
	if err != nil {
		return c, err
	}
	who.Points = points.Balance.Available
	d := rewards.Decide(rewards.Input{Reward: r, Member: who, Held: held[r.ID], Points: req.Points, Now: tx.Now})
	if err := d.Err("reward_id"); err != nil {
		return c, err
	}
	c = rewards.NewCoupon(tx.NewID(rewards.PrefixCoupon), r, m, d, u.prog.Currency, tx.Now)
	if c.Code, err = issueCode(ctx, tx, tenantID, r, c.ID); err != nil {
		return c, err
	}
	cause := ledger.Cause{Type: "coupon", ID: c.ID, Reason: "redeemed " + r.Name + " (" + c.Code + ")", Actor: actor}
	if d.Cost > 0 {
		if err := points.Spend(tenure.EntrySpend, d.Cost, cause); err != nil {
			return c, err
		}
	}
	if r.Type == rewards.StoreCredit {
		credit, err := u.book(ctx, m.ID, tenure.Credit)
		if err != nil {
			return c, err
		}
		credit.Earn(credit.NewLot("coupon", c.ID), d.Value, false, u.prog.ExpiresAt(tx.Now), cause)
	}
	r.Issued++
	if r.Stock != nil {
		*r.Stock--
	}
	if err := tx.UpdateReward(ctx, tenantID, r); err != nil {
		return c, err
	}
	if err := tx.SaveCoupon(ctx, tenantID, c, true); err != nil {
		return c, err
	}
	if c.ValidUntil != nil {
		if err := tx.Schedule(ctx, tenantID, jobCouponExpire, c.ID, c.ID, *c.ValidUntil); err != nil {
			return c, err
		}
	}
	return c, s.couponChanged(ctx, tx, u, c, points, "reward.redeemed", actor)
}

// issueCode takes the next pool code, or generates one from the pattern that the tenant
// does not have yet.
func issueCode(ctx context.Context, tx *storage.Tx, tenantID string, r rewards.Reward, couponID string) (string, error) {
	if r.CodeSource == rewards.CodesPool {
		code, found, err := tx.TakeRewardCode(ctx, tenantID, r.ID, couponID)
		if err == nil && !found {
			err = rewards.Decision{Reason: rewards.ReasonOutOfStock, Message: "out of stock: no codes left"}.Err("reward_id")
		}
		return code, err
	}
	for range 8 {
		code := rewards.Generate(r.CodePattern, cryptoPick)
		taken, err := tx.CodesTaken(ctx, tenantID, []string{code})
		if err != nil || len(taken) == 0 {
			return code, err
		}
	}
	return "", tenure.Errorf(tenure.KindConflict, "service.Redeem", "could not find an unused code for pattern %s: make the pattern longer", r.CodePattern)
}

func cryptoPick(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n))) // crypto/rand does not fail on supported platforms
	return int(v.Int64())
}

// couponChanged writes the books, then the notification and the audit entry of a coupon
// transition.
func (s *Service) couponChanged(ctx context.Context, tx *storage.Tx, u *unit, c rewards.Coupon, points *ledger.Book, typ, actor string) error {
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
func (s *Service) Coupon(ctx context.Context, tenantID, ref string) (c rewards.Coupon, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { c, err = tx.Coupon(ctx, tenantID, ref, false); return err })
	return c, err
}

// MemberCoupons lists a member's coupons, newest first, optionally in one state.
func (s *Service) MemberCoupons(ctx context.Context, tenantID, memberRef, state, before string, limit int) (cs []rewards.Coupon, next string, err error) {
	limit = clampLimit(limit)
	err = s.DB.Read(ctx, func(tx *storage.Tx) error {
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
func (s *Service) UseCoupon(ctx context.Context, tenantID, actor, ref string, in CouponUse) (rewards.Coupon, error) {
	return s.couponOp(ctx, tenantID, actor, ref, false, "coupon.used", func(u *unit, c *rewards.Coupon, _ *rewards.Reward) (bool, error) {
		return c.Use(in.OrderID, in.OrderTotal, u.tx.Now)
	})
}

// CancelCoupon cancels a coupon and gives back its points as a new lot with the program's
// expiry (a restore entry after the spend, so the history explains itself). A store-credit
// coupon takes its credit back first and is refused if that credit has been spent. The
// reward's unit goes back into stock. Cancelling twice changes nothing.
func (s *Service) CancelCoupon(ctx context.Context, tenantID, actor, ref string, in CouponCancel) (rewards.Coupon, error) {
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
func (s *Service) couponOp(ctx context.Context, tenantID, actor, ref string, withReward bool, typ string,
	decide func(*unit, *rewards.Coupon, *rewards.Reward) (bool, error)) (c rewards.Coupon, err error) {
	err = s.DB.Write(ctx, func(tx *storage.Tx) error {
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
func (s *Service) lockCoupon(ctx context.Context, tx *storage.Tx, tenantID, ref string) (rewards.Coupon, error) {
	c, err := tx.Coupon(ctx, tenantID, ref, false)
	if err != nil {
		return c, err
	}
	_, err = tx.Member(ctx, tenantID, c.MemberID, true)
	return c, err
}

func (s *Service) saveCoupon(ctx context.Context, u *unit, c rewards.Coupon, typ, actor string) error {
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
func (s *Service) runRewardJob(ctx context.Context, tx *storage.Tx, j storage.Job) (handled bool, err error) {
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
