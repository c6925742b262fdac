package clv

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestInputValidation(t *testing.T) {
	good := []Customer{
		{ID: "a", X: 0, Tx: 0, T: 30},
		{ID: "b", X: 2, Tx: 10, T: 30, Monetary: 12},
		{ID: "c", X: 1, Tx: 5, T: 20, Monetary: 7},
	}
	cases := []struct {
		name   string
		bad    Customer
		reason string
		gg     bool // only the Gamma-Gamma fit checks Monetary
	}{
		{"negative x", Customer{ID: "d", X: -1, T: 10}, "negative", false},
		{"negative t_x", Customer{ID: "d", X: 1, Tx: -1, T: 10}, "negative", false},
		{"negative T", Customer{ID: "d", X: 0, T: -3}, "negative", false},
		{"t_x > T", Customer{ID: "d", X: 1, Tx: 12, T: 10}, "exceeds", false},
		{"x>0 with t_x=0", Customer{ID: "d", X: 3, Tx: 0, T: 10}, "t_x = 0", false},
		{"x=0 with t_x>0", Customer{ID: "d", X: 0, Tx: 2, T: 10}, "must be 0", false},
		{"NaN T", Customer{ID: "d", X: 0, T: math.NaN()}, "finite", false},
		{"Inf t_x", Customer{ID: "d", X: 1, Tx: math.Inf(1), T: math.Inf(1)}, "finite", false},
		{"zero monetary", Customer{ID: "d", X: 1, Tx: 1, T: 10, Monetary: 0}, "positive", true},
		{"NaN monetary", Customer{ID: "d", X: 1, Tx: 1, T: 10, Monetary: math.NaN()}, "finite", true},
	}
	for _, c := range cases {
		cs := append(append([]Customer(nil), good...), c.bad)
		check := func(model string, err error) {
			var de *DataError
			if !errors.As(err, &de) {
				t.Errorf("%s / %s: err = %v, want *DataError", c.name, model, err)
				return
			}
			if de.Index != 3 || !strings.Contains(err.Error(), "customer 3") || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("%s / %s: error %q (index %d) should name customer 3 and say %q", c.name, model, err, de.Index, c.reason)
			}
		}
		_, _, err := FitGammaGamma(cs, nil)
		check("Gamma-Gamma", err)
		if c.gg {
			if _, _, err := FitBGNBD(cs, nil); err != nil {
				t.Errorf("%s: BG/NBD should ignore Monetary, got %v", c.name, err)
			}
			continue
		}
		_, _, err = FitBGNBD(cs, nil)
		check("BG/NBD", err)
		_, _, err = FitParetoNBD(cs, nil)
		check("Pareto/NBD", err)
		_, err = CLV(BGNBD{0.24, 4.4, 0.79, 2.4}, GammaGamma{6, 3.7, 15}, cs, CLVOptions{Periods: 1, PeriodLength: 4})
		check("CLV", err)
	}
}

// Per-customer functions return NaN, never panic, on invalid parameters or input.
func TestPerCustomerNaN(t *testing.T) {
	bg := BGNBD{0.24, 4.4, 0.79, 2.4}
	pn := ParetoNBD{0.55, 10.6, 0.6, 11.7}
	gg := GammaGamma{6, 3.7, 15}
	nan := math.NaN()
	vals := []float64{
		BGNBD{-1, 1, 1, 1}.LogLikelihood(1, 1, 2), BGNBD{nan, 1, 1, 1}.PAlive(0, 0, 1),
		bg.LogLikelihood(1, 3, 2), bg.PAlive(-1, 0, 2), bg.ConditionalExpectedPurchases(-1, 1, 1, 2),
		bg.ConditionalExpectedPurchases(nan, 1, 1, 2), bg.ExpectedPurchases(math.Inf(1)),
		ParetoNBD{1, 1, 0, 1}.LogLikelihood(1, 1, 2), pn.LogLikelihood(2, 0, 5), pn.PAlive(1, 6, 5),
		pn.ConditionalExpectedPurchases(-2, 1, 1, 2), pn.ExpectedPurchases(-1),
		GammaGamma{0, 1, 1}.LogLikelihood(1, 1), gg.LogLikelihood(0, 10), gg.LogLikelihood(1, -1),
		gg.ConditionalExpectedSpend(-1, 3), gg.ConditionalExpectedSpend(2, nan), GammaGamma{1, -1, 1}.MeanSpend(),
	}
	for i, v := range vals {
		if !math.IsNaN(v) {
			t.Errorf("case %d: got %v, want NaN", i, v)
		}
	}
	if v := (GammaGamma{2, 0.5, 3}).ConditionalExpectedSpend(0, 0); !math.IsInf(v, 1) {
		t.Errorf("q < 1, x = 0: spend %v, want +Inf", v)
	}
}
