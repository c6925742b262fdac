package tiers

import (
	"testing"
	"time"
)

var (
	utc    = time.UTC
	warsaw = mustLoad("Europe/Warsaw")
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ladder is Silver at 1000 and Gold at 5000 (1.5x) by points per calendar year, with a
// 30-day grace period.
func ladder() Ladder {
	s := Ladder{Metric: PointsEarned, Window: CalendarYear, GraceDays: 30, Tiers: []Tier{
		{Key: "silver", Name: "Silver", Threshold: 1000},
		{Key: "gold", Name: "Gold", Threshold: 5000, Benefits: Benefits{EarnMultiplierBP: 15000, FreeShipping: true}},
	}}
	if err := s.Validate(); err != nil {
		panic(err)
	}
	return s
}

func with(s Ladder, f func(*Ladder)) Ladder {
	s.Tiers = append([]Tier(nil), s.Tiers...)
	f(&s)
	return s
}

// at parses "2006-01-02" or "2006-01-02 15:04" in loc.
func at(s string, loc *time.Location) time.Time {
	layout := "2006-01-02"
	if len(s) > 10 {
		layout = "2006-01-02 15:04"
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func ptr(t time.Time) *time.Time { return &t }

// pts builds stats from alternating month keys and points.
func pts(kv ...any) Stats {
	s := Stats{Months: map[string]Totals{}}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		s.Months[k] = s.Months[k].Add(Totals{Points: int64(kv[i+1].(int))})
	}
	return s
}

func silverUntil(qu string) State {
	return State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at(qu, utc))}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func show(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.Format(time.RFC3339)
}

// want is what a decision must say; empty fields are not checked unless noted.
type want struct {
	tier       string
	changed    bool
	reason     Reason
	grace      bool // a grace period is running after the decision
	started    bool // it started in this decision
	qu         string
	nextReview string // "" checks nil
}

func check(t *testing.T, d Decision, w want, loc *time.Location) {
	t.Helper()
	if d.State.Tier != w.tier || d.Changed != w.changed || d.Reason != w.reason {
		t.Errorf("tier %q changed %v reason %q; want %q %v %q", d.State.Tier, d.Changed, d.Reason, w.tier, w.changed, w.reason)
	}
	if (d.State.GraceUntil != nil) != w.grace || d.GraceStarted != w.started {
		t.Errorf("grace until %s started %v; want running %v started %v", show(d.State.GraceUntil), d.GraceStarted, w.grace, w.started)
	}
	if w.qu != "" && !sameTime(d.State.QualifiedUntil, ptr(at(w.qu, loc))) {
		t.Errorf("qualified until %s, want %s", show(d.State.QualifiedUntil), w.qu)
	}
	var nr *time.Time
	if w.nextReview != "" {
		nr = ptr(at(w.nextReview, loc))
	}
	if !sameTime(d.NextReview, nr) {
		t.Errorf("next review %s, want %s", show(d.NextReview), show(nr))
	}
}
