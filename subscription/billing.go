package subscription

import (
	"math/bits"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Renewal outcomes of Due.
const (
	DueBill   = "bill"   // create the renewal and charge it
	DueSkip   = "skip"   // the period is skipped: no charge, no delivery; the calendar moves on
	DueWait   = "wait"   // nothing now (paused): the calendar waits for the resume
	DueEnd    = "end"    // cancel at period end takes effect
	DueExpire = "expire" // the fixed term is over
	DueNone   = "none"   // not due yet, or the subscription has ended
)

// Due says what the scheduler does with the subscription's next period at now.
func Due(s Subscription, p Plan, now time.Time) (action, reason string) {
	if s.State.Ended() || now.Before(s.NextAt) {
		return DueNone, ""
	}
	switch {
	case s.State == Paused:
		return DueWait, "paused"
	case s.CancelAtPeriodEnd:
		return DueEnd, "cancelled at period end"
	case p.TermPeriods > 0 && s.Paid >= p.TermPeriods:
		return DueExpire, "term of " + itoa(p.TermPeriods) + " periods completed"
	case s.State == PastDue:
		// The renewal in dunning is still unpaid: periods that start meanwhile are not
		// billed on top of it, and the calendar keeps its anchor.
		return DueSkip, "past_due"
	case slices.ContainsFunc(s.Skips, s.NextAt.Equal):
		return DueSkip, "skipped"
	}
	return DueBill, ""
}

// Advance moves the subscription's calendar past the period starting at NextAt (billed
// or skipped), applying a pending plan or frequency change first: the new calendar is
// anchored where the changed period starts.
func Advance(s Subscription) Subscription {
	s.Skips = slices.DeleteFunc(slices.Clone(s.Skips), func(t time.Time) bool { return !t.After(s.NextAt) })
	s.Cycle++
	s.NextAt = s.Schedule.Start(s.Cycle)
	return s
}

// ApplyPending switches the subscription to its pending change, anchored at NextAt.
// It is called before the renewal at NextAt is priced.
func ApplyPending(s Subscription) Subscription {
	if s.Pending == nil {
		return s
	}
	pc := *s.Pending
	s.PlanID, s.PlanKey, s.Price, s.Pending = pc.PlanID, pc.PlanKey, pc.Price, nil
	s.Schedule = Calendar{Anchor: s.NextAt, Interval: pc.Interval}
	s.Cycle = 0
	return s
}

// Quote is what one renewal costs, to the minor unit.
type Quote struct {
	Base              int64 `json:"base" doc:"Price times quantity"`
	CommitmentPercent int   `json:"commitment_percent,omitempty"`
	OfferPercent      int   `json:"offer_percent,omitempty"`
	Discount          int64 `json:"discount" doc:"Commitment and offer discounts together, rounded half up"`
	SetupFee          int64 `json:"setup_fee,omitempty"`
	Total             int64 `json:"total"`
}

// Price quotes the renewal at NextAt: price times quantity, less the commitment
// discount earned by the paid periods so far and any save-flow offer (the two
// percentages add, capped at 100, and the discount is rounded half up to the minor
// unit), plus the setup fee with the first paid renewal.
func Price(s Subscription, p Plan) Quote {
	q := Quote{Base: s.Price * int64(max(s.Quantity, 1))}
	q.CommitmentPercent = p.CommitmentPercent(s.Paid)
	if s.Offer != nil && s.Offer.Remaining > 0 {
		q.OfferPercent = s.Offer.PercentOff
	}
	pct := int64(min(q.CommitmentPercent+q.OfferPercent, 100))
	q.Discount = (q.Base*pct + 50) / 100
	if s.Paid == 0 {
		q.SetupFee = p.SetupFee
	}
	q.Total = q.Base - q.Discount + q.SetupFee
	return q
}

// Prorate returns floor(amount * part / whole) computed without overflow, for amounts
// and durations of any size this package allows; part is clamped to [0, whole].
func Prorate(amount int64, part, whole time.Duration) int64 {
	if whole <= 0 || amount <= 0 || part <= 0 {
		return 0
	}
	part = min(part, whole)
	hi, lo := bits.Mul64(uint64(amount), uint64(part))
	q, _ := bits.Div64(hi, lo, uint64(whole))
	return int64(q)
}

// PlanChange is the effect of a plan or frequency change.
type PlanChange struct {
	Policy string `json:"policy" doc:"immediate or period_end"`
	// Credit is the unused part of the current period's payment returned to the
	// customer's store credit (immediate policy), floored to the minor unit.
	Credit int64 `json:"credit"`
	// ChargeNow says the new plan's first period starts and is billed now.
	ChargeNow bool `json:"charge_now"`
}

// ChangePlan changes the subscription to plan `to` at the given interval and price
// under the policy of the plan it leaves. Immediate: the unused part of the current
// paid period is credited (LastPaid * unused / period length, floored), and a new
// calendar starts now with a charge now. Period end: the change waits for the next
// renewal. Changes of ended or past-due subscriptions are conflicts.
func ChangePlan(s Subscription, from, to Plan, iv Interval, now time.Time) (Subscription, PlanChange, error) {
	if s.State != Active && s.State != Trialing && s.State != Paused {
		return s, PlanChange{}, conflict(s, "change")
	}
	price, ok := to.PriceFor(iv)
	if !ok {
		return s, PlanChange{}, tenure.Invalid("subscription.ChangePlan", "interval", "plan %s is not sold every %d %s", to.Key, iv.Count, iv.Unit)
	}
	if to.ID == s.PlanID && iv == s.Schedule.Interval && s.Pending == nil {
		return s, PlanChange{}, tenure.Invalid("subscription.ChangePlan", "plan", "the subscription is already on plan %s at this frequency", to.Key)
	}
	policy := from.Proration
	if policy == "" {
		policy = ProratePeriodEnd
	}
	s.UpdatedAt, s.Version = now, s.Version+1
	if policy == ProratePeriodEnd || s.State != Active || s.PeriodEnd == nil || !s.PeriodEnd.After(now) {
		s.Pending = &PendingChange{PlanID: to.ID, PlanKey: to.Key, Interval: iv, Price: price}
		return s, PlanChange{Policy: ProratePeriodEnd}, nil
	}
	c := PlanChange{Policy: ProrateImmediate, ChargeNow: true}
	c.Credit = Prorate(s.LastPaid, s.PeriodEnd.Sub(now), s.PeriodEnd.Sub(*s.PeriodStart))
	s.PlanID, s.PlanKey, s.Price, s.Pending = to.ID, to.Key, price, nil
	s.Schedule = Calendar{Anchor: now, Interval: iv}
	if to.Anchor == AnchorDayOfMonth {
		s.Schedule.Day = to.AnchorDay
	}
	s.Cycle, s.NextAt, s.Skips = 0, now, nil
	return s, c, nil
}

// Skip marks the period starting at `at` to be skipped; at must be a future period
// start on the subscription's calendar (nil: the next one).
func Skip(s Subscription, at *time.Time, now time.Time) (Subscription, time.Time, error) {
	if s.State != Active && s.State != Trialing {
		return s, time.Time{}, conflict(s, "skip a delivery of")
	}
	t := s.NextAt
	if at != nil {
		t = at.UTC()
		if !t.After(now) || t.Before(s.NextAt) {
			return s, t, tenure.Invalid("subscription.Skip", "delivery_at", "must be a future delivery (the next is %s)", s.NextAt.Format(time.RFC3339))
		}
		k := s.Schedule.First(t)
		if !s.Schedule.Start(k).Equal(t) {
			return s, t, tenure.Invalid("subscription.Skip", "delivery_at", "is not a delivery date of this subscription (the next is %s)", s.NextAt.Format(time.RFC3339))
		}
	}
	if !t.After(now) {
		return s, t, tenure.Invalid("subscription.Skip", "delivery_at", "the next delivery is already due")
	}
	if !slices.ContainsFunc(s.Skips, t.Equal) {
		s.Skips = append(s.Skips, t)
		slices.SortFunc(s.Skips, time.Time.Compare)
	}
	s.UpdatedAt, s.Version = now, s.Version+1
	return s, t, nil
}
