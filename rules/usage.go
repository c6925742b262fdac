package rules

import (
	"fmt"
	"strconv"
	"time"
)

// Counter is how often a rule fired for one member in one period, and how many points it
// gave.
type Counter struct {
	Times  int64 `json:"times"`
	Points int64 `json:"points"`
}

// Usage is one member's use of one rule in the periods that contain the evaluation instant
// (Result.Periods names them). The shell keeps these counters; Evaluate only reads them.
type Usage struct {
	Day      Counter `json:"day"`
	Week     Counter `json:"week"`
	Month    Counter `json:"month"`
	Year     Counter `json:"year"`
	Lifetime Counter `json:"lifetime"`
}

// In returns the counter of one period.
func (u Usage) In(p Period) Counter {
	switch p {
	case PerDay:
		return u.Day
	case PerWeek:
		return u.Week
	case PerMonth:
		return u.Month
	case PerYear:
		return u.Year
	}
	return u.Lifetime
}

// Increment is what one fired rule adds to the member's counters: one time and Points
// points, in every period of Result.Periods and in the lifetime counter.
type Increment struct {
	RuleID string `json:"rule_id"`
	Points int64  `json:"points"`
}

// BudgetUse is what an evaluation takes from one budget (see Rule.BudgetKey). The shell
// subtracts it atomically; Evaluate never takes more than Input.Budgets said was left.
type BudgetUse struct {
	Key    string `json:"key"`
	Points int64  `json:"points"`
}

// Periods are the keys of the periods an instant falls in, in the set's time zone: day
// "2024-06-01", ISO week "2024-W22", month "2024-06", year "2024". Counters keyed by them
// roll over exactly when caps and limits do.
type Periods struct {
	Day   string `json:"day"`
	Week  string `json:"week"`
	Month string `json:"month"`
	Year  string `json:"year"`
}

// PeriodsAt returns the period keys of t read in loc.
func PeriodsAt(t time.Time, loc *time.Location) Periods {
	l := t.In(loc)
	wy, wn := l.ISOWeek()
	return Periods{
		Day:   l.Format(time.DateOnly),
		Week:  fmt.Sprintf("%04d-W%02d", wy, wn),
		Month: l.Format("2006-01"),
		Year:  strconv.Itoa(l.Year()),
	}
}

// budgets tracks what is left of each budget during one evaluation, so that rules sharing
// a campaign never take more together than the input said was left.
type budgets struct {
	given map[string]int64
	left  map[string]int64
}

// take returns how much of want the budget of c allows and records it as taken.
func (b *budgets) take(c *compiled, want int64) (got int64) {
	key := c.budgetKey
	if b.left == nil {
		b.left = map[string]int64{}
	}
	left, seen := b.left[key]
	if !seen {
		left = c.Budget
		if v, ok := b.given[key]; ok {
			left = min(v, c.Budget)
		}
	}
	got = min(want, max(left, 0))
	b.left[key] = left - got
	return got
}

// limitText says a limit the way a store owner would: "once per member", "3 times a day".
func limitText(l *Limit) string {
	times := strconv.FormatInt(l.Count, 10) + " times"
	if l.Count == 1 {
		times = "once"
	}
	return times + " " + perText(l.Per)
}

// capText says a cap: "500 pts a month", "1000 pts per member".
func capText(c *Cap) string { return pts(c.Points) + " " + perText(c.Per) }

func perText(p Period) string {
	if p == PerLifetime {
		return "per member"
	}
	return "a " + string(p)
}
