package rules

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
)

// seed003 is the threshold table of seed [003]: 100 zł -> 10, 200 zł -> 25, 500 zł -> 70.
var seed003 = Rule{ID: "tiers", Name: "Spend tiers", Kind: KindSpend, Spend: &Spend{Table: []Threshold{
	{Min: 10000, Points: 10}, {Min: 20000, Points: 25}, {Min: 50000, Points: 70}}}}

func TestThresholdTable(t *testing.T) {
	cs := mustCompile(t, Set{TimeZone: "Europe/Warsaw", Rules: []Rule{seed003}})
	for _, tc := range []struct {
		name   string
		amount int64
		want   int64
		reason string
	}{
		{"100 zł reaches the first row", 10000, 10, "order 100.00 reached the threshold 100.00: 10 pts"},
		{"200 zł reaches the second row", 20000, 25, "reached the threshold 200.00"},
		{"500 zł reaches the top row", 50000, 70, "reached the threshold 500.00"},
		{"99,99 zł is below the first threshold", 9999, 0, "order 99.99 below the first threshold 100.00"},
		{"499,99 zł stays on the second row", 49999, 25, "reached the threshold 200.00"},
		{"2000 zł earns the top row only", 200000, 70, "reached the threshold 500.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := paid(tc.amount)
			r := Evaluate(cs, in)
			checkInvariants(t, cs, in, r)
			x := explain(t, r, "tiers")
			if r.Points != tc.want || x.Points != tc.want || x.Fired != (tc.want > 0) {
				t.Fatalf("points %d (explanation %+v), want %d", r.Points, x, tc.want)
			}
			if !strings.Contains(x.Reason, tc.reason) {
				t.Fatalf("reason %q, want it to contain %q", x.Reason, tc.reason)
			}
		})
	}
}

func TestPointsPerUnit(t *testing.T) {
	coffee := tenure.OrderLine{LineID: "1", ProductID: "espresso", SKU: "ESP-1", Category: "Coffee", Brand: "Lavazza", Quantity: 2, UnitPrice: 2500}
	tea := tenure.OrderLine{LineID: "2", ProductID: "sencha", Category: "tea", Brand: "Teekanne", Quantity: 1, UnitPrice: 3050}
	gift := tenure.OrderLine{LineID: "3", ProductID: "gift-card-100", Category: "gift-cards", Quantity: 1, UnitPrice: 10000}
	for _, tc := range []struct {
		name     string
		spend    Spend
		rounding Rounding
		in       Input
		want     int64
		reason   string
	}{
		{"one point per złoty, rounded down", Spend{Points: 1}, "", orderInput(coffee, tea), 80, "1 pt per 1.00 on order 80.50 = 80 pts"},
		{"rounding half up", Spend{Points: 1}, RoundHalfUp, orderInput(coffee, tea), 81, ""},
		{"rounding up", Spend{Points: 1}, RoundCeil, orderInput(tea), 31, ""},
		{"one point per 10 zł", Spend{Points: 1, Unit: 1000}, "", orderInput(coffee, tea), 8, "1 pt per 10.00"},
		{"excluded category earns nothing", Spend{Points: 1, ExcludeCategories: []string{"GIFT-CARDS"}}, "", orderInput(coffee, gift), 50, "eligible amount 50.00"},
		{"excluded product by sku", Spend{Points: 1, ExcludeProducts: []string{"esp-1"}}, "", orderInput(coffee, tea), 30, ""},
		{"excluded brand", Spend{Points: 1, ExcludeBrands: []string{"teekanne"}}, "", orderInput(coffee, tea), 50, ""},
		{"every line excluded", Spend{Points: 1, ExcludeCategories: []string{"gift-cards"}}, "", orderInput(gift), 0, "nothing in the order earns points"},
		{"2x on category coffee", Spend{Points: 1, LineMultipliers: []LineMultiplier{{Category: "coffee", Multiplier: 20000}}}, "", orderInput(coffee, tea), 130, "(1 line boosted)"},
		{"first matching line multiplier wins", Spend{Points: 1, LineMultipliers: []LineMultiplier{{Brand: "lavazza", Multiplier: 30000}, {Category: "coffee", Multiplier: 20000}}}, "", orderInput(coffee), 150, ""},
		{"below the minimum order", Spend{Points: 1, MinOrder: 10000}, "", orderInput(coffee, tea), 0, "order 80.50 below the minimum 100.00"},
		{"shipping counts when included", Spend{Points: 1, IncludeShipping: true}, "", withShipping(orderInput(tea), 1550), 46, ""},
		{"shipping ignored by default", Spend{Points: 1}, "", withShipping(orderInput(tea), 1550), 30, ""},
		{"the order discount is shared across lines", Spend{Points: 1, ExcludeCategories: []string{"tea"}}, "", withDiscount(orderInput(coffee, coffee2(), tea), 5000), 61, "eligible amount 61.24"},
		{"a discount above the lines leaves nothing", Spend{Points: 1}, "", withDiscount(orderInput(tea), 999999), 0, ""},
		{"no order, no points", Spend{Points: 1}, "", Input{At: noon, Event: tenure.Event{Type: tenure.OrderPaid}}, 0, "the event carries no order"},
		{"order data carried by the event", Spend{Points: 2}, "", Input{At: noon, Event: tenure.Event{Type: tenure.OrderPaid,
			Order: &tenure.OrderData{ID: "o9", Lines: []tenure.LineData{{Quantity: 3, UnitPrice: 1000}}}}}, 60, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spend
			cs := mustCompile(t, Set{Rules: []Rule{{ID: "spend", Kind: KindSpend, Spend: &s, Rounding: tc.rounding}}})
			r := Evaluate(cs, tc.in)
			checkInvariants(t, cs, tc.in, r)
			x := explain(t, r, "spend")
			if r.Points != tc.want {
				t.Fatalf("points %d, want %d (%s)", r.Points, tc.want, x.Reason)
			}
			if !strings.Contains(x.Reason, tc.reason) {
				t.Fatalf("reason %q, want it to contain %q", x.Reason, tc.reason)
			}
		})
	}
}

func coffee2() tenure.OrderLine {
	return tenure.OrderLine{LineID: "4", ProductID: "arabica", Category: "coffee", Quantity: 1, UnitPrice: 4950}
}

func withShipping(in Input, s int64) Input { in.Order.Shipping = s; return in }
func withDiscount(in Input, d int64) Input { in.Order.Discount = d; return in }

// The flat program setting and the rule made from it agree on every order.
func TestFromProgramMatchesTheFlatSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		prog func(*tenure.Program)
	}{
		{"default program", func(*tenure.Program) {}},
		{"shipping included", func(p *tenure.Program) { p.IncludeShipping = true }},
		{"5 points per unit with a minimum order", func(p *tenure.Program) { p.PointsPerUnit, p.MinOrder = 5, 30000 }},
		{"earning switched off", func(p *tenure.Program) { p.PointsPerUnit = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tenure.DefaultProgram()
			tc.prog(&p)
			cs := mustCompile(t, SetFromProgram(p))
			for _, o := range []tenure.Order{
				{Lines: []tenure.OrderLine{{Quantity: 1, UnitPrice: 9999}}},
				{Lines: []tenure.OrderLine{{Quantity: 3, UnitPrice: 12345, Discount: 1001}}, Shipping: 1599, Discount: 777},
				{Lines: []tenure.OrderLine{{Quantity: 1, UnitPrice: 30000}, {Quantity: 7, UnitPrice: 1}}, Shipping: 99},
				{Lines: []tenure.OrderLine{{Quantity: 1, UnitPrice: 500}}, Discount: 800, Shipping: 2000},
				{Shipping: 5000},
			} {
				in := orderInput(o.Lines...)
				in.Order.Shipping, in.Order.Discount = o.Shipping, o.Discount
				amount := o.Subtotal()
				if p.IncludeShipping {
					amount += o.Shipping
				}
				want := int64(0)
				if amount >= p.MinOrder && amount > 0 {
					want = amount * p.PointsPerUnit / 100
				}
				if r := Evaluate(cs, in); r.Points != want {
					t.Fatalf("order %+v: rule gives %d, flat setting %d (%+v)", o, r.Points, want, r.Explanations)
				}
			}
		})
	}
}
