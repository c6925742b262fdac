package subscription

import (
	"slices"
	"time"
)

// MonthlyAmount normalises a recurring amount to a month, rounded half up to the minor
// unit: amount * renewals per year / 12, with 52 weeks and 365 days a year (a weekly
// 129.00 is 559.00 a month, every two weeks 89.00 is 192.83).
func MonthlyAmount(amount int64, iv Interval) int64 {
	num, den := iv.perYear()
	d := 12 * den
	return (amount*num*2 + d) / (2 * d)
}

// MRR is a subscription's monthly recurring revenue: its recurring renewal amount
// (price times quantity, less the commitment discount in force) normalised to a month.
// Trials, pauses and ended subscriptions contribute nothing; a past-due one still
// counts until dunning ends it, and one cancelled at period end counts until that end.
// Temporary save-flow discounts and setup fees are not
// recurring and are left out.
func MRR(s Subscription, p Plan) int64 {
	switch s.State {
	case Active, PastDue:
	default:
		return 0
	}
	base := s.Price * int64(max(s.Quantity, 1))
	pct := int64(p.CommitmentPercent(s.Paid))
	base -= (base*pct + 50) / 100
	return MonthlyAmount(base, s.Schedule.Interval)
}

// MRRChange is a subscription's MRR from At on (0: not contributing).
type MRRChange struct {
	Subscription string    `json:"subscription_id"`
	At           time.Time `json:"at"`
	MRR          int64     `json:"mrr"`
}

// Movement is one month's MRR bridge: Start + New + Expansion + Reactivated -
// Contraction - Churned = End, to the minor unit.
type Movement struct {
	Month       time.Time `json:"month"`
	Start       int64     `json:"start_mrr"`
	New         int64     `json:"new"`
	Expansion   int64     `json:"expansion"`
	Contraction int64     `json:"contraction"`
	Churned     int64     `json:"churned"`
	Reactivated int64     `json:"reactivated"`
	End         int64     `json:"end_mrr"`
	ARR         int64     `json:"arr" doc:"12 x end MRR"`

	StartSubscribers   int `json:"start_subscribers" doc:"Subscriptions with MRR at the month's start"`
	EndSubscribers     int `json:"end_subscribers"`
	NewSubscribers     int `json:"new_subscribers"`
	ChurnedSubscribers int `json:"churned_subscribers"`
	Reactivations      int `json:"reactivations"`

	SubscriberChurn float64 `json:"subscriber_churn" doc:"Churned subscribers / start subscribers"`
	RevenueChurn    float64 `json:"revenue_churn" doc:"(Churned + contraction) / start MRR"`
	ARPU            int64   `json:"arpu" doc:"End MRR / end subscribers, rounded half up"`
	LTV             int64   `json:"ltv" doc:"ARPU / subscriber churn, rounded half up; 0 without churn"`
}

// Movements computes the MRR bridge of each calendar month (UTC) from `from`'s month to
// `to`'s month inclusive. A subscription's MRR at an instant is the last change at or
// before it. Over one month, comparing its MRR just before the month and at its end:
// 0 -> >0 is new (the first time it ever had MRR) or reactivated (it had MRR before);
// >0 -> 0 is churned; a rise is expansion and a fall contraction. A subscription that
// starts and churns within one month moves nothing.
func Movements(changes []MRRChange, from, to time.Time) []Movement {
	byID := map[string][]MRRChange{}
	for _, c := range changes {
		byID[c.Subscription] = append(byID[c.Subscription], c)
	}
	for id := range byID {
		slices.SortStableFunc(byID[id], func(a, b MRRChange) int { return a.At.Compare(b.At) })
	}
	var out []Movement
	for m := monthStart(from); !m.After(to); m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, 0)
		mv := Movement{Month: m}
		for _, cs := range byID {
			before, ever := valueBefore(cs, m)
			after, _ := valueBefore(cs, end)
			switch {
			case before == 0 && after > 0 && !ever:
				mv.New += after
				mv.NewSubscribers++
			case before == 0 && after > 0:
				mv.Reactivated += after
				mv.Reactivations++
			case before > 0 && after == 0:
				mv.Churned += before
				mv.ChurnedSubscribers++
			case after > before:
				mv.Expansion += after - before
			case after < before:
				mv.Contraction += before - after
			}
			mv.Start += before
			mv.End += after
			if before > 0 {
				mv.StartSubscribers++
			}
			if after > 0 {
				mv.EndSubscribers++
			}
		}
		mv.ARR = 12 * mv.End
		mv.SubscriberChurn = Rate(mv.ChurnedSubscribers, mv.StartSubscribers)
		if mv.Start > 0 {
			mv.RevenueChurn = float64(mv.Churned+mv.Contraction) / float64(mv.Start)
		}
		if mv.EndSubscribers > 0 {
			mv.ARPU = divRound(mv.End, int64(mv.EndSubscribers))
		}
		if mv.ChurnedSubscribers > 0 {
			// ARPU / (churned / start) = ARPU * start / churned.
			mv.LTV = divRound(mv.ARPU*int64(mv.StartSubscribers), int64(mv.ChurnedSubscribers))
		}
		out = append(out, mv)
	}
	return out
}

// valueBefore returns the MRR in force just before t (the last change strictly before
// t) and whether the subscription had positive MRR at any change before t.
func valueBefore(cs []MRRChange, t time.Time) (v int64, ever bool) {
	for _, c := range cs {
		if !c.At.Before(t) {
			break
		}
		v = c.MRR
		if c.MRR > 0 {
			ever = true
		}
	}
	return v, ever
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func divRound(a, b int64) int64 { return (2*a + b) / (2 * b) }

// Rate is n/d, or 0 when d is 0.
func Rate(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Funnel counts the outcomes behind the non-MRR rates of a period.
type Funnel struct {
	TrialsEnded      int `json:"trials_ended"`
	TrialsConverted  int `json:"trials_converted" doc:"Trials whose first charge was paid"`
	DunningStarted   int `json:"dunning_started" doc:"Renewals whose first charge failed and whose dunning has ended"`
	DunningRecovered int `json:"dunning_recovered" doc:"Of those, paid by a retry"`
	SaveFlows        int `json:"save_flows" doc:"Cancel flows with an outcome"`
	Saved            int `json:"saved" doc:"Of those, ended with an accepted offer"`

	TrialConversion float64 `json:"trial_conversion"`
	DunningRecovery float64 `json:"dunning_recovery"`
	SaveRate        float64 `json:"save_rate"`
}

// Rates fills the funnel's rates from its counts.
func (f Funnel) Rates() Funnel {
	f.TrialConversion = Rate(f.TrialsConverted, f.TrialsEnded)
	f.DunningRecovery = Rate(f.DunningRecovered, f.DunningStarted)
	f.SaveRate = Rate(f.Saved, f.SaveFlows)
	return f
}
