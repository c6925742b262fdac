package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func TestCapsLimitsAndBudgets(t *testing.T) {
	capped := perZloty("capped", 1)
	capped.Cap = &Cap{Points: 500, Per: PerMonth}
	welcome := Rule{ID: "welcome", Name: "Welcome bonus", Kind: KindAction, Event: tenure.CustomerCreated, Points: 100,
		Limit: &Limit{Count: 1, Per: PerLifetime}}
	share := Rule{ID: "share", Kind: KindAction, Event: tenure.SocialShared, Points: 5, Limit: &Limit{Count: 1, Per: PerDay}}
	promo := perZloty("promo", 1)
	promo.Budget = 100
	campA := Rule{ID: "camp-a", Kind: KindSpend, Spend: &Spend{Points: 1}, Campaign: "spring", Budget: 1000}
	campB := Rule{ID: "camp-b", Kind: KindSpend, Spend: &Spend{Points: 1}, Campaign: "spring", Budget: 1000}

	for _, tc := range []struct {
		name    string
		rules   []Rule
		in      Input
		usage   map[string]Usage
		budgets map[string]int64
		want    int64
		rule    string
		reason  string
	}{
		{"a cap leaves room", []Rule{capped}, paid(10000), map[string]Usage{"capped": {Month: Counter{3, 300}}}, nil, 100, "capped", "= 100 pts"},
		{"a cap cuts an award down", []Rule{capped}, paid(30000), map[string]Usage{"capped": {Month: Counter{3, 300}}}, nil, 200, "capped",
			"cut to 200 pts by the cap of 500 pts a month (300 pts earned already)"},
		{"a reached cap stops the rule", []Rule{capped}, paid(30000), map[string]Usage{"capped": {Month: Counter{5, 500}, Day: Counter{0, 0}}}, nil, 0, "capped",
			"cap reached: 500 pts a month"},
		{"a cap counts only its own period", []Rule{capped}, paid(30000), map[string]Usage{"capped": {Year: Counter{9, 5000}}}, nil, 300, "capped", ""},
		{"once per member: first time", []Rule{welcome}, actionInput(tenure.CustomerCreated, nil), nil, nil, 100, "welcome", "100 pts for customer.created"},
		{"once per member: second time", []Rule{welcome}, actionInput(tenure.CustomerCreated, nil), map[string]Usage{"welcome": {Lifetime: Counter{1, 100}}}, nil, 0, "welcome",
			"limit reached: once per member"},
		{"once a day: another day", []Rule{share}, actionInput(tenure.SocialShared, nil), map[string]Usage{"share": {Week: Counter{1, 5}, Lifetime: Counter{4, 20}}}, nil, 5, "share", ""},
		{"once a day: same day", []Rule{share}, actionInput(tenure.SocialShared, nil), map[string]Usage{"share": {Day: Counter{1, 5}}}, nil, 0, "share",
			"limit reached: once a day"},
		{"an untouched budget is whole", []Rule{promo}, paid(30000), nil, nil, 100, "promo", "cut to 100 pts, all that was left of the budget"},
		{"never more than the remaining budget", []Rule{promo}, paid(30000), nil, map[string]int64{"rule:promo": 30}, 30, "promo", "cut to 30 pts"},
		{"an exhausted budget stops the rule", []Rule{promo}, paid(30000), nil, map[string]int64{"rule:promo": 0}, 0, "promo", "budget exhausted"},
		{"an overdrawn budget stops the rule", []Rule{promo}, paid(30000), nil, map[string]int64{"rule:promo": -5}, 0, "promo", "budget exhausted"},
		{"rules of one campaign share its budget", []Rule{campA, campB}, paid(4000), nil, map[string]int64{"campaign:spring": 50}, 50, "camp-b",
			"cut to 10 pts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustCompile(t, Set{Rules: tc.rules})
			in := tc.in
			in.Usage, in.Budgets = tc.usage, tc.budgets
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

func TestResultReportsWhatToPersist(t *testing.T) {
	a := Rule{ID: "a", Kind: KindSpend, Spend: &Spend{Points: 1}, Campaign: "spring", Budget: 1000}
	b := Rule{ID: "b", Kind: KindSpend, Spend: &Spend{Points: 2}, Campaign: "spring", Budget: 1000}
	c := Rule{ID: "c", Kind: KindSpend, Spend: &Spend{Points: 1}, Condition: "false"}
	cs := mustCompile(t, Set{TimeZone: "Europe/Warsaw", Rules: []Rule{a, b, c}})
	in := paid(10000)
	in.At = time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC) // already 2025 in Warsaw
	r := Evaluate(cs, in)
	want := []Increment{{"a", 100}, {"b", 200}}
	if len(r.Usage) != 2 || r.Usage[0] != want[0] || r.Usage[1] != want[1] {
		t.Fatalf("usage %+v, want %+v", r.Usage, want)
	}
	if len(r.Budgets) != 1 || r.Budgets[0] != (BudgetUse{"campaign:spring", 300}) {
		t.Fatalf("budgets %+v", r.Budgets)
	}
	if r.Periods != (Periods{Day: "2025-01-01", Week: "2025-W01", Month: "2025-01", Year: "2025"}) {
		t.Fatalf("periods %+v", r.Periods)
	}
}
