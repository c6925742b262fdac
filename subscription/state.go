package subscription

import (
	"time"

	"github.com/tenure-loyalty/tenure"
)

// State is where a subscription is in its life.
type State string

// States. A subscription is billed in trialing (at the trial's end), active and
// past_due (by the dunning ladder); paused, cancelled and expired are never billed.
const (
	Trialing  State = "trialing"
	Active    State = "active"
	Paused    State = "paused"
	PastDue   State = "past_due"
	Cancelled State = "cancelled"
	Expired   State = "expired"
)

// Ended reports whether the state is final.
func (s State) Ended() bool { return s == Cancelled || s == Expired }

// Subscription is one customer's subscription to a plan. Billing and entitlement are
// kept apart: PeriodEnd is what the customer has paid for (Entitled), NextAt is when
// the schedule bills next.
type Subscription struct {
	ID         string    `json:"id"`
	MemberID   string    `json:"member_id"`
	CustomerID string    `json:"customer_id" doc:"The store's id of the customer"`
	PlanID     string    `json:"plan_id"`
	PlanKey    string    `json:"plan"`
	State      State     `json:"state"`
	Price      int64     `json:"price" doc:"Price per interval for this subscription's frequency, minor units"`
	Currency   string    `json:"currency"`
	Quantity   int       `json:"quantity"`
	Product    string    `json:"product,omitempty" doc:"The product or variant delivered"`
	Schedule   Calendar  `json:"schedule"`
	Cycle      int       `json:"cycle" doc:"Index on the schedule of the next period to bill"`
	NextAt     time.Time `json:"next_renewal_at" doc:"When the next period starts and is billed"`
	// PeriodStart and PeriodEnd bound the period paid for (or the trial).
	PeriodStart *time.Time `json:"current_period_start,omitempty"`
	PeriodEnd   *time.Time `json:"current_period_end,omitempty"`
	TrialEnd    *time.Time `json:"trial_end,omitempty"`
	PausedUntil *time.Time `json:"paused_until,omitempty" doc:"A pause with a resume date; open-ended pauses have none"`
	// CancelAtPeriodEnd ends the subscription when the current period ends instead of
	// renewing it; un-cancel clears it before then.
	CancelAtPeriodEnd bool           `json:"cancel_at_period_end,omitempty"`
	EndedAt           *time.Time     `json:"ended_at,omitempty"`
	Paid              int            `json:"paid_renewals" doc:"Renewals paid so far"`
	LastPaid          int64          `json:"last_paid_amount" doc:"What the current period cost, minor units (the basis of a prorated credit)"`
	Failed            int            `json:"failed_attempts" doc:"Failed charge attempts of the renewal in dunning"`
	Skips             []time.Time    `json:"skips,omitempty" doc:"Starts of future periods the customer skips"`
	Offer             *AppliedOffer  `json:"offer,omitempty" doc:"A save-flow discount on the next renewals"`
	Pending           *PendingChange `json:"pending_change,omitempty" doc:"A plan or frequency change that takes effect at the next renewal"`
	Provider          string         `json:"provider" doc:"Payment provider: test, external or stripe"`
	PaymentMethod     string         `json:"payment_method,omitempty" doc:"The provider's saved payment method (a test card name for the test provider)"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	Version           int            `json:"version" doc:"Incremented by each change"`
}

// AppliedOffer is a percentage off the next Remaining renewals.
type AppliedOffer struct {
	PercentOff int    `json:"percent_off"`
	Remaining  int    `json:"remaining" doc:"Renewals still discounted"`
	Reason     string `json:"reason,omitempty"`
}

// PendingChange is a plan or frequency change waiting for the next renewal.
type PendingChange struct {
	PlanID   string   `json:"plan_id"`
	PlanKey  string   `json:"plan"`
	Interval Interval `json:"interval"`
	Price    int64    `json:"price"`
}

// Entitled reports whether the customer gets the plan's deliveries and benefits at now:
// through a trial, an active or past-due subscription, and a cancelled one until the
// end of the period paid for.
func (s Subscription) Entitled(now time.Time) bool {
	switch s.State {
	case Trialing, Active, PastDue:
		return true
	case Cancelled:
		return s.PeriodEnd != nil && now.Before(*s.PeriodEnd)
	}
	return false
}

// Event kinds of the state machine.
const (
	EvPaid      = "paid"      // a renewal's charge succeeded
	EvFailed    = "failed"    // a renewal's charge failed
	EvExhausted = "exhausted" // the dunning ladder ran out: the plan's final action
	EvPause     = "pause"
	EvResume    = "resume"
	EvCancel    = "cancel"
	EvUncancel  = "uncancel"
	EvEnd       = "end"    // the period ended with cancel_at_period_end set
	EvExpire    = "expire" // a fixed-term plan's last period ended
)

// Event is an input to Transition.
type Event struct {
	Kind        string
	Until       *time.Time // pause: resume date; nil is open-ended
	AtPeriodEnd bool       // cancel: at the period's end instead of now
	Final       string     // exhausted: the ladder's final action
	// Amount is what the paid period cost (paid).
	Amount int64
	// Period is the paid period's bounds (paid).
	PeriodStart, PeriodEnd time.Time
}

// Transition is one recorded change of state.
type Transition struct {
	From  State  `json:"from"`
	To    State  `json:"to"`
	Event string `json:"event"`
}

func conflict(s Subscription, what string) error {
	return &tenure.Error{Kind: tenure.KindConflict, Op: "subscription.Apply",
		Message: "cannot " + what + " a " + string(s.State) + " subscription",
		Fields:  []tenure.FieldError{{Field: "state", Message: "is " + string(s.State)}}}
}

// Apply applies e at now and returns the subscription after it with the
// transition made. Events that do not fit the state are KindConflict errors naming the
// field "state"; bad event data is KindInvalid naming its field. It never changes the
// schedule's anchor: a subscription that recovers from dunning or returns from a pause
// keeps its calendar.
func Apply(s Subscription, e Event, now time.Time) (Subscription, Transition, error) {
	from := s.State
	switch e.Kind {
	case EvPaid:
		if s.State != Trialing && s.State != Active && s.State != PastDue {
			return s, Transition{}, conflict(s, "charge")
		}
		s.State, s.Failed, s.Paid, s.LastPaid = Active, 0, s.Paid+1, e.Amount
		ps, pe := e.PeriodStart, e.PeriodEnd
		s.PeriodStart, s.PeriodEnd = &ps, &pe
		if s.Offer != nil {
			if s.Offer.Remaining--; s.Offer.Remaining <= 0 {
				s.Offer = nil
			}
		}
	case EvFailed:
		if s.State != Trialing && s.State != Active && s.State != PastDue {
			return s, Transition{}, conflict(s, "charge")
		}
		s.State, s.Failed = PastDue, s.Failed+1
	case EvExhausted:
		if s.State != PastDue {
			return s, Transition{}, conflict(s, "end dunning of")
		}
		switch e.Final {
		case FinalPause:
			s.State, s.PausedUntil = Paused, nil
		case FinalCancel:
			s.State, s.EndedAt, s.CancelAtPeriodEnd = Cancelled, &now, false
		case FinalPastDue:
		default:
			return s, Transition{}, tenure.Invalid("subscription.Apply", "final_action", "must be pause, cancel or past_due")
		}
	case EvPause:
		if s.State != Active && s.State != Trialing {
			return s, Transition{}, conflict(s, "pause")
		}
		if e.Until != nil && !e.Until.After(now) {
			return s, Transition{}, tenure.Invalid("subscription.Apply", "until", "must be in the future")
		}
		s.State, s.PausedUntil, s.CancelAtPeriodEnd = Paused, e.Until, false
	case EvResume:
		if s.State != Paused {
			return s, Transition{}, conflict(s, "resume")
		}
		s.State, s.PausedUntil, s.Failed = Active, nil, 0
		// Periods that started while paused are not billed: the next renewal is the
		// first period on the original calendar that has not started yet (or the one
		// already waiting, if it is later).
		if k := s.Schedule.First(now); k > s.Cycle {
			s.Cycle, s.NextAt = k, s.Schedule.Start(k)
		}
		s.Skips = futureSkips(s.Skips, s.NextAt)
	case EvCancel:
		if s.State.Ended() {
			return s, Transition{}, conflict(s, "cancel")
		}
		if e.AtPeriodEnd && (s.State == Active || s.State == Trialing) {
			s.CancelAtPeriodEnd = true
		} else {
			s.State, s.EndedAt, s.CancelAtPeriodEnd, s.PausedUntil = Cancelled, &now, false, nil
			if s.PeriodEnd != nil && s.PeriodEnd.After(now) && from == Trialing {
				s.PeriodEnd = &now // a trial cancelled now ends now
			}
		}
	case EvUncancel:
		if !s.CancelAtPeriodEnd || s.State.Ended() {
			return s, Transition{}, conflict(s, "un-cancel")
		}
		s.CancelAtPeriodEnd = false
	case EvEnd:
		if !s.CancelAtPeriodEnd {
			return s, Transition{}, conflict(s, "end")
		}
		s.State, s.EndedAt, s.CancelAtPeriodEnd = Cancelled, &now, false
	case EvExpire:
		if s.State.Ended() {
			return s, Transition{}, conflict(s, "expire")
		}
		s.State, s.EndedAt = Expired, &now
	default:
		return s, Transition{}, tenure.Invalid("subscription.Apply", "event", "unknown event %q", e.Kind)
	}
	s.UpdatedAt = now
	s.Version++
	return s, Transition{From: from, To: s.State, Event: e.Kind}, nil
}

func futureSkips(skips []time.Time, from time.Time) []time.Time {
	var out []time.Time
	for _, t := range skips {
		if !t.Before(from) {
			out = append(out, t)
		}
	}
	return out
}
