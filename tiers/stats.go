package tiers

import (
	"fmt"
	"strconv"
	"time"
)

// Totals is qualifying activity: points earned, spend in minor units and orders. Values
// are net: a refund adds negative amounts to the month of the order it refunds.
type Totals struct {
	Points int64 `json:"points"`
	Spend  int64 `json:"spend"`
	Orders int64 `json:"orders"`
}

// Of returns the total of one metric.
func (t Totals) Of(m Metric) int64 {
	switch m {
	case Spend:
		return t.Spend
	case Orders:
		return t.Orders
	}
	return t.Points
}

// Add returns the sum of t and o.
func (t Totals) Add(o Totals) Totals {
	return Totals{Points: t.Points + o.Points, Spend: t.Spend + o.Spend, Orders: t.Orders + o.Orders}
}

// Stats is a member's qualifying activity as per-month sums keyed "YYYY-MM" in the
// program's time zone, so that any window's total is a handful of additions and never a
// ledger scan. Before holds the sum of all months older than those listed; only lifetime
// windows read it. The shell loads the months from MonthsFrom on.
type Stats struct {
	Before Totals            `json:"before"`
	Months map[string]Totals `json:"months"`
}

// Add records activity in the month of at.
func (s *Stats) Add(at time.Time, loc *time.Location, t Totals) {
	if s.Months == nil {
		s.Months = map[string]Totals{}
	}
	k := MonthKey(at, loc)
	s.Months[k] = s.Months[k].Add(t)
}

// MonthKey returns the bucket key "YYYY-MM" of t in loc.
func MonthKey(t time.Time, loc *time.Location) string {
	return keyOf(monthOf(t, loc))
}

// MonthsFrom returns the oldest month key Evaluate and Progress read for a member in state
// st at now: two years before the earliest instant they look at (now, or a window end or
// grace end that fell due while no job ran). Older months may be summed into Stats.Before.
func MonthsFrom(st State, now time.Time, loc *time.Location) string {
	first := now
	for _, t := range []*time.Time{st.QualifiedUntil, st.GraceUntil} {
		if t != nil && t.Before(first) {
			first = *t
		}
	}
	return keyOf(monthOf(first, loc) - 25)
}

// month is a month counted from year 0: year*12 + month-1.
type month int

func monthOf(t time.Time, loc *time.Location) month {
	lt := t.In(loc)
	return month(lt.Year()*12 + int(lt.Month()) - 1)
}

func keyOf(m month) string {
	if m < 0 {
		m = 0
	}
	return fmt.Sprintf("%04d-%02d", int(m)/12, int(m)%12+1)
}

// parseKey reads "YYYY-MM"; ok is false for anything else.
func parseKey(k string) (month, bool) {
	if len(k) != 7 || k[4] != '-' {
		return 0, false
	}
	y, err1 := strconv.Atoi(k[:4])
	mo, err2 := strconv.Atoi(k[5:])
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 {
		return 0, false
	}
	return month(y*12 + mo - 1), true
}

// start returns the first instant of month m in loc.
func (m month) start(loc *time.Location) time.Time {
	return time.Date(int(m)/12, time.Month(int(m)%12+1), 1, 0, 0, 0, 0, loc).UTC()
}

// activity is Stats indexed for one metric and window, with the program's time zone.
type activity struct {
	months map[month]int64
	before int64
	total  int64
	window Window
	loc    *time.Location
}

func newActivity(s Stats, set Ladder, loc *time.Location) activity {
	a := activity{months: make(map[month]int64, len(s.Months)), before: s.Before.Of(set.Metric), window: set.Window, loc: loc}
	a.total = a.before
	for k, t := range s.Months {
		if m, ok := parseKey(k); ok {
			v := t.Of(set.Metric)
			a.months[m] += v
			a.total += v
		}
	}
	return a
}

// sum adds the months lo..hi inclusive.
func (a activity) sum(lo, hi month) int64 {
	var n int64
	for m, v := range a.months {
		if m >= lo && m <= hi {
			n += v
		}
	}
	return n
}

// step is the distance between window ends in months: a year, or a month for rolling
// windows (every month end closes a rolling window).
func (a activity) step() month {
	if a.window == Rolling12Months {
		return 1
	}
	return 12
}

// lastEnd returns the latest window end at or before t, as the month it opens.
func (a activity) lastEnd(t time.Time) month {
	m := monthOf(t, a.loc)
	return m - m%a.step()
}

// endedAt sums the window that ends when month k begins: the 12 months before k.
func (a activity) endedAt(k month) int64 { return a.sum(k-12, k-1) }

// current sums the window running at t: its year, or its month and the 11 before.
func (a activity) current(t time.Time) int64 {
	m := monthOf(t, a.loc)
	if a.window == Rolling12Months {
		return a.sum(m-11, m)
	}
	y := m - m%12
	return a.sum(y, y+11)
}

// standing is the activity that decides the tier held at t: the current window or the last
// completed one, whichever is more, or the lifetime total. Never negative.
func (a activity) standing(t time.Time) int64 {
	if a.window == Lifetime {
		return max(a.total, 0)
	}
	return max(a.current(t), a.endedAt(a.lastEnd(t)), 0)
}
