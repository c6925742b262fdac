package clv

import (
	"math"
	"testing"
)

// Independent checks of the model formulas by numerical integration of their defining
// integrals (see specfun_test.go for the quadrature).

// Pareto/NBD: L = Γ(r+x)α^rβ^s/Γ(r) · [(α+T)^{−(r+x)}(β+T)^{−s}
// + s ∫_{t_x}^{T} (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ] (Fader & Hardie 2005 note, before the
// integral is solved with 2F1). The integral is taken in y = ln(min(α,β)+τ).
func paretoLLQuad(m ParetoNBD, x int, tx, T float64) float64 {
	r, al, s, be, xf := m.R, m.Alpha, m.S, m.Beta, float64(x)
	lo := math.Min(al, be)
	ig := 0.0
	if tx < T {
		ig = integrate(func(y float64) float64 {
			tau := math.Exp(y) - lo
			return math.Exp(y - (r+xf)*math.Log(al+tau) - (s+1)*math.Log(be+tau))
		}, math.Log(lo+tx), math.Log(lo+T), 1e-13)
	}
	l := math.Log(math.Pow(al+T, -(r+xf))*math.Pow(be+T, -s) + s*ig)
	return lgam(r+xf) - lgam(r) + r*math.Log(al) + s*math.Log(be) + l
}

func TestParetoLikelihoodAgainstQuadrature(t *testing.T) {
	models := []ParetoNBD{
		{0.553, 10.578, 0.606, 11.669}, // CDNOW, alpha < beta
		{0.553, 11.669, 0.606, 10.578}, // alpha > beta
		{0.7, 5, 1.3, 5},               // alpha = beta
		{0.7, 5, 1.3, 5 * (1 + 1e-12)}, // alpha ≈ beta
		{0.5, 50, 0.8, 0.01},           // beta << alpha: 2F1 argument near 1 (s+1 branch)
		{0.5, 0.01, 0.8, 50},           // alpha << beta: argument near 1 (r+x branch)
		{0.5, 50, 1, 0.01},             // integer s: degenerate c−a−b in the s+1 branch
		{1, 0.01, 0.8, 50},             // integer r: degenerate c−a−b in the r+x branch
		{2, 0.02, 2, 30},               // both integer
		{0.05, 300, 0.05, 300},         // small shapes, large scales
		{5, 2, 0.3, 400},
	}
	rfm := [][3]float64{{0, 0, 38.86}, {0, 0, 0.5}, {1, 1.71, 38.86}, {2, 30.43, 38.86}, {7, 0.1, 30}, {26, 30.86, 31}, {60, 3, 100}, {150, 199, 200}, {3, 10, 10}}
	for _, m := range models {
		for _, c := range rfm {
			x, tx, T := int(c[0]), c[1], c[2]
			got, want := m.LogLikelihood(x, tx, T), paretoLLQuad(m, x, tx, T)
			if !(math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))) {
				t.Errorf("%+v (x=%d, t_x=%v, T=%v): LL %.15g, quadrature %.15g (diff %.2g)", m, x, tx, T, got, want, got-want)
			}
			if pa := m.PAlive(x, tx, T); !(pa > 0 && pa <= 1) {
				t.Errorf("%+v (x=%d, t_x=%v, T=%v): P(alive) = %v", m, x, tx, T, pa)
			}
		}
	}
}

// BG/NBD E[X(t)] = ∫ (1/p)[1 − (α/(α+pt))^r] beta(p; a, b) dp (FHL 2005's E[X(t) | λ, p] integrated
// over λ in closed form), taken in u = p^a to remove the endpoint singularity.
func TestBGNBDExpectedPurchasesAgainstQuadrature(t *testing.T) {
	for _, m := range []BGNBD{{0.243, 4.414, 0.793, 2.426}, {1.5, 2, 3, 0.6}, {0.7, 10, 1, 2}, {0.7, 10, 1.0005, 2}, {2, 0.5, 0.4, 0.4}} {
		for _, tt := range []float64{0.5, 10, 39, 200, 5000} {
			a, b, r, al := m.A, m.B, m.R, m.Alpha
			lb := lgam(a) + lgam(b) - lgam(a+b)
			want := integrate(func(u float64) float64 {
				if u == 0 {
					return 0
				}
				p := math.Pow(u, 1/a)
				g := -math.Expm1(-r * math.Log1p(p*tt/al))
				// beta density p^{a−1}(1−p)^{b−1}/B with dp = du/(a p^{a−1})
				return g / p * math.Exp((b-1)*math.Log1p(-p)-lb) / a
			}, 0, 1, 1e-12)
			got := m.ExpectedPurchases(tt)
			if relErr(got, want) > 1e-8 {
				t.Errorf("%+v E[X(%v)] = %.12g, quadrature %.12g (rel %.2g)", m, tt, got, want, relErr(got, want))
			}
			// A new customer (x = 0, T = 0) has the unconditional expectation.
			if c := m.ConditionalExpectedPurchases(tt, 0, 0, 0); relErr(c, got) > 1e-12 {
				t.Errorf("%+v E[Y(%v)|0,0,0] = %v, E[X] = %v", m, tt, c, got)
			}
		}
	}
}

// The removable singularities (BG/NBD a = 1, Pareto/NBD s = 1) are continuous.
func TestRemovableSingularities(t *testing.T) {
	for _, d := range []float64{-2e-3, -1e-3, -1e-6, 0, 1e-6, 1e-3, 2e-3} {
		bg := BGNBD{0.5, 5, 1 + d, 2}
		ref := BGNBD{0.5, 5, 1 + 0.01, 2}
		ref2 := BGNBD{0.5, 5, 1 - 0.01, 2}
		for _, x := range []int{0, 3} {
			tx := 0.0
			if x > 0 {
				tx = 20
			}
			got := bg.ConditionalExpectedPurchases(52, x, tx, 30)
			lo, hi := ref2.ConditionalExpectedPurchases(52, x, tx, 30), ref.ConditionalExpectedPurchases(52, x, tx, 30)
			if !(got > math.Min(lo, hi)-1e-9 && got < math.Max(lo, hi)+1e-9) || !finite(got) {
				t.Errorf("BG/NBD a=1%+g x=%d: %v not between %v and %v", d, x, got, lo, hi)
			}
		}
		pn := ParetoNBD{0.5, 5, 1 + d, 8}
		got := pn.ConditionalExpectedPurchases(52, 3, 20, 30)
		lo := ParetoNBD{0.5, 5, 1 - 0.01, 8}.ConditionalExpectedPurchases(52, 3, 20, 30)
		hi := ParetoNBD{0.5, 5, 1 + 0.01, 8}.ConditionalExpectedPurchases(52, 3, 20, 30)
		if !(got > math.Min(lo, hi) && got < math.Max(lo, hi)) {
			t.Errorf("Pareto/NBD s=1%+g: %v not between %v and %v", d, got, lo, hi)
		}
	}
}

// The Gamma-Gamma density of zbar integrates to one (in y = ln zbar).
func TestGammaGammaDensityIntegratesToOne(t *testing.T) {
	for _, g := range []GammaGamma{{6.25, 3.74, 15.44}, {0.5, 0.8, 2}, {20, 10, 100}} {
		for _, x := range []int{1, 2, 7, 40} {
			got := integrate(func(y float64) float64 {
				return math.Exp(y + g.LogLikelihood(x, math.Exp(y)))
			}, -60, 60, 1e-12)
			if relErr(got, 1) > 1e-9 {
				t.Errorf("%+v x=%d: ∫ f = %.12g", g, x, got)
			}
		}
	}
}

// BG/NBD per-customer likelihood: the log-space form equals the two-term sum of FHL
// individual-level likelihood evaluated directly.
func TestBGNBDLikelihoodTwoTerms(t *testing.T) {
	m := BGNBD{0.243, 4.414, 0.793, 2.426}
	lbeta := func(a, b float64) float64 { return lgam(a) + lgam(b) - lgam(a+b) }
	for _, c := range [][3]float64{{0, 0, 38.86}, {1, 1.71, 38.86}, {2, 30.43, 38.86}, {14, 20, 21}} {
		x, tx, T := c[0], c[1], c[2]
		r, al, a, b := m.R, m.Alpha, m.A, m.B
		common := lgam(r+x) - lgam(r) + r*math.Log(al)
		A := math.Exp(lbeta(a, b+x) - lbeta(a, b) + common - (r+x)*math.Log(al+T))
		B := 0.0
		if x > 0 {
			B = math.Exp(lbeta(a+1, b+x-1) - lbeta(a, b) + common - (r+x)*math.Log(al+tx))
		}
		want := math.Log(A + B)
		if got := m.LogLikelihood(int(x), tx, T); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("x=%v: %v want %v", x, got, want)
		}
		if got := m.PAlive(int(x), tx, T); math.Abs(got-A/(A+B)) > 1e-14 {
			t.Errorf("x=%v: P(alive) %v want %v", x, got, A/(A+B))
		}
	}
}
