package widget

import (
	"context"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/tiers"
)

// MemberSummary is what GET /v1/member returns: the member's balances, tier and referral link.
type MemberSummary struct {
	CustomerID string       `json:"customer_id"`
	FirstName  string       `json:"first_name,omitempty"`
	Locale     string       `json:"locale,omitempty" doc:"The member's language, when the store knows it (pl-PL); the widget speaks it if it can"`
	Program    ProgramView  `json:"program"`
	Points     PointsView   `json:"points"`
	Credit     int64        `json:"credit" doc:"Store credit available, in minor units"`
	Tier       *TierView    `json:"tier" doc:"null when the program has no tiers"`
	Referral   ReferralView `json:"referral"`
}

// ProgramView names the program and its currency.
type ProgramView struct {
	Name     string `json:"name"`
	Currency string `json:"currency"`
	TimeZone string `json:"time_zone,omitempty" doc:"The store's time zone, for dates"`
}

// PointsView is a points balance: available now, pending (earned, not yet usable) and the
// next amount to expire.
type PointsView struct {
	Available int64         `json:"available"`
	Pending   int64         `json:"pending"`
	Expiring  *ExpiringView `json:"expiring" doc:"The next points to expire; null when none will"`
}

// ExpiringView is the next expiry: how many points, when.
type ExpiringView struct {
	Amount int64     `json:"amount"`
	At     time.Time `json:"at"`
}

// TierView is the member's tier and progress toward the next one.
type TierView struct {
	Key            string         `json:"key"`
	Name           string         `json:"name"`
	Rank           int            `json:"rank"`
	EarnMultiplier string         `json:"earn_multiplier"`
	Benefits       tiers.Benefits `json:"benefits"`
	Metric         tiers.Metric   `json:"metric" doc:"points_earned, spend (minor units) or orders"`
	Progress       string         `json:"progress" doc:"In words"`
	Next           *tiers.Goal    `json:"next" doc:"The next tier to reach; null at the top"`
	Percent        int64          `json:"percent" doc:"Progress toward the next tier, 0-100; 100 at the top"`
}

// ReferralView is a placeholder until referrals exist: the widget shows the store's own
// referral link when the page gives one (data-referral-url).
type ReferralView struct {
	Enabled bool   `json:"enabled"`
	Message string `json:"message"`
}

// Summary is the member's balances and tier.
func (a *MemberAPI) Summary(ctx context.Context, c Caller) (MemberSummary, error) {
	tenantID := c.Claims.Tenant
	t, err := a.svc.tenants.Get(ctx, tenantID)
	if err != nil {
		return MemberSummary{}, err
	}
	b, err := a.svc.ledger.Balance(ctx, tenantID, c.Member.ID)
	if err != nil {
		return MemberSummary{}, err
	}
	s := MemberSummary{CustomerID: c.Member.ExternalID, FirstName: c.Member.FirstName, Locale: c.Member.Locale,
		Program:  ProgramView{Name: t.Program.Name, Currency: t.Program.Currency, TimeZone: t.Program.TimeZone},
		Points:   pointsView(b.Points),
		Credit:   b.Credit.Available,
		Referral: ReferralView{Message: "Invite friends and earn points together — coming soon."}}
	s.Tier, err = a.tier(ctx, c)
	return s, err
}

func pointsView(b tenure.Balance) PointsView {
	v := PointsView{Available: b.Available, Pending: b.Pending}
	if b.NextExpiryAt != nil && b.NextExpiryAmount > 0 {
		v.Expiring = &ExpiringView{Amount: b.NextExpiryAmount, At: *b.NextExpiryAt}
	}
	return v
}

// tier is nil when the program has no tiers.
func (a *MemberAPI) tier(ctx context.Context, c Caller) (*TierView, error) {
	cfg, err := a.svc.tiers.Config(ctx, c.Claims.Tenant)
	if err != nil || len(cfg.Tiers) == 0 {
		return nil, err
	}
	ts, err := a.svc.tiers.MemberStatus(ctx, c.Claims.Tenant, c.Member.ID)
	if err != nil {
		return nil, err
	}
	v := &TierView{Key: ts.Tier, Name: ts.Name, Rank: ts.Rank, EarnMultiplier: ts.EarnMultiplier, Benefits: ts.Benefits,
		Metric: ts.Progress.Metric, Progress: ts.Progress.Text, Next: ts.Progress.Next, Percent: 100}
	if n := ts.Progress.Next; n != nil && n.Threshold > 0 {
		v.Percent = min(100, max(0, n.Have*100/n.Threshold))
	}
	return v, nil
}

// RewardView is a catalog reward as the member sees it, with whether she can redeem it now.
type RewardView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Type        rewards.Type   `json:"type"`
	Cost        int64          `json:"cost" doc:"Points it takes"`
	Value       int64          `json:"value,omitempty" doc:"Minor units off or credited"`
	Percent     int64          `json:"percent,omitempty"`
	Currency    string         `json:"currency"`
	MinOrder    int64          `json:"min_order,omitempty"`
	ValidDays   int            `json:"valid_days,omitempty"`
	Available   bool           `json:"available"`
	Reason      rewards.Reason `json:"reason,omitempty"`
	Message     string         `json:"message,omitempty"`
	Shortfall   int64          `json:"shortfall,omitempty"`
}

// hidden are the reasons that keep a reward out of a member's sight entirely: it is not
// for her tier or segments, or not on offer at this time.
var hidden = map[rewards.Reason]bool{rewards.ReasonTier: true, rewards.ReasonSegment: true,
	rewards.ReasonNotYet: true, rewards.ReasonEnded: true, rewards.ReasonArchived: true}

// Rewards lists the rewards the member may see, with whether she can redeem each now.
func (a *MemberAPI) Rewards(ctx context.Context, c Caller) (List[RewardView], error) {
	t, err := a.svc.tenants.Get(ctx, c.Claims.Tenant)
	if err != nil {
		return List[RewardView]{}, err
	}
	offers, err := a.svc.catalog.Available(ctx, c.Claims.Tenant, c.Member.ID)
	if err != nil {
		return List[RewardView]{}, err
	}
	out := []RewardView{}
	for _, o := range offers {
		if hidden[o.Reason] {
			continue
		}
		out = append(out, RewardView{ID: o.Reward.ID, Name: o.Reward.Name, Description: o.Reward.Description, Type: o.Reward.Type,
			Cost: o.Cost, Value: o.Value, Percent: o.Reward.Percent, Currency: t.Program.Currency, MinOrder: o.Reward.MinOrder,
			ValidDays: o.Reward.ValidDays, Available: o.Available, Reason: o.Reason, Message: o.Message, Shortfall: o.Shortfall})
	}
	return list(out, ""), nil
}

// CouponView is one of the member's coupons.
type CouponView struct {
	ID         string        `json:"id"`
	Code       string        `json:"code"`
	RewardID   string        `json:"reward_id"`
	RewardName string        `json:"reward_name"`
	Type       rewards.Type  `json:"type"`
	Points     int64         `json:"points"`
	Percent    int64         `json:"percent,omitempty"`
	Value      int64         `json:"value,omitempty"`
	Currency   string        `json:"currency"`
	MinOrder   int64         `json:"min_order,omitempty"`
	ValidUntil *time.Time    `json:"valid_until,omitempty"`
	State      rewards.State `json:"state"`
	CreatedAt  time.Time     `json:"created_at"`
}

func couponView(c rewards.Coupon) CouponView {
	return CouponView{ID: c.ID, Code: c.Code, RewardID: c.RewardID, RewardName: c.RewardName, Type: c.Type, Points: c.Points,
		Percent: c.Percent, Value: c.Value, Currency: c.Currency, MinOrder: c.MinOrder, ValidUntil: c.ValidUntil,
		State: c.State, CreatedAt: c.CreatedAt}
}

// Redemption is what POST /v1/member/redemptions returns: the coupon and the balance after.
type Redemption struct {
	Coupon CouponView `json:"coupon"`
	Points PointsView `json:"points"`
}

// MaxBody bounds a member API request body.
const MaxBody = 16 << 10

// Redeem spends the member's points on a reward. idemKey (1 to 128 characters) makes a
// retry return the first coupon instead of a second one.
func (a *MemberAPI) Redeem(ctx context.Context, c Caller, idemKey string, in service.RedeemRequest) (Redemption, error) {
	key := strings.TrimSpace(idemKey)
	if key == "" || len(key) > 128 {
		return Redemption{}, tenure.Invalid("widget.Redeem", "header.Idempotency-Key", "is required (1 to 128 characters): a new random value per redemption, the same on a retry")
	}
	if in.RewardID == "" {
		return Redemption{}, tenure.Invalid("widget.Redeem", "reward_id", "is required")
	}
	// Keys are namespaced per member, so one member's key can never replay another's
	// redemption, nor collide with the store's own keys.
	cp, err := a.svc.catalog.Redeem(ctx, c.Claims.Tenant, "member:"+c.Member.ExternalID, c.Member.ID, "widget/"+c.Member.ID+"/"+key, in)
	if err != nil {
		return Redemption{}, err
	}
	b, err := a.svc.ledger.Balance(ctx, c.Claims.Tenant, c.Member.ID)
	if err != nil {
		return Redemption{}, err
	}
	return Redemption{Coupon: couponView(cp), Points: pointsView(b.Points)}, nil
}

// Coupons lists the member's coupons, newest first, optionally in one state.
func (a *MemberAPI) Coupons(ctx context.Context, c Caller, state, cursor string, limit int) (List[CouponView], error) {
	if err := checkLimit(limit, "widget.Coupons"); err != nil {
		return List[CouponView]{}, err
	}
	switch rewards.State(state) {
	case "", rewards.Issued, rewards.Used, rewards.Expired, rewards.Cancelled:
	default:
		return List[CouponView]{}, tenure.Invalid("widget.Coupons", "query.state", "must be issued, used, expired or cancelled")
	}
	cs, next, err := a.svc.catalog.MemberCoupons(ctx, c.Claims.Tenant, c.Member.ID, state, cursor, limit)
	if err != nil {
		return List[CouponView]{}, err
	}
	out := make([]CouponView, 0, len(cs))
	for _, cp := range cs {
		out = append(out, couponView(cp))
	}
	return list(out, next), nil
}

// Coupon loads one of the member's coupons by id or code. It answers the same 404 for a
// coupon that does not exist and one of another member.
func (a *MemberAPI) Coupon(ctx context.Context, c Caller, ref string) (CouponView, error) {
	cp, err := a.svc.catalog.Coupon(ctx, c.Claims.Tenant, ref)
	if (err == nil && cp.MemberID != c.Member.ID) || tenure.KindOf(err) == tenure.KindNotFound {
		return CouponView{}, tenure.Errorf(tenure.KindNotFound, "widget.Coupon", "you have no such coupon")
	}
	if err != nil {
		return CouponView{}, err
	}
	return couponView(cp), nil
}

// List is a page of a member API list.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass it as cursor for the next page; absent on the last"`
}

func list[T any](items []T, next string) List[T] {
	return List[T]{Data: items, NextCursor: next}
}

// MaxLimit bounds the page size of the member API's lists.
const MaxLimit = 100

// checkLimit refuses a page size outside 0 (the default) to MaxLimit, like the store API.
func checkLimit(n int, op string) error {
	if n < 0 || n > MaxLimit {
		return tenure.Invalid(op, "query.limit", "must be an integer from 0 (the default page size) to %d", MaxLimit)
	}
	return nil
}
