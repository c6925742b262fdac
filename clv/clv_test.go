package clv

import (
	"math"
	"testing"
)

func TestCLV(t *testing.T) {
	bg := BGNBD{0.243, 4.414, 0.793, 2.426}
	gg := GammaGamma{6.25, 3.74, 15.44}
	cs := []Customer{{X: 2, Tx: 30.43, T: 38.86, Monetary: 22.35}, {X: 0, T: 38.86}}
	// One undiscounted period of length L is E[Y(L)] · E[spend].
	v, err := CLV(bg, gg, cs, CLVOptions{Periods: 1, PeriodLength: 39})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		want := bg.ConditionalExpectedPurchases(39, c.X, c.Tx, c.T) * gg.ConditionalExpectedSpend(c.X, c.Monetary)
		if relErr(v[i], want) > 1e-12 {
			t.Errorf("customer %d: %v want %v", i, v[i], want)
		}
	}
	// Splitting the same horizon into periods without discounting changes nothing;
	// discounting lowers the value by a factor between (1+d)^-n and (1+d)^-1.
	v3, _ := CLV(bg, gg, cs, CLVOptions{Periods: 3, PeriodLength: 13})
	vd, _ := CLV(bg, gg, cs, CLVOptions{Periods: 3, PeriodLength: 13, DiscountRate: 0.05})
	for i := range cs {
		if relErr(v3[i], v[i]) > 1e-12 {
			t.Errorf("customer %d: 3 periods %v vs 1 period %v", i, v3[i], v[i])
		}
		if !(vd[i] < v[i]/1.05+1e-12 && vd[i] > v[i]/math.Pow(1.05, 3)-1e-12) {
			t.Errorf("customer %d: discounted %v out of range for %v", i, vd[i], v[i])
		}
	}
	// Pareto/NBD works through the same interface.
	if _, err := CLV(ParetoNBD{0.553, 10.578, 0.606, 11.669}, gg, cs, CLVOptions{Periods: 12, PeriodLength: 4.345, DiscountRate: 0.01}); err != nil {
		t.Error(err)
	}
	for _, o := range []CLVOptions{{Periods: 0, PeriodLength: 1}, {Periods: 1, PeriodLength: 0}, {Periods: 1, PeriodLength: 1, DiscountRate: -1}, {Periods: 1, PeriodLength: math.NaN()}} {
		if _, err := CLV(bg, gg, cs, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := CLV(bg, GammaGamma{2, 0.8, 3}, cs, CLVOptions{Periods: 1, PeriodLength: 1}); err == nil {
		t.Error("infinite spend (q < 1, x = 0) accepted")
	}
}
