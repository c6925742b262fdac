package clv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Robustness: random parameters and inputs never panic; invalid input gives NaN; valid
// input in a sane range gives finite, meaningful values; and random data sets never come
// back as a "successful" fit with a non-finite likelihood or standard error.

func logUniform(rng *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo)))
}

func randomRFM(rng *rand.Rand, maxX int, maxT float64) (int, float64, float64) {
	T := rng.Float64() * maxT
	x := 0
	if rng.IntN(3) > 0 {
		x = rng.IntN(maxX + 1)
	}
	tx := 0.0
	if x > 0 {
		tx = T * (1 - rng.Float64()) // in (0, T]
		if rng.IntN(5) == 0 {
			tx = T
		}
	}
	return x, tx, T
}

type modelEval struct {
	ll, pa, ce, e float64
}

func evalAll(r, al, a, b float64, x int, tx, T, t float64) [3]modelEval {
	bg := BGNBD{r, al, a, b}
	pn := ParetoNBD{r, al, a, b}
	gg := GammaGamma{r, a, b}
	return [3]modelEval{
		{bg.LogLikelihood(x, tx, T), bg.PAlive(x, tx, T), bg.ConditionalExpectedPurchases(t, x, tx, T), bg.ExpectedPurchases(t)},
		{pn.LogLikelihood(x, tx, T), pn.PAlive(x, tx, T), pn.ConditionalExpectedPurchases(t, x, tx, T), pn.ExpectedPurchases(t)},
		{gg.LogLikelihood(x, tx+1), math.NaN(), gg.ConditionalExpectedSpend(x, tx), gg.MeanSpend()},
	}
}

func TestRandomInputsSaneRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := [3]string{"BG/NBD", "Pareto/NBD", "Gamma-Gamma"}
	for i := 0; i < 20000; i++ {
		r, al := logUniform(rng, 0.01, 100), logUniform(rng, 0.01, 100)
		a, b := logUniform(rng, 0.01, 100), logUniform(rng, 0.01, 100)
		x, tx, T := randomRFM(rng, 200, 1000)
		tt := logUniform(rng, 0.01, 1000)
		for k, v := range evalAll(r, al, a, b, x, tx, T, tt) {
			where := func() string {
				return names[k]
			}
			if k < 2 {
				if !finite(v.ll) || !(v.pa >= 0 && v.pa <= 1) || !(v.ce >= 0) || !finite(v.ce) || !(v.e >= 0) || !finite(v.e) {
					t.Fatalf("%s(%v,%v,%v,%v) x=%d t_x=%v T=%v t=%v: %+v", where(), r, al, a, b, x, tx, T, tt, v)
				}
			} else if x > 0 && (!finite(v.ll) || !(v.ce > 0)) {
				t.Fatalf("%s(%v,%v,%v) x=%d zbar=%v: %+v", where(), r, a, b, x, tx+1, v)
			}
		}
	}
}

func TestRandomInputsExtremeNoPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	specials := []float64{0, -1, math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, 1e300, 1, 2, -0.5}
	nanValid := 0
	for i := 0; i < 20000; i++ {
		p := [4]float64{}
		for j := range p {
			if rng.IntN(8) == 0 {
				p[j] = specials[rng.IntN(len(specials))]
			} else {
				p[j] = logUniform(rng, 1e-6, 1e6)
			}
		}
		x, tx, T := randomRFM(rng, 2000, 1e5)
		if rng.IntN(10) == 0 {
			x = -x - 1
		}
		if rng.IntN(10) == 0 {
			tx = T + 1
		}
		tt := logUniform(rng, 1e-6, 1e6)
		res := evalAll(p[0], p[1], p[2], p[3], x, tx, T, tt) // must not panic
		validParams := true
		for _, v := range p {
			validParams = validParams && v > 0 && finite(v)
		}
		validInput := x >= 0 && tx <= T
		for _, v := range res[:2] {
			if (!validParams || !validInput) && !math.IsNaN(v.ll) {
				t.Fatalf("invalid params %v or input (%d,%v,%v) gave LL %v, want NaN", p, x, tx, T, v.ll)
			}
			if !math.IsNaN(v.pa) && !(v.pa >= 0 && v.pa <= 1) {
				t.Fatalf("params %v input (%d,%v,%v): P(alive) = %v", p, x, tx, T, v.pa)
			}
			if validParams && validInput && math.IsNaN(v.ll) {
				nanValid++
			}
		}
	}
	// NaN is the documented signal that a value cannot be computed accurately; it must
	// stay rare even at these extremes (parameters over 12 orders of magnitude).
	t.Logf("NaN log-likelihoods for valid input at extreme parameters: %d of 40000", nanValid)
	if nanValid > 400 {
		t.Errorf("too many NaN log-likelihoods at valid input: %d", nanValid)
	}
}

func checkFitSane(t *testing.T, label string, f Fit, err error) {
	t.Helper()
	if err != nil {
		return
	}
	finiteAll := finite(f.LogLikelihood)
	for i := range f.Params {
		finiteAll = finiteAll && finite(f.Params[i]) && f.Params[i] > 0
	}
	if !finiteAll && (f.Converged || len(f.Warnings) == 0) {
		t.Fatalf("%s: non-finite result reported as success:\n%s", label, f)
	}
	if f.Converged {
		for i, se := range f.StdErr {
			if !(se > 0) || !finite(se) {
				t.Fatalf("%s: converged fit with standard error %v for %s:\n%s", label, se, f.Names[i], f)
			}
		}
	}
	if f.OK() != (f.Converged && len(f.Warnings) == 0) {
		t.Fatalf("%s: OK() inconsistent", label)
	}
}

func TestRandomDatasetsNeverSilentFailure(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	opts := &FitOptions{MaxEvaluations: 2000}
	counts := map[string]int{}
	for d := 0; d < 16; d++ {
		n := 1 + rng.IntN(60)
		maxX := []int{1, 3, 20, 300}[rng.IntN(4)]
		maxT := []float64{0.01, 1, 50, 1e4}[rng.IntN(4)]
		cs := make([]Customer, n)
		for i := range cs {
			x, tx, T := randomRFM(rng, maxX, maxT)
			cs[i] = Customer{X: x, Tx: tx, T: T, Monetary: logUniform(rng, 0.01, 1e4)}
		}
		for _, m := range []string{"BG/NBD", "Pareto/NBD", "Gamma-Gamma"} {
			var f Fit
			var err error
			switch m {
			case "BG/NBD":
				_, f, err = FitBGNBD(cs, opts)
			case "Pareto/NBD":
				_, f, err = FitParetoNBD(cs, opts)
			default:
				_, f, err = FitGammaGamma(cs, opts)
			}
			checkFitSane(t, m, f, err)
			switch {
			case err != nil:
				counts[m+" error"]++
			case f.OK():
				counts[m+" ok"]++
			default:
				counts[m+" flagged"]++
			}
		}
	}
	t.Logf("outcomes: %v", counts)
}

// FuzzLikelihoods: `go test -fuzz=FuzzLikelihoods ./clv/` explores further; plain
// `go test` runs the seeds.
func FuzzLikelihoods(f *testing.F) {
	f.Add(0.243, 4.414, 0.793, 2.426, 2, 30.43, 38.86, 39.0)
	f.Add(0.553, 10.578, 0.606, 11.669, 26, 30.86, 31.0, 52.0)
	f.Add(1.0, 1e-9, 1.0, 1e9, 1000, 1e-9, 1e-9, 1e9)
	f.Add(1e6, 1e-6, 1e-6, 1e6, 0, 0.0, 0.0, 0.0)
	f.Add(2.0, 3.0, 1.0, 2.0, 5, 4.0, 4.0, 1.0)
	f.Add(math.NaN(), 1.0, 1.0, 1.0, -3, -1.0, math.Inf(1), -1.0)
	f.Fuzz(func(t *testing.T, r, al, a, b float64, x int, tx, T, tt float64) {
		if x > 1e6 || x < -1e6 {
			x %= 1000000
		}
		res := evalAll(r, al, a, b, x, tx, T, tt)
		for _, v := range res[:2] {
			if !math.IsNaN(v.pa) && !(v.pa >= 0 && v.pa <= 1) {
				t.Fatalf("P(alive) = %v", v.pa)
			}
			if !math.IsNaN(v.ce) && v.ce < 0 {
				t.Fatalf("negative conditional expectation %v", v.ce)
			}
		}
	})
}
