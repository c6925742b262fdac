package rules

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// weekendSet is "double points at the weekend" in Europe/Warsaw, saved as JSON through the
// API, on top of one point per złoty.
const weekendSet = `{
  "time_zone": "Europe/Warsaw",
  "rules": [
    {"id": "base", "name": "1 pt per zł", "kind": "spend", "spend": {"points": 1}},
    {"id": "weekend", "name": "Weekend double points", "kind": "multiplier", "multiplier_bp": 20000,
     "schedule": {"days": ["sat", "sun"]}}
  ]
}`

func TestWeekendCampaign(t *testing.T) {
	var s Set
	if err := json.Unmarshal([]byte(weekendSet), &s); err != nil {
		t.Fatal(err)
	}
	cs := mustCompile(t, s)
	for _, tc := range []struct {
		name   string
		at     time.Time
		want   int64
		reason string
	}{
		{"Friday 22:30 UTC in summer is Saturday 00:30 in Warsaw", time.Date(2024, 6, 7, 22, 30, 0, 0, time.UTC), 200, "x2 applied"},
		{"Friday 21:30 UTC in summer is still Friday 23:30 in Warsaw", time.Date(2024, 6, 7, 21, 30, 0, 0, time.UTC), 100,
			"outside campaign days (Fri 23:30 Europe/Warsaw; runs Sat, Sun)"},
		{"Friday 23:30 UTC in winter is Saturday 00:30 in Warsaw", time.Date(2024, 12, 6, 23, 30, 0, 0, time.UTC), 200, "x2 applied"},
		{"Friday 22:30 UTC in winter is Friday 23:30 in Warsaw", time.Date(2024, 12, 6, 22, 30, 0, 0, time.UTC), 100, "Fri 23:30 Europe/Warsaw"},
		{"Sunday 21:59 UTC in summer is Sunday 23:59 in Warsaw", time.Date(2024, 6, 9, 21, 59, 0, 0, time.UTC), 200, "x2 applied"},
		{"Sunday 22:00 UTC in summer is Monday in Warsaw", time.Date(2024, 6, 9, 22, 0, 0, 0, time.UTC), 100, "Mon 00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := paid(10000)
			in.At = tc.at
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			if r.Points != tc.want {
				t.Fatalf("points %d, want %d: %+v", r.Points, tc.want, r.Explanations)
			}
			if x := explain(t, r, "weekend"); !strings.Contains(x.Reason, tc.reason) {
				t.Fatalf("reason %q, want it to contain %q", x.Reason, tc.reason)
			}
		})
	}
}

func TestOccurredAtIsTheDefaultInstant(t *testing.T) {
	var s Set
	if err := json.Unmarshal([]byte(weekendSet), &s); err != nil {
		t.Fatal(err)
	}
	cs := mustCompile(t, s)
	in := paid(10000)
	in.At = time.Time{}
	in.Event.OccurredAt = time.Date(2024, 6, 8, 10, 0, 0, 0, time.UTC) // Saturday
	if r := Evaluate(cs, in); r.Points != 200 {
		t.Fatalf("points %d, want 200", r.Points)
	}
}

func TestCampaignHoursAndWindow(t *testing.T) {
	start := time.Date(2024, 11, 29, 0, 0, 0, 0, time.UTC)
	end := start.Add(72 * time.Hour)
	cs := mustCompile(t, Set{TimeZone: "Europe/Warsaw", Rules: []Rule{
		perZloty("base", 1),
		{ID: "happy", Name: "Happy hours", Kind: KindMultiplier, Multiplier: 30000, Schedule: &Schedule{FromHour: 18}},
		{ID: "bf", Name: "Black Friday", Kind: KindSpend, Spend: &Spend{Points: 1}, StartsAt: &start, EndsAt: &end},
	}})
	for _, tc := range []struct {
		name   string
		at     time.Time
		want   int64
		rule   string
		reason string
	}{
		{"happy hours run from 18:00 local", time.Date(2024, 6, 12, 16, 0, 0, 0, time.UTC), 300, "happy", "x3 applied"},
		{"17:59 local is outside the hours", time.Date(2024, 6, 12, 15, 59, 0, 0, time.UTC), 100, "happy",
			"outside campaign hours (Wed 17:59 Europe/Warsaw; runs 18:00-24:00)"},
		{"before the window", start.Add(-time.Minute), 100, "bf", "not started yet: starts Fri 29 Nov 2024 01:00 Europe/Warsaw"},
		{"inside the window", start, 200, "bf", "1 pt per 1.00"},
		{"the end is exclusive", end, 100, "bf", "ended Mon 2 Dec 2024 01:00 Europe/Warsaw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := paid(10000)
			in.At = tc.at
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			if r.Points != tc.want {
				t.Fatalf("points %d, want %d: %+v", r.Points, tc.want, r.Explanations)
			}
			if x := explain(t, r, tc.rule); !strings.Contains(x.Reason, tc.reason) {
				t.Fatalf("reason %q, want it to contain %q", x.Reason, tc.reason)
			}
		})
	}
}

func TestTierMultiplier(t *testing.T) {
	cs := mustCompile(t, Set{Rules: []Rule{
		{ID: "gold", Name: "Gold members", Kind: KindMultiplier, Multiplier: 15000, Condition: `member.tier == "gold"`},
		perZloty("base", 1),
	}})
	for _, tc := range []struct {
		name       string
		tier       string
		want       int64
		multiplier BasisPoints
		reason     string
		gold       string
	}{
		{"gold earns 1.5x, rounded once after multiplying", "gold", 185, 15000,
			"1 pt per 1.00 on order 123.45 = 123 pts; x1.5 Gold members = 185 pts", "x1.5 applied"},
		{"silver earns the base", "silver", 123, OneX, "= 123 pts", `condition false: member.tier == "gold"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := paid(12345)
			in.Member.Tier = tc.tier
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			base := explain(t, r, "base")
			if r.Points != tc.want || base.Multiplier != tc.multiplier || base.BasePoints != 123 {
				t.Fatalf("got %d pts, explanation %+v", r.Points, base)
			}
			if base.Reason != tc.reason && !strings.HasSuffix(base.Reason, tc.reason) {
				t.Fatalf("reason %q, want %q", base.Reason, tc.reason)
			}
			if g := explain(t, r, "gold"); g.Reason != tc.gold || g.Fired != (tc.tier == "gold") {
				t.Fatalf("gold explanation %+v", g)
			}
			if tc.tier == "gold" && !reflect.DeepEqual(base.MultipliedBy, []string{"gold"}) {
				t.Fatalf("multiplied by %v", base.MultipliedBy)
			}
		})
	}
}

func TestMultipliersCombine(t *testing.T) {
	rules := []Rule{
		{ID: "gold", Name: "Gold", Kind: KindMultiplier, Multiplier: 15000, Priority: 5},
		{ID: "weekend", Name: "Weekend", Kind: KindMultiplier, Multiplier: 20000},
		{ID: "vip-only", Kind: KindMultiplier, Multiplier: 50000, Targets: []string{"other"}},
		perZloty("base", 1),
		perZloty("other", 1),
	}
	t.Run("multipliers multiply each other", func(t *testing.T) {
		cs := mustCompile(t, Set{Rules: rules})
		in := paid(1000)
		r := Evaluate(cs, in)
		base, other := explain(t, r, "base"), explain(t, r, "other")
		if base.Points != 30 || base.Multiplier != 30000 || !reflect.DeepEqual(base.MultipliedBy, []string{"gold", "weekend"}) {
			t.Fatalf("base %+v", base)
		}
		if other.Points != 150 || other.Multiplier != 150000 {
			t.Fatalf("a targeted multiplier applies only to its targets: %+v", other)
		}
	})
	t.Run("an exclusive multiplier stops lower ones", func(t *testing.T) {
		ex := append([]Rule(nil), rules...)
		ex[0].Stacking = StackExclusive
		cs := mustCompile(t, Set{Rules: ex})
		r := Evaluate(cs, paid(1000))
		if base := explain(t, r, "base"); base.Points != 15 || base.Multiplier != 15000 {
			t.Fatalf("base %+v", base)
		}
		if w := explain(t, r, "weekend"); w.Fired || !strings.Contains(w.Reason, `skipped: the exclusive multiplier "Gold" applies instead`) {
			t.Fatalf("weekend %+v", w)
		}
	})
	t.Run("a multiplier with nothing to multiply does not fire", func(t *testing.T) {
		cs := mustCompile(t, Set{Rules: rules})
		r := Evaluate(cs, paid(0))
		if g := explain(t, r, "gold"); g.Fired || !strings.Contains(g.Reason, "no rule it multiplies earned points") {
			t.Fatalf("gold %+v", g)
		}
	})
}

func TestStackingAndPriority(t *testing.T) {
	big := Rule{ID: "big", Name: "Big spenders", Kind: KindSpend, Priority: 10, Stacking: StackExclusive,
		Condition: "order.subtotal >= 50000", Spend: &Spend{Points: 3}}
	base := perZloty("base", 1)
	first := Rule{ID: "first", Name: "First order", Kind: KindAction, Event: "order.paid", Points: 50,
		Condition: "member.order_count == 0"}
	for _, tc := range []struct {
		name   string
		rules  []Rule
		amount int64
		want   int64
		order  []string
		reason map[string]string
	}{
		{"an exclusive rule that fires stops lower-priority rules", []Rule{base, big, first}, 60000, 1800 + 50,
			[]string{"big", "base", "first"}, map[string]string{"base": `skipped: the exclusive rule "Big spenders" fired first`}},
		{"an exclusive rule that does not fire stops nothing", []Rule{base, big, first}, 10000, 100 + 50,
			[]string{"big", "base", "first"}, map[string]string{"big": "condition false: order.subtotal >= 50000"}},
		{"stacking rules all fire", []Rule{base, {ID: "extra", Kind: KindSpend, Spend: &Spend{Points: 2}}}, 10000, 300,
			[]string{"base", "extra"}, nil},
		{"ties keep the set's order", []Rule{{ID: "b", Kind: KindSpend, Stacking: StackExclusive, Spend: &Spend{Points: 2}},
			{ID: "a", Kind: KindSpend, Stacking: StackExclusive, Spend: &Spend{Points: 5}}}, 10000, 200,
			[]string{"b", "a"}, map[string]string{"a": `skipped: the exclusive rule "b" fired first`}},
		{"priority decides over the set's order", []Rule{{ID: "b", Kind: KindSpend, Stacking: StackExclusive, Spend: &Spend{Points: 2}},
			{ID: "a", Kind: KindSpend, Priority: 1, Stacking: StackExclusive, Spend: &Spend{Points: 5}}}, 10000, 500,
			[]string{"a", "b"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustCompile(t, Set{Rules: tc.rules})
			in := paid(tc.amount)
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			if r.Points != tc.want {
				t.Fatalf("points %d, want %d: %+v", r.Points, tc.want, r.Explanations)
			}
			var order []string
			for _, x := range r.Explanations {
				order = append(order, x.RuleID)
			}
			if !reflect.DeepEqual(order, tc.order) {
				t.Fatalf("evaluation order %v, want %v", order, tc.order)
			}
			for id, reason := range tc.reason {
				if x := explain(t, r, id); x.Reason != reason {
					t.Fatalf("%s: reason %q, want %q", id, x.Reason, reason)
				}
			}
		})
	}
}
