package synth

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/tenure-loyalty/tenure/clv"
)

// gamma draws from gamma(shape, rate) (mean shape/rate) with Marsaglia & Tsang's method
// ("A Simple Method for Generating Gamma Variables", ACM TOMS 26(3), 2000), boosted by
// U^(1/shape) for shape < 1.
func gamma(r *rand.Rand, shape, rate float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1, rate) * math.Pow(1-r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := 1 - r.Float64() // (0, 1]
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v / rate
		}
	}
}

// beta draws from beta(a, b) as X/(X+Y) with X ~ gamma(a), Y ~ gamma(b).
func beta(r *rand.Rand, a, b float64) float64 {
	x := gamma(r, a, 1)
	y := gamma(r, b, 1)
	if x+y == 0 {
		return a / (a + b)
	}
	return x / (x + y)
}

// poisson draws from Poisson(mean) by Knuth's product of uniforms; meant for small means.
func poisson(r *rand.Rand, mean float64) int64 {
	if mean <= 0 {
		return 0
	}
	limit, prod := math.Exp(-mean), 1.0
	var k int64
	for {
		prod *= r.Float64()
		if prod < limit {
			return k
		}
		k++
	}
}

// permute maps i to a pseudo-random position in [0, n), a bijection for each seed: three
// rounds of an invertible multiply-xorshift on the smallest power-of-two domain holding n,
// cycle-walked back into [0, n).
func permute(i, n, seed uint64) uint64 {
	if n <= 1 {
		return 0
	}
	w := bits.Len64(n - 1)
	mask := uint64(1)<<w - 1
	x := i
	for {
		for round := range uint64(3) {
			x = (x*0x9E3779B97F4A7C15 + seed + round) & mask // odd multiplier: invertible mod 2^w
			x ^= x >> (w/2 + 1)
		}
		if x < n {
			return x
		}
	}
}

// calibrate returns the BG/NBD rate scale α (per week) at which customers acquired
// uniformly over a window of the given weeks make on average `repeats` repeat purchases by
// its end: (1/W) ∫_0^W E[X(t)] dt = repeats, E[X(t)] from the model. E falls as α grows,
// so bisection on ln α finds it.
func calibrate(r, a, b, weeks, repeats float64) (float64, error) {
	mean := func(alpha float64) float64 {
		m := clv.BGNBD{R: r, Alpha: alpha, A: a, B: b}
		const n = 64 // composite Simpson's rule; E[X(t)] is smooth and concave in t
		h := weeks / n
		s := 0.0
		for k := 0; k <= n; k++ {
			w := 2.0
			switch {
			case k == 0 || k == n:
				w = 1
			case k%2 == 1:
				w = 4
			}
			s += w * m.ExpectedPurchases(float64(k)*h)
		}
		return s * h / 3 / weeks
	}
	lo, hi := math.Log(1e-6), math.Log(1e9)
	if v := mean(math.Exp(lo)); !(v >= repeats) {
		return 0, fmt.Errorf("synth: the BG/NBD shape (r=%g, a=%g, b=%g) cannot average %.3g repeat orders per customer in %.0f weeks (at most %.3g)", r, a, b, repeats, weeks, v)
	}
	for range 100 {
		mid := (lo + hi) / 2
		if mean(math.Exp(mid)) > repeats {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Exp((lo + hi) / 2), nil
}
