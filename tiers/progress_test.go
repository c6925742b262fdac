package tiers

import "testing"

func TestProgress(t *testing.T) {
	set := ladder()
	cases := []struct {
		name  string
		set   Ladder
		state State
		stats Stats
		now   string
		text  string
	}{
		{"a member without a tier sees the first goal", set, State{}, pts("2026-03", 300), "2026-09-10",
			"700 more points to reach Silver by 2026-12-31"},
		{"a Silver member sees the next tier and what keeps this one", set, silverUntil("2028-01-01"), pts("2026-03", 1300), "2026-09-10",
			"3700 more points to reach Gold by 2026-12-31; 1000 more points to keep Silver by 2027-12-31"},
		{"in the year that decides, this year's activity counts toward keeping", set, silverUntil("2028-01-01"), pts("2026-03", 1300, "2027-02", 250), "2027-03-01",
			"4750 more points to reach Gold by 2027-12-31; 750 more points to keep Silver by 2027-12-31"},
		{"during the grace period the deadline is its end", set, silverUntil("2028-01-01"), pts("2027-02", 250, "2028-01", 1), "2028-01-05",
			"4999 more points to reach Gold by 2028-12-31; 999 more points to keep Silver by 2028-01-30"},
		{"at the top only keeping is left", set, State{}, pts("2026-03", 5000), "2026-04-01",
			"Gold is the top tier; 5000 more points to keep Gold by 2027-12-31"},
		{"a manual assignment says until when", set, State{Tier: "silver", Earned: "silver", Manual: &Manual{Tier: "gold", Until: ptr(at("2026-12-01", utc))}},
			pts("2026-03", 1300), "2026-09-10",
			"Gold assigned until 2026-11-30"},
		{"spend is shown in major units", with(set, func(s *Ladder) { s.Metric = Spend }), State{}, Stats{Months: map[string]Totals{"2026-03": {Spend: 950}}}, "2026-09-10",
			"0.50 more spend to reach Silver by 2026-12-31"},
		{"one order is singular", Ladder{Metric: Orders, Window: Lifetime, Tiers: []Tier{{Key: "vip", Name: "VIP", Threshold: 3}}},
			State{}, Stats{Before: Totals{Orders: 2}}, "2026-09-10",
			"1 more order to reach VIP"},
		{"rolling goals are due at the month end, when the oldest month drops out", with(set, func(s *Ladder) { s.Window = Rolling12Months }), State{}, pts("2025-11", 600), "2026-09-10",
			"400 more points to reach Silver by 2026-09-30"},
		{"a lifetime tier in its grace period needs new activity by its end", Ladder{Metric: Orders, Window: Lifetime, GraceDays: 14, Tiers: []Tier{{Key: "vip", Name: "VIP", Threshold: 3}}},
			State{Tier: "vip", Earned: "vip"}, Stats{Before: Totals{Orders: 3}, Months: map[string]Totals{"2026-09": {Orders: -1}}}, "2026-09-10",
			"VIP is the top tier; 1 more order to keep VIP by 2026-09-23"},
		{"a manual tier still shows the way up", set, State{Manual: &Manual{Tier: "silver"}}, pts("2026-03", 300), "2026-09-10",
			"Silver assigned by staff; 4700 more points to reach Gold by 2026-12-31"},
		{"no tiers, no progress", Ladder{Metric: PointsEarned, Window: CalendarYear}, State{}, pts("2026-03", 300), "2026-09-10", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Progress(c.set, c.state, c.stats, at(c.now, utc), utc)
			if r.Text != c.text {
				t.Fatalf("text %q\nwant %q", r.Text, c.text)
			}
		})
	}
}

func TestProgressNumbers(t *testing.T) {
	r := Progress(ladder(), silverUntil("2028-01-01"), pts("2026-03", 1300), at("2026-09-10", utc), utc)
	if r.Tier != "silver" || r.Next == nil || r.Next.Tier != "gold" || r.Next.Have != 1300 || r.Next.Need != 3700 ||
		!r.Next.By.Equal(at("2027-01-01", utc)) {
		t.Fatalf("next %+v", r.Next)
	}
	if r.Keep == nil || r.Keep.Tier != "silver" || r.Keep.Have != 0 || r.Keep.Need != 1000 || !r.Keep.By.Equal(at("2028-01-01", utc)) {
		t.Fatalf("keep %+v", r.Keep)
	}
}
