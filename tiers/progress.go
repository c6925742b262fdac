package tiers

import (
	"fmt"
	"strings"
	"time"
)

// Goal is an amount of activity to reach by a date.
type Goal struct {
	Tier      string     `json:"tier"`
	Name      string     `json:"name"`
	Threshold int64      `json:"threshold"`
	Have      int64      `json:"have" doc:"Activity counted so far in the window that decides"`
	Need      int64      `json:"need" doc:"Still missing; 0 when met"`
	By        *time.Time `json:"by,omitempty" doc:"The instant by which it must be met (a window end or the end of a grace period); absent for lifetime windows"`
}

// ProgressReport is a member's progress: what it takes to reach the next tier, and to keep the
// earned one at the next window end, in numbers and in words.
type ProgressReport struct {
	Metric Metric `json:"metric"`
	Window Window `json:"window"`
	Tier   string `json:"tier" doc:"The tier in force"`
	Next   *Goal  `json:"next,omitempty" doc:"What it takes to reach the next tier; absent at the top"`
	Keep   *Goal  `json:"keep,omitempty" doc:"What it takes to keep the earned tier at the next window end or before the grace period ends"`
	Text   string `json:"text" doc:"The same in words, e.g. \"700 more points to reach Gold by 2026-12-31; 1000 more points to keep Silver by 2027-12-31\""`
}

// Progress reports at now, evaluating the state first so that a state stored before a
// window end reads correctly after it. Dates in Text are the last day before the deadline
// in loc, the program's time zone.
func Progress(set Ladder, st State, stats Stats, now time.Time, loc *time.Location) ProgressReport {
	d := Evaluate(set, st, stats, now, loc)
	cur := d.State
	r := ProgressReport{Metric: set.Metric, Window: set.Window, Tier: cur.Tier}
	if len(set.Tiers) == 0 {
		return r
	}
	a := newActivity(stats, set, loc)
	var parts []string
	eff := set.Index(cur.Tier)
	if cur.Manual != nil {
		t, _ := set.Tier(cur.Manual.Tier)
		if cur.Manual.Until != nil {
			parts = append(parts, t.Name+" assigned until "+lastDay(*cur.Manual.Until, loc))
		} else {
			parts = append(parts, t.Name+" assigned by staff")
		}
	}
	if eff+1 < len(set.Tiers) {
		t := set.Tiers[eff+1]
		g := Goal{Tier: t.Key, Name: t.Name, Threshold: t.Threshold}
		if set.Window == Lifetime {
			g.Have = a.total
		} else {
			// Only the running window can still reach it.
			g.Have = a.current(now)
			by := (a.lastEnd(now) + a.step()).start(loc)
			g.By = &by
		}
		g.Need = max(g.Threshold-g.Have, 0)
		r.Next = &g
		parts = append(parts, phrase(set.Metric, g.Need, "reach", g, loc))
	} else if eff >= 0 && cur.Manual == nil {
		parts = append(parts, set.Tiers[eff].Name+" is the top tier")
	}
	if e := set.Index(cur.Earned); e >= 0 && cur.Manual == nil {
		t := set.Tiers[e]
		g := Goal{Tier: t.Key, Name: t.Name, Threshold: t.Threshold}
		switch {
		case cur.GraceUntil != nil:
			// Only new activity can save it now: the running window, or the lifetime total.
			g.Have, g.By = a.current(now), cur.GraceUntil
			if set.Window == Lifetime {
				g.Have = a.total
			}
		case cur.QualifiedUntil != nil:
			g.Have, g.By = a.endedAt(monthOf(*cur.QualifiedUntil, loc)), cur.QualifiedUntil
		}
		if g.By != nil {
			g.Need = max(g.Threshold-g.Have, 0)
			r.Keep = &g
			parts = append(parts, phrase(set.Metric, g.Need, "keep", g, loc))
		}
	}
	r.Text = strings.Join(parts, "; ")
	return r
}

// phrase says "700 more points to reach Gold by 2026-12-31".
func phrase(m Metric, need int64, verb string, g Goal, loc *time.Location) string {
	s := amount(m, need) + " to " + verb + " " + g.Name
	if g.By != nil {
		s += " by " + lastDay(*g.By, loc)
	}
	return s
}

// amount says how much more of a metric: "1 more point", "3 more orders", "120.50 more
// spend" (minor units shown with two decimals).
func amount(m Metric, n int64) string {
	switch m {
	case Spend:
		return fmt.Sprintf("%d.%02d more spend", n/100, n%100)
	case Orders:
		if n == 1 {
			return "1 more order"
		}
		return fmt.Sprintf("%d more orders", n)
	}
	if n == 1 {
		return "1 more point"
	}
	return fmt.Sprintf("%d more points", n)
}

// lastDay names the last whole day before the instant t in loc: a deadline at midnight is
// met by the end of the day before.
func lastDay(t time.Time, loc *time.Location) string {
	lt := t.In(loc)
	if lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 && lt.Nanosecond() == 0 {
		lt = lt.AddDate(0, 0, -1)
	}
	return lt.Format("2006-01-02")
}
