// Package tiers decides which tier (VIP level) a member is in: a pure function of the
// program's tier configuration (Ladder), the member's stored tier state (State), the member's
// qualifying activity (Stats, per-month sums) and the time. No I/O, no clock: the shell
// loads those, calls Evaluate or Progress, and writes what they decided in one transaction.
//
// The rules, in one place:
//   - Qualification counts one metric (points earned, spend in minor units, or orders) over
//     one window: the calendar year, the rolling 12 months, or the member's lifetime. Months
//     and years are taken in the program's time zone. A window's activity is the sum of its
//     month buckets, net of refunds.
//   - A member holds the highest tier whose threshold is met by the current window or by the
//     last completed one: qualifying in 2026 keeps the tier through 2027.
//   - Upgrades happen at once, whenever the activity meets a higher threshold.
//   - Downgrades happen only at a window end (QualifiedUntil): if the window that just ended
//     does not support the tier, a grace period starts, the member keeps the tier through
//     it, and is downgraded when it ends unless the activity meets the threshold again by
//     then. Lifetime windows never end; a lifetime total can only fall through refunds, and
//     the grace period then starts when it falls.
//   - Staff may assign a tier by hand, optionally until an instant; while the assignment
//     lasts it overrides the earned tier in both directions, and when it expires or is
//     removed the member returns to the tier their activity earned, which kept evolving.
package tiers

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tenure-loyalty/tenure"
)

// Metric is what qualification counts.
type Metric string

// Metrics.
const (
	PointsEarned Metric = "points_earned" // points credited by orders, net of claw-backs
	Spend        Metric = "spend"         // order subtotals in minor units, net of refunds
	Orders       Metric = "orders"        // paid orders, less cancelled or fully refunded ones
)

// Window is the period qualification counts over.
type Window string

// Windows.
const (
	CalendarYear    Window = "calendar_year"     // January to December in the program's time zone
	Rolling12Months Window = "rolling_12_months" // the current month and the 11 before it
	Lifetime        Window = "lifetime"          // everything, ever
)

// OneX is the neutral earn multiplier in basis points: 15000 is 1.5x.
const OneX = 10_000

// Limits on a tier configuration.
const (
	MaxTiers      = 20
	MaxGraceDays  = 365
	MaxThreshold  = 1_000_000_000_000_000
	MaxMultiplier = 1_000_000 // 100x, the rules engine's limit too
)

// Benefits are what a tier gives. The earn multiplier is applied by the earning rules; the
// flags are exposed through the API for the store to honour.
type Benefits struct {
	EarnMultiplierBP int64 `json:"earn_multiplier_bp" required:"false" doc:"Earn multiplier in basis points: 10000 = 1x, 15000 = 1.5x; 0 is read as 1x"`
	FreeShipping     bool  `json:"free_shipping" required:"false"`
	EarlyAccess      bool  `json:"early_access" required:"false" doc:"Early access to sales and launches"`
	ExclusiveRewards bool  `json:"exclusive_rewards" required:"false" doc:"Rewards limited to this tier are offered (rewards name their tiers)"`
	BirthdayGift     bool  `json:"birthday_gift" required:"false"`
	PersonalAdviser  bool  `json:"personal_adviser" required:"false"`
}

// Multiplier returns the earn multiplier in basis points, OneX when unset.
func (b Benefits) Multiplier() int64 {
	if b.EarnMultiplierBP == 0 {
		return OneX
	}
	return b.EarnMultiplierBP
}

// Tier is one level of the ladder.
type Tier struct {
	Key       string   `json:"key" minLength:"1" maxLength:"64" doc:"Stable id used in rules and rewards: lower-case letters, digits, '-' and '_'"`
	Name      string   `json:"name" minLength:"1" maxLength:"128" doc:"Shown to members"`
	Threshold int64    `json:"threshold" minimum:"0" doc:"Activity needed in the window, in the set's metric (points, minor units, or orders)"`
	Benefits  Benefits `json:"benefits" required:"false"`
}

// Ladder is a program's tier configuration: one metric and window for the whole ladder, and
// the tiers from lowest to highest threshold. An empty Tiers list turns tiers off.
type Ladder struct {
	Metric    Metric `json:"metric" enum:"points_earned,spend,orders"`
	Window    Window `json:"window" enum:"calendar_year,rolling_12_months,lifetime"`
	GraceDays int    `json:"grace_days" required:"false" minimum:"0" maximum:"365" doc:"Days a member keeps a tier after a window ends short of its threshold"`
	Tiers     []Tier `json:"tiers" maxItems:"20" doc:"From the lowest threshold to the highest"`
}

// DefaultLadder is what a tenant has before configuring tiers: none, counting points earned
// per calendar year.
func DefaultLadder() Ladder {
	return Ladder{Metric: PointsEarned, Window: CalendarYear, Tiers: []Tier{}}
}

// Normalize lower-cases keys, trims names and writes the default multiplier out.
func (s *Ladder) Normalize() {
	for i := range s.Tiers {
		t := &s.Tiers[i]
		t.Key = strings.ToLower(strings.TrimSpace(t.Key))
		t.Name = strings.TrimSpace(t.Name)
		if t.Benefits.EarnMultiplierBP == 0 {
			t.Benefits.EarnMultiplierBP = OneX
		}
	}
	if s.Tiers == nil {
		s.Tiers = []Tier{}
	}
}

// Validate normalizes s and checks it, naming every offending field ("tiers[1].threshold").
func (s *Ladder) Validate() error {
	s.Normalize()
	var p tenure.Problems
	switch s.Metric {
	case PointsEarned, Spend, Orders:
	default:
		p.Add("metric", "must be points_earned, spend or orders")
	}
	switch s.Window {
	case CalendarYear, Rolling12Months, Lifetime:
	default:
		p.Add("window", "must be calendar_year, rolling_12_months or lifetime")
	}
	if s.GraceDays < 0 || s.GraceDays > MaxGraceDays {
		p.Add("grace_days", "must be between 0 and %d", MaxGraceDays)
	}
	if len(s.Tiers) > MaxTiers {
		p.Add("tiers", "at most %d tiers", MaxTiers)
	}
	seen := map[string]bool{}
	for i, t := range s.Tiers {
		f := "tiers[" + strconv.Itoa(i) + "]."
		switch {
		case !validKey(t.Key):
			p.Add(f+"key", "must be 1 to 64 lower-case letters, digits, '-' or '_'")
		case seen[t.Key]:
			p.Add(f+"key", "duplicates another tier's key %q", t.Key)
		}
		seen[t.Key] = true
		if t.Name == "" || utf8.RuneCountInString(t.Name) > 128 {
			p.Add(f+"name", "must be 1 to 128 characters")
		}
		switch {
		case t.Threshold < 0 || t.Threshold > MaxThreshold:
			p.Add(f+"threshold", "must be between 0 and %d", int64(MaxThreshold))
		case i > 0 && t.Threshold <= s.Tiers[i-1].Threshold:
			p.Add(f+"threshold", "must be greater than the previous tier's threshold (%d): tiers go from lowest to highest", s.Tiers[i-1].Threshold)
		}
		if m := t.Benefits.EarnMultiplierBP; m <= 0 || m > MaxMultiplier {
			p.Add(f+"benefits.earn_multiplier_bp", "must be between 1 and %d basis points (10000 = 1x)", MaxMultiplier)
		}
	}
	return p.Err("tiers.Validate")
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Index returns the position of the tier with key (0 for the lowest), or -1 when key is
// empty or names no tier of the set.
func (s Ladder) Index(key string) int {
	if key == "" {
		return -1
	}
	for i, t := range s.Tiers {
		if t.Key == key {
			return i
		}
	}
	return -1
}

// Tier returns the tier with key; ok is false when there is none.
func (s Ladder) Tier(key string) (t Tier, ok bool) {
	if i := s.Index(key); i >= 0 {
		return s.Tiers[i], true
	}
	return Tier{}, false
}

// Multiplier returns the earn multiplier of the tier with key in basis points, OneX for no
// tier or an unknown one.
func (s Ladder) Multiplier(key string) int64 {
	if t, ok := s.Tier(key); ok {
		return t.Benefits.Multiplier()
	}
	return OneX
}

// keys lists the tier keys, for error messages.
func (s Ladder) keys() string {
	ks := make([]string, len(s.Tiers))
	for i, t := range s.Tiers {
		ks[i] = t.Key
	}
	return strings.Join(ks, ", ")
}
