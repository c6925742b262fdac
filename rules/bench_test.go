package rules

import (
	"fmt"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

// fiftyRules is a busy store's rule set: 50 rules, all listening to order.paid, so that
// every one of them is considered for each order — spend rules per unit and by table, with
// exclusions and line multipliers, tier, segment and campaign multipliers, and action
// rules with conditions.
func fiftyRules() Set {
	var rules []Rule
	for i := range 20 {
		rules = append(rules, Rule{ID: fmt.Sprintf("unit-%d", i), Kind: KindSpend, Priority: i % 4,
			Condition: fmt.Sprintf("order.subtotal >= %d", i*1000),
			Spend: &Spend{Points: int64(1 + i%3), ExcludeCategories: []string{"gift-cards"},
				LineMultipliers: []LineMultiplier{{Category: "coffee", Multiplier: 20000}, {Brand: "lavazza", Multiplier: 15000}}},
			Cap: &Cap{Points: 10_000, Per: PerMonth}})
	}
	for i := range 10 {
		rules = append(rules, Rule{ID: fmt.Sprintf("table-%d", i), Kind: KindSpend, Budget: 1_000_000,
			Spend: &Spend{Table: []Threshold{{10000, 10}, {20000, 25}, {50000, 70}}}})
	}
	for i := range 10 {
		m := Rule{ID: fmt.Sprintf("mult-%d", i), Kind: KindMultiplier, Multiplier: 11000}
		switch i % 3 {
		case 0:
			m.Condition = `member.tier == "gold"`
		case 1:
			m.Condition = `"coffee-lovers" in member.segments`
		default:
			m.Schedule = &Schedule{Days: []string{"sat", "sun"}}
		}
		rules = append(rules, m)
	}
	for i := range 10 {
		rules = append(rules, Rule{ID: fmt.Sprintf("action-%d", i), Kind: KindAction, Event: tenure.OrderPaid, Points: 5,
			Condition: "member.order_count < 10 && any(order.lines, .category == \"coffee\")",
			Limit:     &Limit{Count: 3, Per: PerDay}})
	}
	return Set{TimeZone: "Europe/Warsaw", Rules: rules}
}

func fiveLineOrder() Input {
	in := orderInput(
		tenure.OrderLine{LineID: "1", ProductID: "espresso", Category: "coffee", Brand: "Lavazza", Quantity: 2, UnitPrice: 4599},
		tenure.OrderLine{LineID: "2", ProductID: "arabica", Category: "coffee", Brand: "Segafredo", Quantity: 1, UnitPrice: 3999},
		tenure.OrderLine{LineID: "3", ProductID: "sencha", Category: "tea", Brand: "Teekanne", Quantity: 3, UnitPrice: 1999},
		tenure.OrderLine{LineID: "4", ProductID: "mug", Category: "accessories", Quantity: 1, UnitPrice: 2999, Discount: 500},
		tenure.OrderLine{LineID: "5", ProductID: "gc-100", Category: "gift-cards", Quantity: 1, UnitPrice: 10000},
	)
	in.Order.Shipping, in.Order.Discount = 1499, 1000
	in.Member = Member{Tier: "gold", Segments: []string{"coffee-lovers"}, OrderCount: 3}
	in.Usage = map[string]Usage{"unit-1": {Month: Counter{2, 300}}, "action-0": {Day: Counter{1, 5}}}
	in.Budgets = map[string]int64{"rule:table-0": 500}
	return in
}

func BenchmarkEvaluate50Rules(b *testing.B) {
	cs := mustCompile(b, fiftyRules())
	in := fiveLineOrder()
	if r := Evaluate(cs, in); len(r.Explanations) != 50 || r.Points == 0 {
		b.Fatalf("want 50 considered rules and some points, got %d and %d", len(r.Explanations), r.Points)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(cs, in)
	}
}
