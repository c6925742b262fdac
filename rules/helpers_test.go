package rules

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// noon is a Wednesday in summer, away from any schedule edge.
var noon = time.Date(2024, 6, 12, 12, 0, 0, 0, time.UTC)

func mustCompile(t testing.TB, s Set) *CompiledSet {
	t.Helper()
	cs, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return cs
}

// paid is an order.paid event for an order of one line worth amount minor units.
func paid(amount int64) Input {
	return orderInput(tenure.OrderLine{LineID: "1", ProductID: "p1", Category: "misc", Quantity: 1, UnitPrice: amount})
}

// orderInput is an order.paid event at noon for an order of the given lines.
func orderInput(lines ...tenure.OrderLine) Input {
	return Input{
		At:    noon,
		Event: tenure.Event{ID: "e1", Type: tenure.OrderPaid, CustomerID: "c1"},
		Order: &tenure.Order{ExternalID: "o1", Currency: "PLN", Lines: lines},
	}
}

func actionInput(t tenure.EventType, props map[string]any) Input {
	return Input{At: noon, Event: tenure.Event{ID: "e1", Type: t, CustomerID: "c1", Properties: props}}
}

// perZloty is a spend rule giving n points per 1 zł.
func perZloty(id string, n int64) Rule {
	return Rule{ID: id, Kind: KindSpend, Spend: &Spend{Points: n}}
}

func explain(t testing.TB, r Result, id string) Explanation {
	t.Helper()
	for _, x := range r.Explanations {
		if x.RuleID == id {
			return x
		}
	}
	t.Fatalf("no explanation for rule %q in %+v", id, r.Explanations)
	return Explanation{}
}

// checkInvariants asserts what every result must satisfy, whatever the rules.
func checkInvariants(t testing.TB, cs *CompiledSet, in Input, r Result) {
	t.Helper()
	var sum int64
	fired := 0
	for _, x := range r.Explanations {
		if x.Points < 0 || (!x.Fired && x.Points != 0) {
			t.Fatalf("bad explanation %+v", x)
		}
		if x.Reason == "" {
			t.Fatalf("explanation without a reason: %+v", x)
		}
		if x.Fired && x.Kind != KindMultiplier {
			fired++
		}
		sum += x.Points
	}
	if r.Points != sum || r.Points < 0 {
		t.Fatalf("total %d, explanations add up to %d", r.Points, sum)
	}
	if len(r.Usage) != fired {
		t.Fatalf("%d usage increments for %d fired rules", len(r.Usage), fired)
	}
	for _, b := range r.Budgets {
		if left, ok := in.Budgets[b.Key]; ok && b.Points > max(left, 0) {
			t.Fatalf("took %d from budget %s with %d left", b.Points, b.Key, left)
		}
	}
	for _, u := range r.Usage {
		for _, c := range cs.rules {
			if c.ID == u.RuleID && c.Cap != nil && u.Points+in.Usage[c.ID].In(c.Cap.Per).Points > c.Cap.Points {
				t.Fatalf("rule %s passed its cap: %d", c.ID, u.Points)
			}
		}
	}
}
