package rules

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func TestCompileRejectsBadRules(t *testing.T) {
	ok := perZloty("ok", 1)
	action := func(cond string) Rule {
		return Rule{ID: "r", Kind: KindAction, Event: tenure.CustomerCreated, Points: 1, Condition: cond}
	}
	past := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		set     Set
		field   string
		message string
	}{
		{"syntax error with position", Set{Rules: []Rule{ok, action(`member.tier == `)}}, "rules[1].condition", "line 1, column 15: unexpected token EOF"},
		{"syntax error on a later line", Set{Rules: []Rule{action("member.order_count > 1 &&\n  (member.tier == \"gold\"")}}, "rules[0].condition", "line 2, column"},
		{"unknown field", Set{Rules: []Rule{action(`member.tierr == "gold"`)}}, "rules[0].condition", "line 1, column 8: type member has no field tierr"},
		{"unknown variable", Set{Rules: []Rule{action(`customer.tier == "gold"`)}}, "rules[0].condition", "line 1, column 1: unknown name customer"},
		{"type mismatch", Set{Rules: []Rule{action(`member.tier > 3`)}}, "rules[0].condition", "line 1, column 13: invalid operation: > (mismatched types string and int)"},
		{"condition that is not a bool", Set{Rules: []Rule{action(`order.total + 1`)}}, "rules[0].condition", "line 1, column 1: the condition must give true or false, but gives int"},
		{"clock read", Set{Rules: []Rule{action(`now().Hour() > 3`)}}, "rules[0].condition", "unknown name now"},
		{"unbounded builtin", Set{Rules: []Rule{action(`reduce(1..9, #acc + #acc, "ab") != ""`)}}, "rules[0].condition", "line 1, column 1: reduce() is not allowed"},
		{"string amplifier", Set{Rules: []Rule{action(`len(split(join(map(1..9, "ab"), ""), "")) > 0`)}}, "rules[0].condition", "unknown name"},
		{"random map order", Set{Rules: []Rule{action(`keys(member.attributes)[0] == "a"`)}}, "rules[0].condition", "unknown name keys"},
		{"condition too long", Set{Rules: []Rule{action(strings.Repeat("true && ", 200) + "true")}}, "rules[0].condition", "at most 1000 characters"},
		{"too many nodes", Set{Rules: []Rule{action(strings.Repeat("1+", 400) + "1 > 0")}}, "rules[0].condition", ""},
		{"bad bonus condition", Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: tenure.ReviewPosted, Points: 1,
			Bonuses: []Bonus{{Condition: "event.properties.photo ==", Points: 3}}}}}, "rules[0].bonuses[0].condition", "line 1"},
		{"negative action points", Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: tenure.ReviewPosted, Points: -5}}}, "rules[0].points", "between 0 and"},
		{"negative points per unit", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: -1}}}}, "rules[0].spend.points", ""},
		{"negative bonus", Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: tenure.ReviewPosted, Bonuses: []Bonus{{Condition: "true", Points: -1}}}}}, "rules[0].bonuses[0].points", ""},
		{"zero multiplier", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier}}}, "rules[0].multiplier_bp", "between 1 and"},
		{"negative multiplier", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: -15000}}}, "rules[0].multiplier_bp", ""},
		{"zero line multiplier", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1, LineMultipliers: []LineMultiplier{{Category: "coffee"}}}}}},
			"rules[0].spend.line_multipliers[0].multiplier_bp", ""},
		{"line multiplier naming two things", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1,
			LineMultipliers: []LineMultiplier{{Category: "coffee", Brand: "x", Multiplier: 20000}}}}}}, "rules[0].spend.line_multipliers[0].category", "exactly one"},
		{"empty table", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Table: []Threshold{}}}}}, "rules[0].spend.table", "1 to 50 rows"},
		{"unsorted thresholds", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Table: []Threshold{{20000, 25}, {10000, 10}}}}}},
			"rules[0].spend.table[1].min", "thresholds must ascend: 100.00 is below the previous 200.00"},
		{"duplicate thresholds", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Table: []Threshold{{10000, 10}, {10000, 25}}}}}},
			"rules[0].spend.table[1].min", "duplicates the threshold of row 0"},
		{"table and points per unit", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1, Table: []Threshold{{1, 1}}}}}}, "rules[0].spend.points", "not both"},
		{"bad time zone", Set{TimeZone: "Europe/Atlantis", Rules: []Rule{ok}}, "time_zone", "IANA"},
		{"machine-dependent time zone", Set{TimeZone: "Local", Rules: []Rule{ok}}, "time_zone", ""},
		{"hour outside 0-24", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Schedule: &Schedule{FromHour: 18, ToHour: 25}}}}, "rules[0].schedule.to_hour", "between 0 and 24"},
		{"window crossing midnight", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Schedule: &Schedule{FromHour: 22, ToHour: 2}}}}, "rules[0].schedule.to_hour", "two rules"},
		{"unknown day", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Schedule: &Schedule{Days: []string{"sat", "sonntag"}}}}}, "rules[0].schedule.days[1]", ""},
		{"window ending before it starts", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1}, StartsAt: &past, EndsAt: &past}}}, "rules[0].ends_at", ""},
		{"duplicate ids", Set{Rules: []Rule{ok, ok}}, "rules[1].id", "duplicates the id of rules[0]"},
		{"missing id", Set{Rules: []Rule{{Kind: KindSpend, Spend: &Spend{Points: 1}}}}, "rules[0].id", ""},
		{"unknown kind", Set{Rules: []Rule{{ID: "r", Kind: "bonus"}}}, "rules[0].kind", ""},
		{"unknown event", Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: "review.liked", Points: 1}}}, "rules[0].event", "unknown event type"},
		{"custom action without a name", Set{Rules: []Rule{{ID: "r", Kind: KindAction, Event: tenure.CustomAction, Points: 1}}}, "rules[0].action", ""},
		{"spend rule on a refund", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Event: tenure.OrderRefunded, Spend: &Spend{Points: 1}}}}, "rules[0].event", ""},
		{"spend rule without a formula", Set{Rules: []Rule{{ID: "r", Kind: KindSpend}}}, "rules[0].spend", "required"},
		{"unknown target", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Targets: []string{"nope"}}}}, "rules[0].targets[0]", `no rule has id "nope"`},
		{"multiplier of a multiplier", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Targets: []string{"m"}}}}, "rules[0].targets[0]", "is a multiplier"},
		{"cap on a multiplier", Set{Rules: []Rule{{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Budget: 5}}}, "rules[0].cap", ""},
		{"zero cap", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1}, Cap: &Cap{Per: PerDay}}}}, "rules[0].cap.points", ""},
		{"limit per fortnight", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1}, Limit: &Limit{Count: 1, Per: "fortnight"}}}}, "rules[0].limit.per", ""},
		{"negative budget", Set{Rules: []Rule{{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1}, Budget: -1}}}, "rules[0].budget", ""},
		{"campaign rules disagreeing on the budget", Set{Rules: []Rule{{ID: "a", Kind: KindSpend, Spend: &Spend{Points: 1}, Campaign: "x", Budget: 5},
			{ID: "b", Kind: KindSpend, Spend: &Spend{Points: 1}, Campaign: "x", Budget: 6}}}, "rules[1].budget", `campaign "x" already has budget 5`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := Compile(tc.set)
			if err == nil || cs != nil {
				t.Fatalf("compiled; want an error on %s", tc.field)
			}
			var e *tenure.Error
			if !errors.As(err, &e) || e.Kind != tenure.KindInvalid {
				t.Fatalf("error %v is not a tenure.Error of KindInvalid", err)
			}
			for _, f := range e.Fields {
				if f.Field == tc.field && strings.Contains(f.Message, tc.message) {
					return
				}
			}
			t.Fatalf("error %v does not name %s with %q", err, tc.field, tc.message)
		})
	}
}

func TestCompileAcceptsGoodRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule Rule
	}{
		{"full-day schedule", Rule{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Schedule: &Schedule{Days: []string{"Saturday", "SUN"}}}},
		{"evening to midnight", Rule{ID: "m", Kind: KindMultiplier, Multiplier: 20000, Schedule: &Schedule{FromHour: 18, ToHour: 24}}},
		{"multiline condition", Rule{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1},
			Condition: "member.tier in [\"gold\", \"platinum\"]\n  && any(order.lines, .category == \"coffee\")\n  && time.weekday != \"mon\""}},
		{"dates and durations", Rule{ID: "r", Kind: KindSpend, Spend: &Spend{Points: 1},
			Condition: `event.occurred_at - date("2024-01-01") > duration("24h") && member.metrics.clv >= 1000.5`}},
		{"zero points per unit, as a switched-off program has", Rule{ID: "r", Kind: KindSpend, Spend: &Spend{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := (Set{TimeZone: "Europe/Warsaw", Rules: []Rule{tc.rule}}).Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCompiledSetIsSafeForConcurrentUse(t *testing.T) {
	cs := mustCompile(t, Set{TimeZone: "Europe/Warsaw", Rules: []Rule{
		{ID: "gold", Kind: KindMultiplier, Multiplier: 15000, Condition: `member.tier == "gold"`}, seed003, perZloty("base", 1)}})
	want := Evaluate(cs, paid(20000))
	done := make(chan Result)
	for range 4 {
		go func() { done <- Evaluate(cs, paid(20000)) }()
	}
	for range 4 {
		if got := <-done; got.Points != want.Points || len(got.Explanations) != len(want.Explanations) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}

func TestCompiledSetSharesNothingWithTheCaller(t *testing.T) {
	s := Set{Rules: []Rule{seed003.clone(), {ID: "m", Kind: KindMultiplier, Multiplier: 20000, Targets: []string{"tiers"},
		Schedule: &Schedule{Days: []string{"wed"}}}}}
	cs := mustCompile(t, s)
	s.Rules[0].Spend.Table[0].Points = 1000
	s.Rules[1].Targets[0] = "nope"
	s.Rules[1].Schedule.Days[0] = "thu"
	if r := Evaluate(cs, paid(10000)); r.Points != 20 {
		t.Fatalf("changing the saved rules changed the compiled set: %d pts, %+v", r.Points, r.Explanations)
	}
}

func TestRuleSetsRoundTripThroughJSON(t *testing.T) {
	start := time.Date(2024, 11, 29, 0, 0, 0, 0, time.UTC)
	in := Set{TimeZone: "Europe/Warsaw", Rules: []Rule{
		seed003, FromProgram(tenure.DefaultProgram()),
		{ID: "review", Kind: KindAction, Event: tenure.ReviewPosted, Points: 20, Bonuses: []Bonus{{Name: "photo", Condition: "event.properties.photo == true", Points: 30}},
			Limit: &Limit{Count: 1, Per: PerDay}, Cap: &Cap{Points: 100, Per: PerMonth}, Budget: 5000, Campaign: "reviews", StartsAt: &start},
		{ID: "gold", Kind: KindMultiplier, Multiplier: 15000, Condition: `member.tier == "gold"`, Targets: []string{"base"}, Stacking: StackExclusive,
			Schedule: &Schedule{Days: []string{"sat"}, FromHour: 8, ToHour: 20}, Priority: 3},
	}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Set
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the set:\n%s", b)
	}
	mustCompile(t, out)
}
