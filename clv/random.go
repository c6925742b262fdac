package clv

import (
	"math"
	"math/rand/v2"
)

// GammaRand draws from gamma(shape, rate 1), the heterogeneity distribution of every model
// here, by Marsaglia and Tsang's method ("A Simple Method for Generating Gamma Variables",
// ACM TOMS 26(3), 2000), boosted by U^(1/shape) for shapes below 1. Simulations of the
// models (tests, benchmarks, the demo store) draw through it, so they share one sampler.
func GammaRand(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return GammaRand(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if u := rng.Float64(); math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}
