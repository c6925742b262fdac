package analytics

import (
	"fmt"
	"time"
)

// Granularity is the length of a calendar period.
type Granularity int

// The calendar granularities. Periods are aligned to the UTC calendar: months start on the
// 1st at 00:00 UTC, quarters in January, April, July and October, years on 1 January.
const (
	Month Granularity = iota + 1
	Quarter
	Year
)

// String returns "month", "quarter" or "year".
func (g Granularity) String() string {
	switch g {
	case Month:
		return "month"
	case Quarter:
		return "quarter"
	case Year:
		return "year"
	}
	return fmt.Sprintf("Granularity(%d)", int(g))
}

// Start returns the start of the period of granularity g that contains t.
func (g Granularity) Start(t time.Time) time.Time {
	t = t.UTC()
	switch g {
	case Quarter:
		return time.Date(t.Year(), (t.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case Year:
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Next returns the start of the period after the one that starts at start.
func (g Granularity) Next(start time.Time) time.Time {
	switch g {
	case Quarter:
		return start.AddDate(0, 3, 0)
	case Year:
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// Period is the half-open interval [Start, End).
type Period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t is in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// Label names the period: "2011-01" for a month, "2011-Q1" for a quarter, "2011" for a
// year, or "2011-01-05..2011-02-05" for any other interval.
func (p Period) Label() string {
	for _, g := range []Granularity{Month, Quarter, Year} {
		if p.Start.Equal(g.Start(p.Start)) && p.End.Equal(g.Next(p.Start)) {
			switch g {
			case Month:
				return p.Start.Format("2006-01")
			case Quarter:
				return fmt.Sprintf("%d-Q%d", p.Start.Year(), (int(p.Start.Month())-1)/3+1)
			default:
				return p.Start.Format("2006")
			}
		}
	}
	return p.Start.UTC().Format("2006-01-02") + ".." + p.End.UTC().Format("2006-01-02")
}

// Periods returns the consecutive calendar periods of granularity g that overlap [from,
// to), the first one starting at or before from. It returns nil when to is not after from
// or g is unknown.
func Periods(g Granularity, from, to time.Time) []Period {
	if !to.After(from) || g < Month || g > Year {
		return nil
	}
	var ps []Period
	for s := g.Start(from); s.Before(to); s = g.Next(s) {
		ps = append(ps, Period{Start: s, End: g.Next(s)})
	}
	return ps
}
