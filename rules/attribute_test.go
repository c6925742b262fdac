package rules

import (
	"testing"
	"time"
)

func TestAttributed(t *testing.T) {
	saturday := time.Date(2024, 6, 8, 12, 0, 0, 0, time.UTC)
	weekend := Rule{ID: "weekend", Kind: KindMultiplier, Multiplier: 20000, Schedule: &Schedule{Days: []string{"sat", "sun"}}}
	vip := Rule{ID: "vip", Kind: KindMultiplier, Multiplier: 15000}
	bonus := Rule{ID: "bonus", Kind: KindSpend, Spend: &Spend{Table: []Threshold{{Min: 5000, Points: 10}}}}
	for _, tc := range []struct {
		name  string
		rules []Rule
		want  map[string]int64
	}{
		{"a spend rule owes its own points", []Rule{perZloty("base", 1), bonus},
			map[string]int64{"base": 100, "bonus": 10, "weekend": 0}},
		{"a multiplier owes the extra it added", []Rule{perZloty("base", 1), weekend},
			map[string]int64{"base": 200, "weekend": 100}},
		// x2 and x1.5 combine to x3: 200 extra points, shared 1.0 : 0.5 between them.
		{"stacked multipliers share the extra by what each adds over 1x", []Rule{perZloty("base", 1), weekend, vip},
			map[string]int64{"base": 300, "weekend": 133, "vip": 66}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustCompile(t, Set{TimeZone: "UTC", Rules: tc.rules})
			in := paid(10000)
			in.At = saturday
			r := Evaluate(cs, in)
			for id, want := range tc.want {
				if got := r.Attributed(id); got != want {
					t.Errorf("%s: %d, want %d (%+v)", id, got, want, r.Explanations)
				}
			}
		})
	}
}
