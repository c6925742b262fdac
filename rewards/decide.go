package rewards

import (
	"fmt"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Member is what a redemption decision knows of a member. Tier and Segments come from the
// tier and segment engines; until those exist the shell reads them from the member's
// attributes (see service.memberAudience).
type Member struct {
	Tier     string
	Segments []string
	Plans    []string // keys of the subscription plans that entitle the member now
	Points   int64    // available points
}

// Input is everything Decide looks at.
type Input struct {
	Reward Reward
	Member Member
	Held   int64     // the member's coupons of this reward that count toward the limit
	Points int64     // points the member asks to convert (points_discount); 0 for one step
	Now    time.Time // the transaction's time
}

// Reason says why a reward cannot be redeemed now.
type Reason string

// Reasons, checked in this order; the first that applies is reported.
const (
	ReasonArchived     Reason = "archived"
	ReasonNotYet       Reason = "not_yet_available"
	ReasonEnded        Reason = "no_longer_available"
	ReasonTier         Reason = "tier"
	ReasonSegment      Reason = "segment"
	ReasonPlan         Reason = "subscription_plan"
	ReasonOutOfStock   Reason = "out_of_stock"
	ReasonLimitReached Reason = "limit_reached"
	ReasonPoints       Reason = "insufficient_points"
)

// Decision is whether a member may redeem a reward now, what it costs and what it is
// worth, and if not, why (Reason for programs, Message for people).
type Decision struct {
	Available bool   `json:"available"`
	Reason    Reason `json:"reason,omitempty" enum:"archived,not_yet_available,no_longer_available,tier,segment,out_of_stock,limit_reached,insufficient_points"`
	Message   string `json:"message,omitempty" doc:"Why not, in words: \"needs 50 more points\""`
	Cost      int64  `json:"cost" doc:"Points the redemption takes"`
	Value     int64  `json:"value" doc:"Money value in minor units (0 where none applies)"`
	Shortfall int64  `json:"shortfall,omitempty" doc:"Points still missing"`
}

// Price returns what redeeming r for points costs and is worth. Only points_discount
// rewards take points: a multiple of Cost (one step when 0), at most MaxPoints. Other
// rewards cost Cost; points, if given, must equal it.
func Price(r Reward, points int64) (cost, value int64, err error) {
	if r.Type != PointsDiscount {
		if points != 0 && points != r.Cost {
			return 0, 0, tenure.Invalid("rewards.Price", "points", "only points_discount rewards convert a chosen number of points; this one costs %d", r.Cost)
		}
		return r.Cost, r.Value, nil
	}
	if points == 0 {
		points = r.Cost
	}
	if points < r.Cost || points%r.Cost != 0 {
		return 0, 0, tenure.Invalid("rewards.Price", "points", "must be a positive multiple of %d", r.Cost)
	}
	if r.MaxPoints > 0 && points > r.MaxPoints {
		return 0, 0, tenure.Invalid("rewards.Price", "points", "must be at most %d", r.MaxPoints)
	}
	steps := points / r.Cost
	if steps > tenure.MaxMoney/r.Value {
		return 0, 0, tenure.Invalid("rewards.Price", "points", "converts to more than %d", int64(tenure.MaxMoney))
	}
	return points, steps * r.Value, nil
}

// Decide reports whether the member may redeem the reward now. The points asked for must
// have passed Price; Decide reports an invalid amount as unaffordable, never panics.
func Decide(in Input) Decision {
	r, m := in.Reward, in.Member
	cost, value, err := Price(r, in.Points)
	if err != nil {
		cost, value = r.Cost, r.Value
	}
	d := Decision{Cost: cost, Value: value}
	no := func(reason Reason, format string, args ...any) Decision {
		d.Reason, d.Message = reason, fmt.Sprintf(format, args...)
		return d
	}
	switch {
	case r.ArchivedAt != nil:
		return no(ReasonArchived, "no longer offered")
	case r.AvailableFrom != nil && in.Now.Before(*r.AvailableFrom):
		return no(ReasonNotYet, "available from %s", r.AvailableFrom.UTC().Format(time.RFC3339))
	case r.AvailableUntil != nil && !in.Now.Before(*r.AvailableUntil):
		return no(ReasonEnded, "no longer available (ended %s)", r.AvailableUntil.UTC().Format(time.RFC3339))
	case len(r.Tiers) > 0 && !contains(r.Tiers, strings.ToLower(m.Tier)):
		return no(ReasonTier, "not available to your tier")
	case len(r.Segments) > 0 && !anyIn(r.Segments, m.Segments):
		return no(ReasonSegment, "not available to your segment")
	case len(r.SubscriptionPlans) > 0 && !anyIn(r.SubscriptionPlans, m.Plans):
		return no(ReasonPlan, "only for subscribers of %s", strings.Join(r.SubscriptionPlans, ", "))
	case r.Stock != nil && *r.Stock <= 0:
		return no(ReasonOutOfStock, "out of stock")
	case r.CodeSource == CodesPool && (r.CodesAvailable == nil || *r.CodesAvailable <= 0):
		return no(ReasonOutOfStock, "out of stock: no codes left")
	case r.PerMemberLimit > 0 && in.Held >= r.PerMemberLimit:
		return no(ReasonLimitReached, "limit reached: %d per member", r.PerMemberLimit)
	case err != nil:
		return no(ReasonPoints, "%s", err.Error())
	case m.Points < cost:
		d.Shortfall = cost - m.Points
		return no(ReasonPoints, "needs %d more points", d.Shortfall)
	}
	d.Available = true
	return d
}

// Err turns a refusal into a KindConflict error naming field (the reward_id of the
// request), with the reason in words; nil when the reward is available.
func (d Decision) Err(field string) error {
	if d.Available {
		return nil
	}
	return &tenure.Error{Kind: tenure.KindConflict, Op: "rewards.Redeem", Message: "cannot redeem: " + d.Message,
		Fields: []tenure.FieldError{{Field: field, Message: d.Message}}}
}

func anyIn(want, have []string) bool {
	for _, h := range have {
		if contains(want, strings.ToLower(h)) {
			return true
		}
	}
	return false
}
