// Package synth generates a deterministic synthetic store: N customers who place exactly M
// orders between them, for benchmarks and for tests that need millions of orders without a
// data file.
//
// Customers behave as the BG/NBD model says real ones do (Fader, Hardie & Lee 2005): each
// is acquired at a uniformly random moment of the store's window with a first order; while
// alive they buy as a Poisson process whose weekly rate λ ~ gamma(R, Alpha) varies across
// customers, and after each repeat order they leave for good with probability
// p ~ beta(A, B). Order values follow the Gamma-Gamma model (value ~ gamma(P, ν) with
// ν ~ gamma(Q, Gamma) per customer), and item counts are 1 + Poisson.
//
// Alpha is calibrated so that the model's expected orders match M. The simulated total
// still differs from M by chance (a fraction of a percent for a million customers), so
// every rate is then scaled by one common factor κ, chosen so that exactly M orders fall in
// the window (the number of orders only grows with κ, one at a time). The store is then a
// BG/NBD draw with rate scale Alpha/κ, which Model reports (κ is taken from the draw
// itself, so it is within a percent or two of 1 for large stores). Each customer draws
// from a random stream of its own, seeded by (Seed, index).
//
// Orders are streamed, grouped by customer (customers in ascending id order, each
// customer's orders in time order): what `ORDER BY member_id, paid_at` returns. Memory is
// bounded by one customer's orders. The same Config always yields the same orders.
package synth

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/clv"
)

// Config describes the store. Customers and Orders are required; a zero Start, Span or
// model parameter takes DefaultConfig's value.
type Config struct {
	Customers int    // customers, each with at least one order (> 0)
	Orders    int    // orders in total (>= Customers)
	Seed      uint64 // the same seed gives the same store

	Start time.Time     // first instant of the store's window, UTC (2023-01-01)
	Span  time.Duration // length of the window (3 × 365 days)

	// Purchase process (BG/NBD shape parameters; the rate scale Alpha is calibrated).
	R, A, B float64 // 0.4, 1.3, 8
	// Spend per order in minor units (Gamma-Gamma): mean P·Gamma/(Q−1).
	P, Q, Gamma float64 // 6, 4, 3000: a mean order of 60.00
	ItemsMean   float64 // mean units per order, at least 1 (2.2)

	// ShuffleIDs emits customers in a pseudo-random order of their ids instead of ascending
	// id order, for consumers whose cost depends on the input being sorted.
	ShuffleIDs bool
}

// DefaultConfig returns the defaults of every optional field.
func DefaultConfig() Config {
	return Config{Start: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Span: 3 * 365 * 24 * time.Hour,
		R: 0.4, A: 1.3, B: 8, P: 6, Q: 4, Gamma: 3000, ItemsMean: 2.2}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Start.IsZero() {
		c.Start = d.Start
	}
	c.Start = c.Start.UTC()
	if c.Span <= 0 {
		c.Span = d.Span
	}
	for _, f := range []struct{ v, d *float64 }{{&c.R, &d.R}, {&c.A, &d.A}, {&c.B, &d.B}, {&c.P, &d.P},
		{&c.Q, &d.Q}, {&c.Gamma, &d.Gamma}, {&c.ItemsMean, &d.ItemsMean}} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return c
}

// Store is a calibrated generator. It is immutable; Orders may be ranged over any number
// of times, concurrently.
type Store struct {
	cfg     Config
	alpha   float64 // calibrated BG/NBD rate scale, weeks
	kappa   float64 // common rate factor that places exactly Orders orders
	weeks   float64 // window length in weeks
	repeats float64 // target repeat orders per customer
}

const week = 7 * 24 * time.Hour

// New validates cfg and calibrates the purchase process to its order count.
func New(cfg Config) (*Store, error) {
	c := cfg.withDefaults()
	switch {
	case c.Customers <= 0:
		return nil, fmt.Errorf("synth: %d customers: need at least one", c.Customers)
	case c.Orders < c.Customers:
		return nil, fmt.Errorf("synth: %d orders for %d customers: every customer has a first order", c.Orders, c.Customers)
	case !(c.R > 0 && c.A > 0 && c.B > 0 && c.P > 0 && c.Q > 1 && c.Gamma > 0):
		return nil, errors.New("synth: R, A, B, P and Gamma must be positive and Q > 1")
	case !(c.ItemsMean >= 1):
		return nil, fmt.Errorf("synth: ItemsMean %v must be at least 1", c.ItemsMean)
	case c.Span < 24*time.Hour:
		return nil, fmt.Errorf("synth: Span %v must be at least a day", c.Span)
	}
	s := &Store{cfg: c, weeks: float64(c.Span) / float64(week), repeats: float64(c.Orders-c.Customers) / float64(c.Customers)}
	if s.repeats > 0 {
		alpha, err := calibrate(c.R, c.A, c.B, s.weeks, s.repeats)
		if err != nil {
			return nil, err
		}
		s.alpha = alpha
		if s.kappa, err = s.exactFactor(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Config returns the configuration with defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// End returns the end of the window: every order is before it.
func (s *Store) End() time.Time { return s.cfg.Start.Add(s.cfg.Span) }

// Model returns the generating BG/NBD parameters, time in weeks (Alpha is the calibrated
// scale divided by the factor that makes the order count exact).
func (s *Store) Model() clv.BGNBD {
	if s.repeats == 0 {
		return clv.BGNBD{R: s.cfg.R, Alpha: math.Inf(1), A: s.cfg.A, B: s.cfg.B}
	}
	return clv.BGNBD{R: s.cfg.R, Alpha: s.alpha / s.kappa, A: s.cfg.A, B: s.cfg.B}
}

// Spend returns the generating Gamma-Gamma parameters, money in minor units.
func (s *Store) Spend() clv.GammaGamma {
	return clv.GammaGamma{P: s.cfg.P, Q: s.cfg.Q, Gamma: s.cfg.Gamma}
}

// CustomerID returns the id of the i-th generated customer (0 <= i < Customers).
func (s *Store) CustomerID(i int) string {
	n := i
	if s.cfg.ShuffleIDs {
		n = int(permute(uint64(i), uint64(s.cfg.Customers), s.cfg.Seed))
	}
	digits := len(strconv.Itoa(s.cfg.Customers - 1))
	b := make([]byte, 0, 1+digits)
	b = append(b, 'c')
	num := strconv.Itoa(n)
	for range digits - len(num) {
		b = append(b, '0')
	}
	return string(append(b, num...))
}

// Orders streams the store's orders, grouped by customer; see the package documentation.
func (s *Store) Orders() iter.Seq[analytics.Order] {
	return func(yield func(analytics.Order) bool) {
		c := s.cfg
		src := &rand.PCG{}
		rng := rand.New(src)
		start := c.Start.Unix()
		last := start + int64(c.Span/time.Second) - 1
		var at []float64 // one customer's repeat orders as factors, then as weeks
		for i := range c.Customers {
			var a, nu float64
			a, nu, at = s.customer(src, rng, i, s.kappa, at[:0])
			at = append(at, 0)
			copy(at[1:], at)
			at[0] = a
			for k := 1; k < len(at); k++ {
				at[k] = a + (s.weeks-a)*at[k]/s.kappa
			}
			id := s.CustomerID(i)
			for _, t := range at {
				o := analytics.Order{Customer: id, At: time.Unix(min(start+int64(t*7*86400), last), 0).UTC(),
					Amount: max(1, int64(math.Round(gamma(rng, c.P, nu)))), Items: 1 + poisson(rng, c.ItemsMean-1)}
				if !yield(o) {
					return
				}
			}
		}
	}
}

// customer simulates customer i from its own random stream: the acquisition time a (weeks
// since Start), the spend rate ν, and the thresholds of its repeat orders, appended to cs.
// At rate factor κ the k-th repeat order (if the customer is still alive) is placed at
// a + (W−a)·c_k/κ, inside the window when c_k < κ; c_k = (E_1 + … + E_k) / (λ·(W−a)) with
// E_j standard exponential. The thresholds are generated while below kmax, ascending.
// The stream is left positioned for the customer's amounts.
func (s *Store) customer(src *rand.PCG, rng *rand.Rand, i int, kmax float64, cs []float64) (a, nu float64, _ []float64) {
	c := s.cfg
	src.Seed(c.Seed, uint64(i))
	a = rng.Float64() * s.weeks
	lambda := gamma(rng, c.R, s.alpha)
	p := beta(rng, c.A, c.B)
	nu = gamma(rng, c.Q, c.Gamma)
	if s.repeats == 0 {
		return a, nu, cs
	}
	scale := lambda * (s.weeks - a)
	for sum := 0.0; ; {
		sum += rng.ExpFloat64()
		ck := sum / scale
		if !(ck < kmax) {
			break
		}
		cs = append(cs, ck)
		if rng.Float64() < p {
			break
		}
	}
	return a, nu, cs
}

// The rate factor κ is searched in a narrow range first (a large store's total is within a
// percent of its expectation), then in a wide one; beyond that the calibration is too far
// off (a tiny store with heavy buyers) and New reports an error.
var kappaRanges = [][2]float64{{0.8, 1.25}, {0.25, 4}}

const kappaBins = 1 << 16

// exactFactor returns a κ at which exactly Orders−Customers repeat orders fall inside the
// window: the midpoint between the n-th and (n+1)-th smallest thresholds over all
// customers.
func (s *Store) exactFactor() (float64, error) {
	for _, r := range kappaRanges {
		if k, ok := s.factorIn(r[0], r[1]); ok {
			return k, nil
		}
	}
	return 0, fmt.Errorf("synth: %d orders for %d customers needs the calibrated purchase rates scaled by a factor outside [%g, %g]: use more customers or another BG/NBD shape",
		s.cfg.Orders, s.cfg.Customers, kappaRanges[len(kappaRanges)-1][0], kappaRanges[len(kappaRanges)-1][1])
}

// factorIn looks for the factor in [lo, hi): one pass histograms the thresholds on a log
// scale, a second collects those of the bin holding the n-th and the first one above it.
func (s *Store) factorIn(lo, hi float64) (float64, bool) {
	want := s.cfg.Orders - s.cfg.Customers
	bin := func(c float64) int {
		return min(int((math.Log(c)-math.Log(lo))/(math.Log(hi)-math.Log(lo))*kappaBins), kappaBins-1)
	}
	src := &rand.PCG{}
	rng := rand.New(src)
	hist := make([]int, kappaBins)
	below := 0
	var cs []float64
	for i := range s.cfg.Customers {
		_, _, cs = s.customer(src, rng, i, hi, cs[:0])
		for _, c := range cs {
			if c < lo {
				below++
			} else {
				hist[bin(c)]++
			}
		}
	}
	target, before := -1, below
	if want > below {
		for b, n := range hist {
			if before+n >= want {
				target = b
				break
			}
			before += n
		}
	}
	if target < 0 {
		return 0, false
	}
	var in []float64 // the bin's thresholds
	next := hi       // the smallest threshold above the bin, or the range's end
	for i := range s.cfg.Customers {
		_, _, cs = s.customer(src, rng, i, hi, cs[:0])
		for _, c := range cs {
			switch b := bin(c); {
			case c >= lo && b == target:
				in = append(in, c)
			case c >= lo && b > target:
				next = min(next, c)
			}
		}
	}
	slices.Sort(in)
	in = append(in, next)
	k := want - before
	if !(in[k-1] < in[k]) {
		return 0, false // a tie (probability zero): no factor gives exactly the count
	}
	return (in[k-1] + in[k]) / 2, true
}
