package widget

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/tiers"
)

// Summary is what GET /v1/member returns: the member's balances, tier and referral link.
type Summary struct {
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

func (h *Handler) summary(r *request) (any, error) {
	ctx, tenantID := r.Context(), r.claims.Tenant
	t, err := h.svc.tenants.Get(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	b, err := h.svc.ledger.Balance(ctx, tenantID, r.member.ID)
	if err != nil {
		return nil, err
	}
	s := Summary{CustomerID: r.member.ExternalID, FirstName: r.member.FirstName, Locale: r.member.Locale,
		Program:  ProgramView{Name: t.Program.Name, Currency: t.Program.Currency, TimeZone: t.Program.TimeZone},
		Points:   pointsView(b.Points),
		Credit:   b.Credit.Available,
		Referral: ReferralView{Message: "Invite friends and earn points together — coming soon."}}
	s.Tier, err = h.tier(r)
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
func (h *Handler) tier(r *request) (*TierView, error) {
	cfg, err := h.svc.tiers.Config(r.Context(), r.claims.Tenant)
	if err != nil || len(cfg.Tiers) == 0 {
		return nil, err
	}
	ts, err := h.svc.tiers.MemberStatus(r.Context(), r.claims.Tenant, r.member.ID)
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

func (h *Handler) rewards(r *request) (any, error) {
	t, err := h.svc.tenants.Get(r.Context(), r.claims.Tenant)
	if err != nil {
		return nil, err
	}
	offers, err := h.svc.catalog.Available(r.Context(), r.claims.Tenant, r.member.ID)
	if err != nil {
		return nil, err
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

// maxBody bounds a member API request body.
const maxBody = 16 << 10

func (h *Handler) redeem(r *request) (any, error) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" || len(key) > 128 {
		return nil, tenure.Invalid("widget.Redeem", "header.Idempotency-Key", "is required (1 to 128 characters): a new random value per redemption, the same on a retry")
	}
	var in service.RedeemRequest
	d := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(&in); err != nil {
		return nil, tenure.Invalid("widget.Redeem", "body", "must be JSON like {\"reward_id\":\"rwd_...\"}: %v", err)
	}
	if in.RewardID == "" {
		return nil, tenure.Invalid("widget.Redeem", "reward_id", "is required")
	}
	// Keys are namespaced per member, so one member's key can never replay another's
	// redemption, nor collide with the store's own keys.
	c, err := h.svc.catalog.Redeem(r.Context(), r.claims.Tenant, "member:"+r.member.ExternalID, r.member.ID, "widget/"+r.member.ID+"/"+key, in)
	if err != nil {
		return nil, err
	}
	b, err := h.svc.ledger.Balance(r.Context(), r.claims.Tenant, r.member.ID)
	if err != nil {
		return nil, err
	}
	r.status = http.StatusCreated
	return Redemption{Coupon: couponView(c), Points: pointsView(b.Points)}, nil
}

func (h *Handler) coupons(r *request) (any, error) {
	q := r.URL.Query()
	limit, err := pageLimit(q, "widget.Coupons")
	if err != nil {
		return nil, err
	}
	switch rewards.State(q.Get("state")) {
	case "", rewards.Issued, rewards.Used, rewards.Expired, rewards.Cancelled:
	default:
		return nil, tenure.Invalid("widget.Coupons", "query.state", "must be issued, used, expired or cancelled")
	}
	cs, next, err := h.svc.catalog.MemberCoupons(r.Context(), r.claims.Tenant, r.member.ID, q.Get("state"), q.Get("cursor"), limit)
	if err != nil {
		return nil, err
	}
	out := make([]CouponView, 0, len(cs))
	for _, c := range cs {
		out = append(out, couponView(c))
	}
	return list(out, next), nil
}

// coupon answers the same 404 for a coupon that does not exist and one of another member.
func (h *Handler) coupon(r *request) (any, error) {
	c, err := h.svc.catalog.Coupon(r.Context(), r.claims.Tenant, r.PathValue("ref"))
	if (err == nil && c.MemberID != r.member.ID) || tenure.KindOf(err) == tenure.KindNotFound {
		return nil, tenure.Errorf(tenure.KindNotFound, "widget.Coupon", "you have no such coupon")
	}
	if err != nil {
		return nil, err
	}
	return couponView(c), nil
}

type listBody[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func list[T any](items []T, next string) listBody[T] {
	return listBody[T]{Data: items, NextCursor: next}
}

// maxLimit bounds the page size of the member API's lists.
const maxLimit = 100

// pageLimit reads the limit query parameter: absent or 0 for the default page size, else
// an integer from 1 to maxLimit. Anything else is refused, like the store API does.
func pageLimit(q url.Values, op string) (int, error) {
	raw := q.Get("limit")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > maxLimit {
		return 0, tenure.Invalid(op, "query.limit", "must be an integer from 0 (the default page size) to %d", maxLimit)
	}
	return n, nil
}
