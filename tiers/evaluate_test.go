package tiers

import (
	"testing"
	"time"
)

func TestEvaluateCalendarYear(t *testing.T) {
	set := ladder()
	cases := []struct {
		name  string
		set   Ladder
		state State
		stats Stats
		now   string
		want  want
	}{
		{"no activity, no tier", set, State{}, Stats{}, "2026-06-15",
			want{tier: ""}},
		{"999 points is short of Silver", set, State{}, pts("2026-06", 999), "2026-06-15",
			want{tier: ""}},
		{"crossing Silver mid-year upgrades at once, safe through next year", set, State{}, pts("2026-03", 400, "2026-06", 600), "2026-06-15",
			want{tier: "silver", changed: true, reason: ReasonQualified, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"crossing Gold from Silver upgrades at once", set, silverUntil("2028-01-01"), pts("2026-03", 1000, "2026-09", 4000), "2026-09-02",
			want{tier: "gold", changed: true, reason: ReasonQualified, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"going straight to Gold skips Silver", set, State{}, pts("2026-09", 7000), "2026-09-02",
			want{tier: "gold", changed: true, reason: ReasonQualified, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"a member holding Silver is not reviewed before the window end", set, silverUntil("2028-01-01"), pts("2026-06", 1000, "2027-03", 10), "2027-12-31 23:59",
			want{tier: "silver", qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"at the window end a member short of Silver keeps it through the grace period", set, silverUntil("2028-01-01"), pts("2026-06", 1000, "2027-03", 300), "2028-01-01",
			want{tier: "silver", grace: true, started: true, qu: "2028-01-01", nextReview: "2028-01-31"}},
		{"a day before the grace period ends the member is still Silver", set,
			State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2028-01-01", utc)), GraceUntil: ptr(at("2028-01-31", utc))},
			pts("2026-06", 1000, "2027-03", 300), "2028-01-30 23:59",
			want{tier: "silver", grace: true, nextReview: "2028-01-31"}},
		{"the end of the grace period downgrades", set,
			State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2028-01-01", utc)), GraceUntil: ptr(at("2028-01-31", utc))},
			pts("2026-06", 1000, "2027-03", 300), "2028-01-31",
			want{tier: "", changed: true, reason: ReasonDowngraded}},
		{"a review that runs late counts the grace period from the window end", set, silverUntil("2028-01-01"), pts("2027-03", 300), "2028-01-20",
			want{tier: "silver", grace: true, started: true, nextReview: "2028-01-31"}},
		{"earning the threshold during the grace period keeps the tier", set,
			State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2028-01-01", utc)), GraceUntil: ptr(at("2028-01-31", utc))},
			pts("2027-03", 300, "2028-01", 1000), "2028-01-20",
			want{tier: "silver", qu: "2030-01-01", nextReview: "2030-01-01"}},
		{"without a grace period the window end downgrades at once", with(set, func(s *Ladder) { s.GraceDays = 0 }), silverUntil("2028-01-01"), pts("2027-03", 300), "2028-01-01",
			want{tier: "", changed: true, reason: ReasonDowngraded}},
		{"meeting the threshold in the window that ended renews to the next window end", set, silverUntil("2027-01-01"), pts("2026-05", 1500), "2027-01-01",
			want{tier: "silver", qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"Gold short of Gold but over Silver drops to Silver, safe for a year", set,
			State{Tier: "gold", Earned: "gold", QualifiedUntil: ptr(at("2028-01-01", utc)), GraceUntil: ptr(at("2028-01-31", utc))},
			pts("2027-05", 2000), "2028-01-31",
			want{tier: "silver", changed: true, reason: ReasonDowngraded, qu: "2029-01-01", nextReview: "2029-01-01"}},
		{"window ends missed while no job ran are caught up in order", set,
			State{Tier: "gold", Earned: "gold", QualifiedUntil: ptr(at("2026-01-01", utc))},
			pts("2025-05", 2000), "2027-03-01",
			want{tier: "", changed: true, reason: ReasonDowngraded}},
		{"a refund after the upgrade keeps the tier until the next window end", set, silverUntil("2028-01-01"),
			pts("2026-06", 1000, "2026-06", -400), "2026-07-10",
			want{tier: "silver", qu: "2027-01-01", nextReview: "2027-01-01"}},
		{"an order back-dated into last year's window grants the tier through this year", set, State{}, pts("2026-12", 1000), "2027-02-10",
			want{tier: "silver", changed: true, reason: ReasonQualified, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"activity from two years ago does not count", set, State{}, pts("2025-12", 5000), "2027-02-10",
			want{tier: ""}},
		{"a tier at threshold 0 is everyone's", with(set, func(s *Ladder) {
			s.Tiers = append([]Tier{{Key: "bronze", Name: "Bronze", Threshold: 0, Benefits: Benefits{EarnMultiplierBP: OneX}}}, s.Tiers...)
		}), State{}, Stats{}, "2026-06-15",
			want{tier: "bronze", changed: true, reason: ReasonQualified}},
		{"a tier no longer configured is replaced by what the activity earns", set,
			State{Tier: "platinum", Earned: "platinum", QualifiedUntil: ptr(at("2030-01-01", utc))}, pts("2026-02", 1200), "2026-06-15",
			want{tier: "silver", changed: true, reason: ReasonReconfigured, qu: "2028-01-01", nextReview: "2028-01-01"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, Evaluate(c.set, c.state, c.stats, at(c.now, utc), utc), c.want, utc)
		})
	}
}

func TestEvaluateZeroThresholdNeedsNoReview(t *testing.T) {
	// A threshold of 0 is met by an empty window: no window end can take the tier away.
	set := with(ladder(), func(s *Ladder) {
		s.Tiers = append([]Tier{{Key: "bronze", Name: "Bronze", Benefits: Benefits{EarnMultiplierBP: OneX}}}, s.Tiers...)
	})
	d := Evaluate(set, State{}, Stats{}, at("2026-06-15", utc), utc)
	if d.State.Tier != "bronze" || d.NextReview != nil || d.State.QualifiedUntil != nil {
		t.Fatalf("tier %q next review %s", d.State.Tier, show(d.NextReview))
	}
}

func TestEvaluateTimeZones(t *testing.T) {
	set := ladder()
	t.Run("an order at 00:30 on New Year's Day in Warsaw counts for the new year", func(t *testing.T) {
		ny := at("2027-01-01 00:30", warsaw) // 2026-12-31 23:30 UTC
		if k := MonthKey(ny, warsaw); k != "2027-01" {
			t.Fatalf("month key %s", k)
		}
		if k := MonthKey(ny, utc); k != "2026-12" {
			t.Fatalf("UTC month key %s", k)
		}
		var s Stats
		s.Add(ny, warsaw, Totals{Points: 1000})
		d := Evaluate(set, State{}, s, ny, warsaw)
		check(t, d, want{tier: "silver", changed: true, reason: ReasonQualified, qu: "2029-01-01", nextReview: "2029-01-01"}, warsaw)
	})
	t.Run("the window ends at midnight in the program's time zone, not in UTC", func(t *testing.T) {
		st := State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2028-01-01", warsaw))}
		s := pts("2027-03", 300)
		before := Evaluate(set, st, s, at("2027-12-31 23:59", warsaw), warsaw)
		check(t, before, want{tier: "silver", nextReview: "2028-01-01"}, warsaw)
		end := Evaluate(set, st, s, at("2027-12-31 23:00", utc), warsaw) // 00:00 in Warsaw
		check(t, end, want{tier: "silver", grace: true, started: true, nextReview: "2028-01-31"}, warsaw)
	})
	t.Run("a grace period across the spring clock change ends at local midnight", func(t *testing.T) {
		roll := with(set, func(s *Ladder) { s.Window = Rolling12Months })
		st := State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2027-03-01", warsaw))}
		d := Evaluate(roll, st, pts("2026-02", 1000), at("2027-03-01", warsaw), warsaw)
		if want := time.Date(2027, 3, 30, 22, 0, 0, 0, time.UTC); d.State.GraceUntil == nil || !d.State.GraceUntil.Equal(want) {
			t.Fatalf("grace until %s, want %s (00:00 CEST)", show(d.State.GraceUntil), want)
		}
	})
}

func TestEvaluateLeapYears(t *testing.T) {
	roll := with(ladder(), func(s *Ladder) { s.Window = Rolling12Months })
	for _, c := range []struct {
		name, review, graceEnd string
		graceDays              int
	}{
		{"30 days from 1 February end on 2 March in a leap year", "2028-02-01", "2028-03-02", 30},
		{"30 days from 1 February end on 3 March otherwise", "2027-02-01", "2027-03-03", 30},
		{"365 days from New Year's Day 2028 end on 31 December", "2028-01-01", "2028-12-31", 365},
		{"365 days from New Year's Day 2027 end on New Year's Day 2028", "2027-01-01", "2028-01-01", 365},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := with(roll, func(s *Ladder) { s.GraceDays = c.graceDays })
			st := State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at(c.review, utc))}
			d := Evaluate(set, st, Stats{}, at(c.review, utc), utc)
			if !sameTime(d.State.GraceUntil, ptr(at(c.graceEnd, utc))) {
				t.Fatalf("grace until %s, want %s", show(d.State.GraceUntil), c.graceEnd)
			}
		})
	}
	t.Run("a member qualifying on 29 February is safe until the window end", func(t *testing.T) {
		d := Evaluate(ladder(), State{}, pts("2028-02", 1000), at("2028-02-29 12:00", utc), utc)
		check(t, d, want{tier: "silver", changed: true, reason: ReasonQualified, qu: "2030-01-01", nextReview: "2030-01-01"}, utc)
	})
}

func TestEvaluateRolling12MonthsBySpend(t *testing.T) {
	set := Ladder{Metric: Spend, Window: Rolling12Months, GraceDays: 30, Tiers: []Tier{{Key: "silver", Name: "Silver", Threshold: 50000}}}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	spend := func(kv ...any) Stats {
		s := Stats{Months: map[string]Totals{}}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Months[kv[i].(string)] = Totals{Spend: int64(kv[i+1].(int)), Points: 999999}
		}
		return s
	}
	cases := []struct {
		name  string
		state State
		stats Stats
		now   string
		want  want
	}{
		{"spend in the last 12 months qualifies; safe until the older half drops out", State{}, spend("2025-07", 30000, "2026-05", 30000), "2026-06-10",
			want{tier: "silver", changed: true, reason: ReasonQualified, qu: "2026-08-01", nextReview: "2026-08-01"}},
		{"spend 13 months old does not count", State{}, spend("2025-05", 60000), "2026-06-10",
			want{tier: ""}},
		{"when the older spend drops out the grace period starts", State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2026-08-01", utc))},
			spend("2025-07", 30000, "2026-05", 30000), "2026-08-01",
			want{tier: "silver", grace: true, started: true, nextReview: "2026-08-31"}},
		{"new spend during the grace period keeps the tier", State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2026-08-01", utc)), GraceUntil: ptr(at("2026-08-31", utc))},
			spend("2025-07", 30000, "2026-05", 30000, "2026-08", 20000), "2026-08-20",
			want{tier: "silver", qu: "2027-06-01", nextReview: "2027-06-01"}},
		{"the grace period ends in a downgrade", State{Tier: "silver", Earned: "silver", QualifiedUntil: ptr(at("2026-08-01", utc)), GraceUntil: ptr(at("2026-08-31", utc))},
			spend("2025-07", 30000, "2026-05", 30000), "2026-08-31",
			want{tier: "", changed: true, reason: ReasonDowngraded}},
		{"a refund net of the spend leaves the member short", State{}, spend("2026-05", 50000-1), "2026-06-10",
			want{tier: ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, Evaluate(set, c.state, c.stats, at(c.now, utc), utc), c.want, utc)
		})
	}
}

func TestEvaluateLifetimeByOrders(t *testing.T) {
	set := Ladder{Metric: Orders, Window: Lifetime, GraceDays: 14, Tiers: []Tier{
		{Key: "regular", Name: "Regular", Threshold: 5}, {Key: "vip", Name: "VIP", Threshold: 20}}}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	orders := func(before int64, kv ...any) Stats {
		s := Stats{Before: Totals{Orders: before}, Months: map[string]Totals{}}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Months[kv[i].(string)] = Totals{Orders: int64(kv[i+1].(int))}
		}
		return s
	}
	vip := State{Tier: "vip", Earned: "vip"}
	cases := []struct {
		name  string
		set   Ladder
		state State
		stats Stats
		now   string
		want  want
	}{
		{"orders from years ago count toward a lifetime tier", set, State{}, orders(4, "2026-06", 1), "2026-06-10",
			want{tier: "regular", changed: true, reason: ReasonQualified}},
		{"a lifetime tier needs no review", set, vip, orders(20), "2040-01-01",
			want{tier: "vip"}},
		{"a refund below the threshold starts the grace period at once", set, vip, orders(20, "2026-06", -1), "2026-06-10",
			want{tier: "vip", grace: true, started: true, nextReview: "2026-06-24"}},
		{"the grace period ends in a downgrade to what the orders support", set,
			State{Tier: "vip", Earned: "vip", GraceUntil: ptr(at("2026-06-24", utc))}, orders(20, "2026-06", -1), "2026-06-24",
			want{tier: "regular", changed: true, reason: ReasonDowngraded}},
		{"a new order during the grace period keeps the tier", set,
			State{Tier: "vip", Earned: "vip", GraceUntil: ptr(at("2026-06-24", utc))}, orders(20, "2026-06", 0), "2026-06-20",
			want{tier: "vip"}},
		{"without a grace period a refund downgrades at once", with(set, func(s *Ladder) { s.GraceDays = 0 }), vip, orders(19), "2026-06-10",
			want{tier: "regular", changed: true, reason: ReasonDowngraded}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, Evaluate(c.set, c.state, c.stats, at(c.now, utc), utc), c.want, utc)
		})
	}
}

func TestEvaluateManual(t *testing.T) {
	set := ladder()
	gold := func(until string) *Manual {
		m := &Manual{Tier: "gold", Reason: "influencer", Actor: "staff", At: at("2026-06-01", utc)}
		if until != "" {
			m.Until = ptr(at(until, utc))
		}
		return m
	}
	silver := pts("2026-03", 1200)
	cases := []struct {
		name  string
		state State
		stats Stats
		now   string
		want  want
	}{
		{"a manual Gold overrides the earned Silver until it expires", State{Tier: "silver", Earned: "silver", Manual: gold("2026-09-01")}, silver, "2026-06-02",
			want{tier: "gold", changed: true, reason: ReasonManual, qu: "2028-01-01", nextReview: "2026-09-01"}},
		{"when it expires the member returns to the earned Silver", State{Tier: "gold", Earned: "silver", Manual: gold("2026-09-01")}, silver, "2026-09-01",
			want{tier: "silver", changed: true, reason: ReasonManualEnded, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"when it expires with nothing earned the member has no tier", State{Tier: "gold", Manual: gold("2026-09-01")}, Stats{}, "2026-09-01",
			want{tier: "", changed: true, reason: ReasonManualEnded}},
		{"removing it returns the member to the earned tier", State{Tier: "gold", Earned: "silver"}, silver, "2026-07-01",
			want{tier: "silver", changed: true, reason: ReasonManualEnded, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"an assignment without expiry lasts", State{Tier: "gold", Earned: "silver", Manual: gold("")}, silver, "2035-07-01",
			want{tier: "gold", nextReview: "2036-01-01"}},
		{"a manual Silver overrides an earned Gold downwards", State{Tier: "gold", Earned: "gold", QualifiedUntil: ptr(at("2028-01-01", utc)),
			Manual: &Manual{Tier: "silver", Reason: "abuse"}}, pts("2026-03", 6000), "2026-06-02",
			want{tier: "silver", changed: true, reason: ReasonManual, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"activity earns a higher tier underneath, shown when the assignment ends", State{Tier: "silver", Earned: "", Manual: &Manual{Tier: "silver", Until: ptr(at("2026-09-01", utc))}},
			pts("2026-05", 7000), "2026-09-01",
			want{tier: "gold", changed: true, reason: ReasonManualEnded, qu: "2028-01-01", nextReview: "2028-01-01"}},
		{"an assignment naming a tier no longer configured is dropped", State{Tier: "platinum", Earned: "silver", Manual: &Manual{Tier: "platinum"}}, silver, "2026-06-02",
			want{tier: "silver", changed: true, reason: ReasonReconfigured, qu: "2028-01-01", nextReview: "2028-01-01"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Evaluate(set, c.state, c.stats, at(c.now, utc), utc)
			check(t, d, c.want, utc)
			if c.want.reason == ReasonManualEnded && d.State.Manual != nil {
				t.Errorf("the ended assignment is still stored: %+v", d.State.Manual)
			}
		})
	}
}

func TestEvaluateSinceAndDirection(t *testing.T) {
	set := ladder()
	now := at("2026-06-15", utc)
	up := Evaluate(set, State{}, pts("2026-06", 1000), now, utc)
	if !up.Up || up.State.Since == nil || !up.State.Since.Equal(now) {
		t.Fatalf("upgrade: up %v since %s", up.Up, show(up.State.Since))
	}
	same := Evaluate(set, up.State, pts("2026-06", 1100), now.Add(time.Hour), utc)
	if same.Changed || !same.State.Since.Equal(now) {
		t.Fatalf("no change must keep since: %+v", same)
	}
	noGrace := with(set, func(s *Ladder) { s.GraceDays = 0 })
	down := Evaluate(noGrace, same.State, Stats{}, at("2028-01-01", utc), utc)
	if !down.Changed || down.Up || down.State.Since != nil || down.Reason != ReasonDowngraded {
		t.Fatalf("downgrade: %+v", down)
	}
}
