package tiers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func fields(err error) []string {
	var out []string
	if e, ok := err.(*tenure.Error); ok {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	base := ladder()
	cases := []struct {
		name   string
		change func(*Ladder)
		fields []string
	}{
		{"a valid ladder passes", func(*Ladder) {}, nil},
		{"no tiers turns tiers off", func(s *Ladder) { s.Tiers = nil }, nil},
		{"an unknown metric is named", func(s *Ladder) { s.Metric = "visits" }, []string{"metric"}},
		{"an unknown window is named", func(s *Ladder) { s.Window = "fortnight" }, []string{"window"}},
		{"a negative grace period is refused", func(s *Ladder) { s.GraceDays = -1 }, []string{"grace_days"}},
		{"a grace period over a year is refused", func(s *Ladder) { s.GraceDays = 366 }, []string{"grace_days"}},
		{"thresholds must go up", func(s *Ladder) { s.Tiers[1].Threshold = 1000 }, []string{"tiers[1].threshold"}},
		{"a negative threshold is refused", func(s *Ladder) { s.Tiers[0].Threshold = -5 }, []string{"tiers[0].threshold"}},
		{"keys are unique", func(s *Ladder) { s.Tiers[1].Key = "SILVER" }, []string{"tiers[1].key"}},
		{"keys are simple", func(s *Ladder) { s.Tiers[0].Key = "sil ver" }, []string{"tiers[0].key"}},
		{"a name is required", func(s *Ladder) { s.Tiers[0].Name = "  " }, []string{"tiers[0].name"}},
		{"the multiplier must be positive", func(s *Ladder) { s.Tiers[1].Benefits.EarnMultiplierBP = -15000 }, []string{"tiers[1].benefits.earn_multiplier_bp"}},
		{"the multiplier is at most 100x", func(s *Ladder) { s.Tiers[1].Benefits.EarnMultiplierBP = MaxMultiplier + 1 }, []string{"tiers[1].benefits.earn_multiplier_bp"}},
		{"at most 20 tiers", func(s *Ladder) {
			s.Tiers = nil
			for i := range 21 {
				s.Tiers = append(s.Tiers, Tier{Key: "t" + strings.Repeat("x", i), Name: "T", Threshold: int64(i)})
			}
		}, []string{"tiers"}},
		{"every problem is named at once", func(s *Ladder) { s.Metric = ""; s.Tiers[1].Threshold = 10; s.Tiers[0].Name = "" },
			[]string{"metric", "tiers[0].name", "tiers[1].threshold"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := with(base, func(s *Ladder) {})
			c.change(&s)
			err := s.Validate()
			got := fields(err)
			slices.Sort(got)
			if !slices.Equal(got, c.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, c.fields, err)
			}
			if err != nil && tenure.KindOf(err) != tenure.KindInvalid {
				t.Fatalf("kind %s", tenure.KindOf(err))
			}
		})
	}
}

func TestValidateNormalizes(t *testing.T) {
	s := Ladder{Metric: PointsEarned, Window: Lifetime, Tiers: []Tier{{Key: " Gold ", Name: " Gold  ", Threshold: 10}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if g := s.Tiers[0]; g.Key != "gold" || g.Name != "Gold" || g.Benefits.EarnMultiplierBP != OneX {
		t.Fatalf("%+v", g)
	}
	if s.Multiplier("gold") != OneX || s.Multiplier("") != OneX || ladder().Multiplier("gold") != 15000 {
		t.Fatal("multipliers")
	}
	if (Ladder{}).Index("") != -1 || ladder().Index("gold") != 1 || ladder().Index("bronze") != -1 {
		t.Fatal("index")
	}
}

func TestCheckManual(t *testing.T) {
	now := at("2026-06-01", utc)
	cases := []struct {
		name   string
		set    Ladder
		m      Manual
		fields []string
	}{
		{"a known tier with a reason and a future expiry", ladder(), Manual{Tier: "gold", Until: ptr(now.Add(time.Hour)), Reason: "influencer"}, nil},
		{"no expiry is allowed", ladder(), Manual{Tier: "gold", Reason: "founder"}, nil},
		{"removing needs only a reason", ladder(), Manual{Reason: "campaign over"}, nil},
		{"an unknown tier is named", ladder(), Manual{Tier: "platinum", Reason: "x"}, []string{"tier"}},
		{"no tiers configured", Ladder{}, Manual{Tier: "gold", Reason: "x"}, []string{"tier"}},
		{"an expiry in the past", ladder(), Manual{Tier: "gold", Until: ptr(now), Reason: "x"}, []string{"expires_at"}},
		{"an expiry when removing", ladder(), Manual{Until: ptr(now.Add(time.Hour)), Reason: "x"}, []string{"expires_at"}},
		{"a reason is required", ladder(), Manual{Tier: "gold"}, []string{"reason"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fields(CheckManual(c.set, c.m, now))
			if !slices.Equal(got, c.fields) {
				t.Fatalf("fields %v, want %v", got, c.fields)
			}
		})
	}
}

func TestStats(t *testing.T) {
	t.Run("a refund reduces the month it is booked to", func(t *testing.T) {
		var s Stats
		paid := at("2026-03-10", utc)
		s.Add(paid, utc, Totals{Points: 120, Spend: 12000, Orders: 1})
		s.Add(paid, utc, Totals{Points: -120, Spend: -12000, Orders: -1})
		s.Add(at("2026-03-31 23:59", utc), utc, Totals{Points: 5})
		if got := s.Months["2026-03"]; got != (Totals{Points: 5}) {
			t.Fatalf("%+v", got)
		}
	})
	t.Run("month keys follow the program's time zone", func(t *testing.T) {
		for _, c := range []struct {
			t    time.Time
			loc  *time.Location
			want string
		}{
			{at("2026-12-31 23:30", utc), warsaw, "2027-01"},
			{at("2027-01-01 00:30", warsaw), utc, "2026-12"},
			{at("2028-02-29 23:59", utc), utc, "2028-02"},
			{at("2026-03-29 02:30", warsaw), warsaw, "2026-03"}, // a time the spring change skips
		} {
			if got := MonthKey(c.t, c.loc); got != c.want {
				t.Errorf("%s in %s: %s, want %s", c.t, c.loc, got, c.want)
			}
		}
	})
	t.Run("bad keys are ignored, the lifetime total counts the months before", func(t *testing.T) {
		s := Stats{Before: Totals{Orders: 7}, Months: map[string]Totals{"2026-13": {Orders: 50}, "junk": {Orders: 50}, "2026-01": {Orders: 1}}}
		a := newActivity(s, Ladder{Metric: Orders, Window: Lifetime}, utc)
		if a.total != 8 || a.standing(at("2026-02-01", utc)) != 8 {
			t.Fatalf("total %d", a.total)
		}
	})
	t.Run("the months needed reach two years before the earliest pending date", func(t *testing.T) {
		st := State{QualifiedUntil: ptr(at("2025-01-01", utc))}
		if got := MonthsFrom(st, at("2026-06-15", utc), utc); got != "2022-12" {
			t.Fatalf("from %s", got)
		}
		if got := MonthsFrom(State{}, at("2026-06-15", utc), utc); got != "2024-05" {
			t.Fatalf("from %s", got)
		}
	})
}
