package rules

import "github.com/tenure-loyalty/tenure"

// DefaultRuleID is the id of the rule FromProgram makes.
const DefaultRuleID = "base"

// FromProgram turns the program's old flat earning setting into the equivalent spend
// rule: PointsPerUnit points per major unit (100 minor units) of the order subtotal, plus
// shipping when IncludeShipping, rounded down, nothing below MinOrder, on order.paid. On
// any order it gives exactly what the flat setting gave.
func FromProgram(p tenure.Program) Rule {
	return Rule{
		ID:       DefaultRuleID,
		Name:     "Points for every purchase",
		Kind:     KindSpend,
		Event:    tenure.OrderPaid,
		Rounding: RoundFloor,
		Spend: &Spend{
			Points:          p.PointsPerUnit,
			Unit:            100,
			MinOrder:        p.MinOrder,
			IncludeShipping: p.IncludeShipping,
		},
	}
}

// SetFromProgram is the rule set a program without rules has: its flat setting as one
// rule, in the program's time zone.
func SetFromProgram(p tenure.Program) Set {
	return Set{TimeZone: p.TimeZone, Rules: []Rule{FromProgram(p)}}
}
