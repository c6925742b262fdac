package analytics

import "math"

// Outcome is what one member did in the window after their first exposure to a campaign.
type Outcome struct {
	Orders  int
	Revenue int64 // net, minor units
	Cost    int64 // reward cost (points awarded x point value), minor units; 0 for the holdout
}

// Estimate is a difference between the treated and the holdout group with a 95%
// confidence interval (Welch's unequal-variance normal approximation).
type Estimate struct {
	Treated    float64 `json:"treated"`
	Holdout    float64 `json:"holdout"`
	Difference float64 `json:"difference"`
	// Low and High bound the 95% interval; absent when a group has fewer than two members.
	Low  *float64 `json:"ci95_low,omitempty"`
	High *float64 `json:"ci95_high,omitempty"`
}

// LiftReport compares treated members with the holdout.
type LiftReport struct {
	TreatedMembers int      `json:"treated_members"`
	HoldoutMembers int      `json:"holdout_members"`
	Retention      Estimate `json:"retention" doc:"Share of members with an order in the window"`
	Orders         Estimate `json:"orders_per_member"`
	Revenue        Estimate `json:"revenue_per_member" doc:"Minor units"`
	Net            Estimate `json:"net_revenue_per_member" doc:"Revenue minus reward cost per member, minor units"`
	CostPerMember  float64  `json:"reward_cost_per_treated_member"`
	Significant    bool     `json:"net_significant" doc:"The 95% interval of the net difference excludes zero"`
}

// Lift compares the outcomes of treated and holdout members. With fewer than two members in
// a group there are no intervals: there is nothing to conclude.
func Lift(treated, holdout []Outcome) LiftReport {
	r := LiftReport{TreatedMembers: len(treated), HoldoutMembers: len(holdout)}
	retained := func(o Outcome) float64 {
		if o.Orders > 0 {
			return 1
		}
		return 0
	}
	r.Retention = estimate(treated, holdout, retained, retained)
	r.Orders = estimate(treated, holdout, func(o Outcome) float64 { return float64(o.Orders) }, func(o Outcome) float64 { return float64(o.Orders) })
	rev := func(o Outcome) float64 { return float64(o.Revenue) }
	r.Revenue = estimate(treated, holdout, rev, rev)
	r.Net = estimate(treated, holdout, func(o Outcome) float64 { return float64(o.Revenue - o.Cost) }, rev)
	var cost float64
	for _, o := range treated {
		cost += float64(o.Cost)
	}
	if len(treated) > 0 {
		r.CostPerMember = cost / float64(len(treated))
	}
	r.Significant = r.Net.Low != nil && (*r.Net.Low > 0 || *r.Net.High < 0)
	return r
}

func estimate(a, b []Outcome, fa, fb func(Outcome) float64) Estimate {
	ma, va := meanVar(a, fa)
	mb, vb := meanVar(b, fb)
	e := Estimate{Treated: ma, Holdout: mb, Difference: ma - mb}
	if len(a) < 2 || len(b) < 2 {
		return e
	}
	se := math.Sqrt(va/float64(len(a)) + vb/float64(len(b)))
	lo, hi := e.Difference-1.96*se, e.Difference+1.96*se
	e.Low, e.High = &lo, &hi
	return e
}

// meanVar returns the mean and the unbiased sample variance.
func meanVar(xs []Outcome, f func(Outcome) float64) (mean, variance float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += f(x)
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		d := f(x) - mean
		variance += d * d
	}
	return mean, variance / float64(len(xs)-1)
}
