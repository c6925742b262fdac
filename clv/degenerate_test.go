package clv

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// Degenerate data must never come back as a clean success: either an error, or a Fit
// with Converged == false and at least one warning.

func TestNoRepeatersIsAnError(t *testing.T) {
	cs := make([]Customer, 50)
	for i := range cs {
		cs[i] = Customer{X: 0, Tx: 0, T: float64(10 + i)}
	}
	if _, _, err := FitBGNBD(cs, nil); !errors.Is(err, ErrNoRepeaters) {
		t.Errorf("BG/NBD: err = %v, want ErrNoRepeaters", err)
	}
	if _, _, err := FitParetoNBD(cs, nil); !errors.Is(err, ErrNoRepeaters) {
		t.Errorf("Pareto/NBD: err = %v, want ErrNoRepeaters", err)
	}
	if _, _, err := FitGammaGamma(cs, nil); !errors.Is(err, ErrNoRepeaters) {
		t.Errorf("Gamma-Gamma: err = %v, want ErrNoRepeaters", err)
	}
	for _, fit := range []func([]Customer) error{
		func(c []Customer) error { _, _, err := FitBGNBD(c, nil); return err },
		func(c []Customer) error { _, _, err := FitParetoNBD(c, nil); return err },
		func(c []Customer) error { _, _, err := FitGammaGamma(c, nil); return err },
	} {
		if err := fit(nil); !errors.Is(err, ErrNoCustomers) {
			t.Errorf("empty input: err = %v, want ErrNoCustomers", err)
		}
	}
}

func requireDegenerate(t *testing.T, f Fit, err error) {
	t.Helper()
	if err != nil {
		t.Logf("rejected with error: %v", err)
		return
	}
	t.Logf("\n%s", f)
	if f.Converged || len(f.Warnings) == 0 || f.OK() {
		t.Errorf("degenerate data reported as success:\n%s", f)
	}
}

// Identical customers who all buy at the same rate and are all still active at T: no
// rate heterogeneity and no dropout. The MLE runs to the boundary (r, alpha -> ∞ with
// r/alpha fixed; dropout probability -> 0).
func identicalActive(n int) []Customer {
	cs := make([]Customer, n)
	for i := range cs {
		cs[i] = Customer{X: 5, Tx: 40, T: 40, Monetary: 20}
	}
	return cs
}

func TestDegenerateBGNBD(t *testing.T) {
	_, f, err := FitBGNBD(identicalActive(200), nil)
	requireDegenerate(t, f, err)
}

func TestDegenerateParetoNBD(t *testing.T) {
	_, f, err := FitParetoNBD(identicalActive(200), nil)
	requireDegenerate(t, f, err)
}

// Every repeat customer has the same mean spend: no heterogeneity in spend, so q and
// gamma (or p) run to infinity.
func TestDegenerateGammaGamma(t *testing.T) {
	_, f, err := FitGammaGamma(identicalActive(200), nil)
	requireDegenerate(t, f, err)
}

// Synthetic data drawn without dropout but with heterogeneous rates: BG/NBD's a/(a+b)
// (the dropout probability) runs to 0.
func TestDegenerateNoDropout(t *testing.T) {
	var cs []Customer
	for i := 0; i < 300; i++ {
		x := i % 9
		T := 52.0
		tx := 0.0
		if x > 0 {
			tx = T // still buying at the end: no evidence of dropout at all
		}
		cs = append(cs, Customer{X: x, Tx: tx, T: T})
	}
	_, f, err := FitBGNBD(cs, nil)
	requireDegenerate(t, f, err)
	if err == nil && !strings.Contains(strings.Join(f.Warnings, " "), "boundary") {
		t.Errorf("expected a boundary warning, got %q", f.Warnings)
	}
}

// An evaluation budget too small to converge is reported.
func TestEvaluationLimit(t *testing.T) {
	cs := loadSummaryCSV(t, "cdnow_customers_summary.csv")
	_, f, err := FitBGNBD(cs, &FitOptions{MaxEvaluations: 20})
	requireDegenerate(t, f, err)
}

func TestFitOptionsStart(t *testing.T) {
	cs := loadSummaryCSV(t, "cdnow_customers_summary.csv")
	m, f, err := FitBGNBD(cs, &FitOptions{Start: []float64{0.2, 4, 0.8, 2.5}})
	if err != nil || !f.OK() || math.Abs(m.R-0.2426) > 1e-3 {
		t.Errorf("fit from a user start: %v %v\n%s", m, err, f)
	}
	if _, _, err := FitBGNBD(cs, &FitOptions{Start: []float64{1, 2}}); err == nil {
		t.Error("wrong-length start accepted")
	}
	if _, _, err := FitBGNBD(cs, &FitOptions{Start: []float64{1, -2, 1, 1}}); err == nil {
		t.Error("negative start accepted")
	}
}

// TestHugeDropoutParameters covers a BG/NBD fit whose a and b run off to millions (a
// small store whose dropout is nearly deterministic): the 2F1 series with b and c both
// huge converges like z·b/c, and the conditional expectation must be finite for every
// valid customer. The sum is checked against the series summed term by term.
func TestHugeDropoutParameters(t *testing.T) {
	m := BGNBD{R: 0.3622, Alpha: 3.407, A: 1.009e7, B: 3.854e7}
	for x := 0; x <= 40; x++ {
		for T := 1.0; T <= 40; T++ {
			for tx := 0.0; tx <= T; tx++ {
				if (x == 0) != (tx == 0) {
					continue
				}
				v := m.ConditionalExpectedPurchases(43.33, x, tx, T)
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Fatalf("x=%d tx=%v T=%v: %v", x, tx, T, v)
				}
			}
		}
	}
	for _, z := range []float64{0.5, 0.8375, 0.95} {
		a, b, c := m.R+1, m.B+1, m.A+m.B
		l, s := hyp2f1(a, b, c, z, 1-z)
		sum, term := 1.0, 1.0
		for k := 0.0; k < 5000; k++ {
			term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
			sum += term
		}
		if s != 1 || math.Abs(math.Exp(l)-sum) > 1e-12*sum {
			t.Errorf("z=%v: 2F1 = %v (sign %v), the series summed gives %v", z, math.Exp(l), s, sum)
		}
	}
}
