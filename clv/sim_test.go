package clv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Parameter recovery on data simulated from each model's own story: the estimates must
// fall within 4 standard errors of the truth and the fit must be OK.

func checkRecovery(t *testing.T, f Fit, truth []float64) {
	t.Helper()
	if !f.OK() {
		t.Fatalf("fit not OK:\n%s", f)
	}
	for i, v := range truth {
		if z := (f.Params[i] - v) / f.StdErr[i]; math.Abs(z) > 4 {
			t.Errorf("%s = %.4g (se %.3g), truth %.4g: %.1f standard errors off", f.Names[i], f.Params[i], f.StdErr[i], v, z)
		}
	}
	t.Logf("\n%s", f)
}

func TestRecoveryBGNBD(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	truth := BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	cs := make([]Customer, 4000)
	for i := range cs {
		lam := GammaRand(rng, truth.R) / truth.Alpha
		ga, gb := GammaRand(rng, truth.A), GammaRand(rng, truth.B)
		p := ga / (ga + gb)
		T := 20 + 20*rng.Float64()
		c := Customer{T: T}
		for t := 0.0; ; {
			t += rng.ExpFloat64() / lam
			if t > T {
				break
			}
			c.X++
			c.Tx = t
			if rng.Float64() < p { // dropout after a repeat purchase (FHL 2005, assumption iii)
				break
			}
		}
		cs[i] = c
	}
	_, f, err := FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRecovery(t, f, []float64{truth.R, truth.Alpha, truth.A, truth.B})
}

func TestRecoveryParetoNBD(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	truth := ParetoNBD{R: 0.6, Alpha: 8, S: 0.9, Beta: 12}
	cs := make([]Customer, 2500)
	for i := range cs {
		lam := GammaRand(rng, truth.R) / truth.Alpha
		mu := GammaRand(rng, truth.S) / truth.Beta
		T := 20 + 20*rng.Float64()
		end := math.Min(T, rng.ExpFloat64()/mu)
		c := Customer{T: T}
		for t := 0.0; ; {
			t += rng.ExpFloat64() / lam
			if t > end {
				break
			}
			c.X++
			c.Tx = t
		}
		cs[i] = c
	}
	_, f, err := FitParetoNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRecovery(t, f, []float64{truth.R, truth.Alpha, truth.S, truth.Beta})
}

func TestRecoveryGammaGamma(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	truth := GammaGamma{P: 4, Q: 3, Gamma: 20}
	cs := make([]Customer, 3000)
	for i := range cs {
		nu := GammaRand(rng, truth.Q) / truth.Gamma
		x := 1 + rng.IntN(10)
		s := 0.0
		for j := 0; j < x; j++ {
			s += GammaRand(rng, truth.P) / nu
		}
		cs[i] = Customer{X: x, Tx: 1, T: 2, Monetary: s / float64(x)}
	}
	_, f, err := FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRecovery(t, f, []float64{truth.P, truth.Q, truth.Gamma})
}
