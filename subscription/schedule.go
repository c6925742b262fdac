package subscription

import "time"

// Calendar is a subscription's billing calendar: period k starts at Start(k), counted
// from the anchor (period 0). Month and year periods are computed from the anchor, not
// from the period before, so a short month does not move later dates: with day 31,
// 31 Jan -> 28 Feb (29 in a leap year) -> 31 Mar.
type Calendar struct {
	Anchor   time.Time `json:"anchor" doc:"Start of period 0"`
	Day      int       `json:"anchor_day,omitempty" doc:"Fixed day of month 1-31; 0 keeps the anchor's own day"`
	Interval Interval  `json:"interval"`
}

// Start returns the start of period k (k >= 0).
func (s Calendar) Start(k int) time.Time {
	a := s.Anchor.UTC()
	n := k * max(s.Interval.Count, 1)
	switch s.Interval.Unit {
	case Day:
		return a.AddDate(0, 0, n)
	case Week:
		return a.AddDate(0, 0, 7*n)
	case Month, Year:
		months := n
		if s.Interval.Unit == Year {
			months = 12 * n
		}
		day := s.Day
		if day == 0 {
			day = a.Day()
		}
		return monthDay(a, months, day)
	}
	return a
}

// monthDay returns a's time of day on the given day of the month `months` after a's
// month, clamped to that month's last day.
func monthDay(a time.Time, months, day int) time.Time {
	y, m := a.Year(), int(a.Month())-1+months
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	first := time.Date(y, time.Month(m+1), 1, a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(day, last)-1)
}

// First returns the first period index whose start is at or after t (0 when t is at or
// before the anchor).
func (s Calendar) First(t time.Time) int {
	if !t.After(s.Anchor) {
		return 0
	}
	// Estimate from the average period length, then correct: at most a few steps.
	k := int(t.Sub(s.Anchor) / s.approx())
	k = max(k-1, 0)
	for s.Start(k).Before(t) {
		k++
	}
	for k > 0 && !s.Start(k-1).Before(t) {
		k--
	}
	return k
}

func (s Calendar) approx() time.Duration {
	c := time.Duration(max(s.Interval.Count, 1))
	switch s.Interval.Unit {
	case Day:
		return 24 * time.Hour * c
	case Week:
		return 7 * 24 * time.Hour * c
	case Month:
		return 28 * 24 * time.Hour * c
	default:
		return 365 * 24 * time.Hour * c
	}
}

// DayOfMonthAnchor returns the first instant at or after start that falls on the given
// day of the month (clamped to short months), at start's time of day: the anchor of a
// fixed-day schedule.
func DayOfMonthAnchor(start time.Time, day int) time.Time {
	start = start.UTC()
	for months := 0; ; months++ {
		t := monthDay(start, months, day)
		if !t.Before(start) {
			return t
		}
	}
}
