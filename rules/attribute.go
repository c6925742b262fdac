package rules

import "slices"

// Attributed returns the points a result owes to one rule: what it gave itself, or, for a
// multiplier, the extra points it added to the rules it multiplied. When several
// multipliers applied to the same award, its extra points (Points - BasePoints) are shared
// between them in proportion to what each adds over 1x. Lift reports use it as the cost of
// a rule.
func (r Result) Attributed(ruleID string) int64 {
	var own int64
	var mult BasisPoints
	for _, x := range r.Explanations {
		if x.RuleID == ruleID {
			if x.Kind != KindMultiplier {
				if x.Fired {
					own += x.Points
				}
				continue
			}
			mult = x.Multiplier
		}
	}
	if mult <= OneX {
		return own
	}
	var extra int64
	for _, x := range r.Explanations {
		if !x.Fired || !slices.Contains(x.MultipliedBy, ruleID) || x.Points <= x.BasePoints {
			continue
		}
		var over int64 // the sum of every applied multiplier's excess over 1x
		for _, id := range x.MultipliedBy {
			for _, m := range r.Explanations {
				if m.RuleID == id && m.Kind == KindMultiplier && m.Multiplier > OneX {
					over += int64(m.Multiplier - OneX)
				}
			}
		}
		if over > 0 {
			extra += (x.Points - x.BasePoints) * int64(mult-OneX) / over
		}
	}
	return own + extra
}
