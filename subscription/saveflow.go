package subscription

import (
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Cancellation reasons a customer can give.
const (
	ReasonTooExpensive = "too_expensive"
	ReasonTooMuch      = "too_much_product"
	ReasonNotUsing     = "not_using"
	ReasonTravelling   = "travelling"
	ReasonQuality      = "quality"
	ReasonSwitching    = "switching"
	ReasonOther        = "other"
)

// Offer kinds of the save flow.
const (
	OfferPause    = "pause"        // pause for Weeks weeks
	OfferSkip     = "skip"         // skip the next delivery
	OfferDiscount = "discount"     // PercentOff off the next Renewals renewals
	OfferPoints   = "bonus_points" // Points credited now
	OfferCheaper  = "cheaper_plan" // switch to Plan at the period end
)

// Offer is one way to keep a customer who wants to cancel.
type Offer struct {
	Kind       string `json:"kind" enum:"pause,skip,discount,bonus_points,cheaper_plan"`
	Weeks      int    `json:"weeks,omitempty"`
	PercentOff int    `json:"percent_off,omitempty"`
	Renewals   int    `json:"renewals,omitempty"`
	Points     int64  `json:"points,omitempty"`
	Plan       string `json:"plan,omitempty" doc:"Key of the cheaper plan"`
}

// SaveFlow maps each reason the store asks about to the offers that fit it, best first.
type SaveFlow map[string][]Offer

// DefaultSaveFlow is the save flow of a store that configured none.
func DefaultSaveFlow() SaveFlow {
	return SaveFlow{
		ReasonTooExpensive: {{Kind: OfferDiscount, PercentOff: 20, Renewals: 3}, {Kind: OfferCheaper}},
		ReasonTooMuch:      {{Kind: OfferSkip}, {Kind: OfferPause, Weeks: 4}},
		ReasonNotUsing:     {{Kind: OfferPause, Weeks: 4}, {Kind: OfferSkip}},
		ReasonTravelling:   {{Kind: OfferPause, Weeks: 4}},
		ReasonQuality:      {{Kind: OfferPoints, Points: 200}},
		ReasonSwitching:    {{Kind: OfferDiscount, PercentOff: 10, Renewals: 2}},
		ReasonOther:        {{Kind: OfferPoints, Points: 100}},
	}
}

// Validate lists the problems of a save flow with their fields.
func (f SaveFlow) Validate() error {
	var probs tenure.Problems
	for reason, offers := range f {
		if !keyPattern.MatchString(reason) {
			probs.Add("reasons."+reason, "a reason is 1 to 64 lower-case letters, digits, '_', '.' or '-'")
		}
		for i, o := range offers {
			field := "reasons." + reason + "[" + itoa(i) + "]"
			switch o.Kind {
			case OfferPause:
				if o.Weeks < 1 || o.Weeks > 52 {
					probs.Add(field+".weeks", "must be 1 to 52")
				}
			case OfferSkip, OfferCheaper:
			case OfferDiscount:
				if o.PercentOff < 1 || o.PercentOff > 100 {
					probs.Add(field+".percent_off", "must be 1 to 100")
				}
				if o.Renewals < 1 || o.Renewals > 24 {
					probs.Add(field+".renewals", "must be 1 to 24")
				}
			case OfferPoints:
				if o.Points < 1 || o.Points > 1_000_000 {
					probs.Add(field+".points", "must be 1 to 1000000")
				}
			default:
				probs.Add(field+".kind", "must be pause, skip, discount, bonus_points or cheaper_plan")
			}
		}
	}
	return probs.Err("subscription.SaveFlow")
}

// OffersFor returns the offers that fit a reason for this subscription: a pause or skip
// only for an active subscription, a cheaper plan only when one exists (the cheapest
// active plan below the current monthly price is named), in the flow's order.
func (f SaveFlow) OffersFor(reason string, s Subscription, plans []Plan) ([]Offer, error) {
	offers, ok := f[reason]
	if !ok {
		return nil, tenure.Invalid("subscription.OffersFor", "reason", "must be one of the store's cancellation reasons")
	}
	var out []Offer
	for _, o := range offers {
		switch o.Kind {
		case OfferPause, OfferSkip:
			if s.State != Active {
				continue
			}
		case OfferCheaper:
			cheaper, ok := cheaperPlan(s, plans)
			if !ok {
				continue
			}
			o.Plan = cheaper.Key
		}
		out = append(out, o)
	}
	return out, nil
}

func cheaperPlan(s Subscription, plans []Plan) (Plan, bool) {
	cur := MonthlyAmount(s.Price*int64(max(s.Quantity, 1)), s.Schedule.Interval)
	var best Plan
	bestM := cur
	for _, p := range plans {
		if !p.Active || p.ID == s.PlanID || p.Currency != s.Currency {
			continue
		}
		if m := MonthlyAmount(p.Price*int64(max(s.Quantity, 1)), p.Interval); m < bestM {
			best, bestM = p, m
		}
	}
	return best, bestM < cur
}

// Accept applies an accepted offer at now: a pause, a skip of the next delivery, or a
// discount on the next renewals. Bonus points and the cheaper plan are carried out by
// the caller (they touch the ledger and the plan list).
func Accept(s Subscription, o Offer, reason string, now time.Time) (Subscription, error) {
	switch o.Kind {
	case OfferPause:
		until := now.AddDate(0, 0, 7*o.Weeks)
		s, _, err := Apply(s, Event{Kind: EvPause, Until: &until}, now)
		return s, err
	case OfferSkip:
		s, _, err := Skip(s, nil, now)
		return s, err
	case OfferDiscount:
		if s.State.Ended() {
			return s, conflict(s, "discount")
		}
		s.Offer = &AppliedOffer{PercentOff: o.PercentOff, Remaining: o.Renewals, Reason: reason}
		s.UpdatedAt, s.Version = now, s.Version+1
		return s, nil
	case OfferPoints, OfferCheaper:
		return s, nil
	}
	return s, tenure.Invalid("subscription.Accept", "offer", "unknown offer kind %q", o.Kind)
}

// Pick returns the offer of kind among offers (ok false if it was not offered).
func Pick(offers []Offer, kind string) (Offer, bool) {
	i := slices.IndexFunc(offers, func(o Offer) bool { return o.Kind == kind })
	if i < 0 {
		return Offer{}, false
	}
	return offers[i], true
}
