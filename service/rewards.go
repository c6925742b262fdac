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

// Create validates and adds a reward to the catalog.
func (s *Rewards) Create(ctx context.Context, tenantID, actor string, d rewards.RewardDefinition) (r rewards.Reward, err error) {
	if err := d.Validate(); err != nil {
		return r, err
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		r = rewards.Reward{ID: tx.NewID(rewards.PrefixReward), RewardDefinition: d, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.InsertReward(ctx, tenantID, r); err != nil {
			return err
		}
		if r.Version, err = bumpVersion(ctx, tx, tenantID, storage.VersionReward, r.ID, AnyVersion, "the reward"); err != nil {
			return err
		}
		if r.CodeSource == rewards.CodesPool {
			r.CodesAvailable = new(int64)
		}
		return tx.Audit(ctx, tenantID, actor, "reward.created", "reward", r.ID, map[string]any{"reward": d})
	})
	return r, err
}

// Update replaces a reward's definition, stock included, whatever its version. Coupons
// already issued keep the terms they were issued with.
func (s *Rewards) Update(ctx context.Context, tenantID, actor, id string, d rewards.RewardDefinition) (rewards.Reward, error) {
	return s.UpdateIf(ctx, tenantID, actor, id, AnyVersion, d)
}

// UpdateIf is Update only if the reward's version is still base (the one the editor
// started from): KindConflict, and nothing written, when someone saved it since.
// KindNotFound for an unknown reward, KindInvalid naming the offending fields.
func (s *Rewards) UpdateIf(ctx context.Context, tenantID, actor, id string, base int64, d rewards.RewardDefinition) (rewards.Reward, error) {
	if err := d.Validate(); err != nil {
		return rewards.Reward{}, err
	}
	return s.changeReward(ctx, tenantID, actor, id, "reward.updated", func(tx *storage.Tx, r *rewards.Reward) (err error) {
		if r.Version, err = bumpVersion(ctx, tx, tenantID, storage.VersionReward, r.ID, base, "the reward"); err != nil {
			return err
		}
		r.RewardDefinition = d
		return nil
	})
}

// Archive takes a reward out of the catalog: it can no longer be redeemed, and its
// coupons live on. Archiving twice changes nothing more.
func (s *Rewards) Archive(ctx context.Context, tenantID, actor, id string) (rewards.Reward, error) {
	return s.changeReward(ctx, tenantID, actor, id, "reward.archived", func(tx *storage.Tx, r *rewards.Reward) error {
		if r.ArchivedAt == nil {
			t := tx.Now
			r.ArchivedAt = &t
		}
		return nil
	})
}

// AddCodes uploads codes to a pool reward; each is handed out once, in upload order.
// Codes the tenant already has (in any pool or on a coupon) are refused by position.
func (s *Rewards) AddCodes(ctx context.Context, tenantID, actor, id string, codes []string) (rewards.Reward, error) {
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
func (s *Rewards) changeReward(ctx context.Context, tenantID, actor, id, action string, change func(*storage.Tx, *rewards.Reward) error) (r rewards.Reward, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if r, err = tx.Reward(ctx, tenantID, id, true); err != nil {
			return err
		}
		if r.Version, err = tx.ConfigVersion(ctx, tenantID, storage.VersionReward, r.ID); err != nil {
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

// Get loads one reward with its version. KindNotFound if there is none.
func (s *Rewards) Get(ctx context.Context, tenantID, id string) (r rewards.Reward, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		if r, err = tx.Reward(ctx, tenantID, id, false); err != nil {
			return err
		}
		r.Version, err = tx.ConfigVersion(ctx, tenantID, storage.VersionReward, id)
		return err
	})
	return r, err
}

// List lists the catalog in creation order, archived rewards only when asked.
func (s *Rewards) List(ctx context.Context, tenantID string, archived bool, after string, limit int) (rs []rewards.Reward, next string, err error) {
	limit = clampLimit(limit)
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		if rs, err = tx.Rewards(ctx, tenantID, archived, after, limit+1); err != nil {
			return err
		}
		versions, err := tx.ConfigVersions(ctx, tenantID, storage.VersionReward)
		for i := range rs {
			rs[i].Version = versions[rs[i].ID]
		}
		return err
	})
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

// Available judges every reward in the catalog for a member, in catalog order.
func (s *Rewards) Available(ctx context.Context, tenantID, memberRef string) (out []RewardOffer, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
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
// the tier engine, else the "tier" attribute) and the segments they are in.
func (s *core) memberAudience(ctx context.Context, tx *storage.Tx, tenantID string, m tenure.Member) (rewards.Member, error) {
	var who rewards.Member
	who.Tier, _ = m.Attributes["tier"].(string)
	t, _, err := s.tierOf(ctx, tx, tenantID, m.ID)
	if err != nil {
		return who, err
	}
	if t != "" { // a store without Tenure tiers may keep its own in the "tier" attribute
		who.Tier = t
	}
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
func (s *Rewards) Redeem(ctx context.Context, tenantID, actor, memberRef, idemKey string, req RedeemRequest) (c rewards.Coupon, err error) {
	if req.Points < 0 {
		return c, tenure.Invalid("service.Redeem", "points", "must not be negative")
	}
	err = s.db.WriteGrouped(ctx, func(tx *storage.Tx) error {
		c, err = idempotent(ctx, tx, tenantID, idemKey, "reward.redeem/"+memberRef, req, func() (rewards.Coupon, error) {
			return s.redeem(ctx, tx, tenantID, actor, memberRef, req)
		})
		return err
	})
	return c, err
}

func (s *Rewards) redeem(ctx context.Context, tx *storage.Tx, tenantID, actor, memberRef string, req RedeemRequest) (c rewards.Coupon, err error) {
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
