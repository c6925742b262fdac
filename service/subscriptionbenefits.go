package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"

	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
)

// memberSubscription is what the member's subscriptions give now, for the rules
// (member.subscription.*) and reward visibility: the plans that entitle the member
// (a trial, an active or past-due subscription, a cancelled one until its paid period
// ends), and the best benefit of each kind among them.
func memberSubscription(ctx context.Context, tx *storage.Tx, tenantID, memberID string) (rules.Subscription, error) {
	var out rules.Subscription
	subs, err := tx.Subscriptions(ctx, tenantID, storage.SubscriptionFilter{MemberID: memberID})
	if err != nil || len(subs) == 0 {
		return out, err
	}
	for _, s := range subs {
		if !s.Entitled(tx.Now) {
			continue
		}
		p, err := tx.Plan(ctx, tenantID, s.PlanID)
		if err != nil {
			return out, err
		}
		b := p.Benefits
		out.Active = true
		out.Plans = append(out.Plans, p.Key)
		if out.Plan == "" || int64(b.ExtraPercentOff) > out.ExtraPercentOff {
			out.Plan, out.State, out.PaidRenewals = p.Key, string(s.State), int64(s.Paid)
		}
		out.ExtraPercentOff = max(out.ExtraPercentOff, int64(b.ExtraPercentOff))
		out.FreeShipping = out.FreeShipping || b.FreeShipping
		out.ExclusiveRewards = out.ExclusiveRewards || b.ExclusiveRewards
		out.PromoCodes = out.PromoCodes || b.PromoCodes
		out.EarnMultiplierPct = max(out.EarnMultiplierPct, int64(b.EarnMultiplierPct))
	}
	return out, nil
}

// MemberBenefits is what a member's subscriptions give on an extra purchase.
type MemberBenefits struct {
	CustomerID        string   `json:"customer_id"`
	Subscribed        bool     `json:"subscribed" doc:"Some subscription entitles the member now"`
	Plans             []string `json:"plans,omitempty" doc:"Keys of the plans that entitle the member"`
	ExtraPercentOff   int64    `json:"extra_percent_off" doc:"The best percentage off extra purchases"`
	FreeShipping      bool     `json:"free_shipping"`
	ExclusiveRewards  bool     `json:"exclusive_rewards"`
	PromoCodes        bool     `json:"promo_codes"`
	EarnMultiplierPct int64    `json:"earn_multiplier_pct,omitempty"`
	Subtotal          int64    `json:"subtotal,omitempty" doc:"The extra purchase's subtotal asked about, minor units"`
	Discount          int64    `json:"discount,omitempty" doc:"The subscriber discount on that subtotal, rounded half up"`
}

// Benefits returns what the member's subscriptions give, and for an extra purchase of
// subtotal (minor units, 0: none) the discount the store should take off.
func (s *Subscriptions) Benefits(ctx context.Context, tenantID, memberRef string, subtotal int64) (b MemberBenefits, err error) {
	if subtotal < 0 || subtotal > maxSubtotal {
		return b, invalidSubtotal()
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		ms, err := memberSubscription(ctx, tx, tenantID, m.ID)
		if err != nil {
			return err
		}
		b = MemberBenefits{CustomerID: m.ExternalID, Subscribed: ms.Active, Plans: ms.Plans, ExtraPercentOff: ms.ExtraPercentOff,
			FreeShipping: ms.FreeShipping, ExclusiveRewards: ms.ExclusiveRewards, PromoCodes: ms.PromoCodes, EarnMultiplierPct: ms.EarnMultiplierPct,
			Subtotal: subtotal}
		b.Discount = (subtotal*ms.ExtraPercentOff + 50) / 100
		return nil
	})
	return b, err
}

const maxSubtotal = 1_000_000_000_00

func invalidSubtotal() error {
	return tenure.Invalid("service.Benefits", "subtotal", "must be 0 to 100000000000 minor units")
}
