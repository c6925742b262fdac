package tiers

import (
	"time"

	"github.com/tenure-loyalty/tenure"
)

// State is a member's stored tier state. Tier is what the member was last told (the
// effective tier: the manual one while it lasts, otherwise the earned one); Earned is what
// their activity earned. The zero State is a member with no tier.
type State struct {
	Tier           string     `json:"tier" doc:"Current tier key; empty for none"`
	Since          *time.Time `json:"since,omitempty" doc:"When the member entered the current tier"`
	Earned         string     `json:"earned_tier" doc:"The tier the member's activity earned (differs from tier while a manual assignment lasts)"`
	QualifiedUntil *time.Time `json:"qualified_until,omitempty" doc:"The earned tier is safe until this window end; the activity of the window ending then decides whether it is kept"`
	GraceUntil     *time.Time `json:"grace_until,omitempty" doc:"A window ended short of the earned tier's threshold: the tier is kept until this instant, then lowered unless re-earned"`
	Manual         *Manual    `json:"manual,omitempty"`
}

// Manual is a tier assigned by staff. It overrides the earned tier until Until (for good
// when Until is nil).
type Manual struct {
	Tier   string     `json:"tier"`
	Until  *time.Time `json:"expires_at,omitempty"`
	Reason string     `json:"reason"`
	Actor  string     `json:"actor"`
	At     time.Time  `json:"assigned_at"`
}

// active reports whether the assignment is in force at now.
func (m *Manual) active(set Ladder, now time.Time) bool {
	return m != nil && set.Index(m.Tier) >= 0 && (m.Until == nil || now.Before(*m.Until))
}

// CheckManual validates an assignment about to be made at now. An empty Tier removes the
// assignment and needs only a reason.
func CheckManual(set Ladder, m Manual, now time.Time) error {
	var p tenure.Problems
	if m.Tier != "" && set.Index(m.Tier) < 0 {
		if len(set.Tiers) == 0 {
			p.Add("tier", "no tiers are configured; PUT /v1/tiers first")
		} else {
			p.Add("tier", "must be one of %s (or empty to remove the assignment)", set.keys())
		}
	}
	if m.Tier != "" && m.Until != nil && !m.Until.After(now) {
		p.Add("expires_at", "must be in the future")
	}
	if m.Tier == "" && m.Until != nil {
		p.Add("expires_at", "only applies when assigning a tier")
	}
	if m.Reason == "" || len(m.Reason) > 500 {
		p.Add("reason", "must be 1 to 500 characters")
	}
	return p.Err("tiers.CheckManual")
}

// Reason says why the member's tier changed.
type Reason string

// Reasons.
const (
	ReasonQualified    Reason = "qualified"    // activity met a higher threshold
	ReasonDowngraded   Reason = "downgraded"   // a window ended short and the grace period ran out
	ReasonManual       Reason = "manual"       // staff assigned the tier
	ReasonManualEnded  Reason = "manual_ended" // a manual assignment expired or was removed
	ReasonReconfigured Reason = "reconfigured" // the previous tier is no longer configured
)

// Decision is what Evaluate decided: the state to store and what changed.
type Decision struct {
	State    State  // to be stored; State.Tier is the tier in force now
	Previous string // the effective tier before
	Changed  bool   // State.Tier differs from Previous
	Up       bool   // the change ranks the member higher
	Reason   Reason // why it changed; empty when it did not
	// GraceStarted is set when this evaluation found a window ended short and started the
	// grace period (the tier is unchanged until it ends).
	GraceStarted bool
	// NextReview is when the decision may change with no new activity: a window end, the
	// end of a grace period, or a manual assignment's expiry. Nil when nothing is due.
	NextReview *time.Time
}

// Evaluate decides the member's tier at now from the configuration, the stored state and
// the activity, whose months are read in loc (the program's time zone). Window ends and
// grace ends that fell due before now, while no job ran, are applied in order.
func Evaluate(set Ladder, st State, stats Stats, now time.Time, loc *time.Location) Decision {
	a := newActivity(stats, set, loc)
	idx := set.Index(st.Earned)
	qu, grace := st.QualifiedUntil, st.GraceUntil
	if idx < 0 {
		qu, grace = nil, nil
	}
	graceStarted := false
	if set.Window == Lifetime {
		// No window ends: the grace period starts when refunds drop the total below.
		qu = nil
		e := metBy(set, a.standing(now))
		switch {
		case e >= idx:
			idx, grace = e, nil
		case grace == nil:
			g := addDays(now, set.GraceDays, loc)
			grace, graceStarted = &g, true
		}
		if grace != nil && !now.Before(*grace) {
			idx, grace, graceStarted = e, nil, false
		}
	} else {
		for range 100 {
			if grace != nil {
				if now.Before(*grace) {
					break
				}
				// The grace period is over: keep what the activity supports then.
				g := *grace
				idx = min(idx, metBy(set, a.standing(g)))
				grace, qu, graceStarted = nil, secured(set, a, idx, g), false
				continue
			}
			if qu == nil || now.Before(*qu) {
				break
			}
			// A window ended: does the activity still support the tier?
			r := *qu
			if metBy(set, a.standing(r)) >= idx {
				qu = secured(set, a, idx, r)
				continue
			}
			g := addDays(r, set.GraceDays, loc)
			grace, graceStarted = &g, true
		}
		e := metBy(set, a.standing(now))
		switch {
		case e > idx:
			idx, grace, graceStarted = e, nil, false
		case e == idx && grace != nil:
			grace, graceStarted = nil, false
		}
		if grace == nil {
			qu = secured(set, a, idx, now)
		}
	}

	next := st
	next.QualifiedUntil, next.GraceUntil = qu, grace
	next.Earned = ""
	if idx >= 0 {
		next.Earned = set.Tiers[idx].Key
	}
	if !st.Manual.active(set, now) {
		next.Manual = nil
	}
	next.Tier = next.Earned
	if next.Manual != nil {
		next.Tier = next.Manual.Tier
	}
	d := Decision{State: next, Previous: st.Tier, Changed: next.Tier != st.Tier, GraceStarted: graceStarted}
	if d.Changed {
		t := now
		d.State.Since = &t
		if next.Tier == "" {
			d.State.Since = nil
		}
		d.Up = set.Index(next.Tier) > set.Index(st.Tier)
		switch {
		case next.Manual != nil:
			d.Reason = ReasonManual
		case st.Tier != "" && set.Index(st.Tier) < 0:
			d.Reason = ReasonReconfigured
		case st.Tier != st.Earned:
			d.Reason = ReasonManualEnded // the tier being left was a manual one
		case d.Up:
			d.Reason = ReasonQualified
		default:
			d.Reason = ReasonDowngraded
		}
	}
	d.NextReview = qu
	if grace != nil {
		d.NextReview = grace // the window end it follows is behind us
	}
	if next.Manual != nil && next.Manual.Until != nil {
		d.NextReview = earliest(d.NextReview, next.Manual.Until)
	}
	return d
}

// metBy returns the index of the highest tier whose threshold v meets, or -1.
func metBy(set Ladder, v int64) int {
	i := -1
	for j, t := range set.Tiers {
		if v >= t.Threshold {
			i = j
		}
	}
	return i
}

// secured returns the first window end after t at which the window ending there, with no
// further activity, falls short of tier idx's threshold: the tier is safe until then. Nil
// for no tier, or one at threshold 0, which no window can fall short of.
func secured(set Ladder, a activity, idx int, t time.Time) *time.Time {
	if idx < 0 || set.Tiers[idx].Threshold <= 0 {
		return nil
	}
	thr := set.Tiers[idx].Threshold
	k := a.lastEnd(t) + a.step()
	for range 40 {
		if a.endedAt(k) < thr {
			break
		}
		k += a.step()
	}
	end := k.start(a.loc)
	return &end
}

// addDays adds calendar days in loc, so a grace period spanning a change of clocks still
// ends at the same wall-clock time.
func addDays(t time.Time, days int, loc *time.Location) time.Time {
	return t.In(loc).AddDate(0, 0, days).UTC()
}

func earliest(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil || a.Before(*b):
		return a
	}
	return b
}
