package clv

import "math"

// BGNBD holds the parameters of the BG/NBD model (Fader, Hardie & Lee 2005, "Counting
// Your Customers the Easy Way", Marketing Science 24(2), 275–284). While alive a customer
// buys as a Poisson process with rate λ ~ gamma(R, Alpha) (shape R, rate Alpha, in the
// time unit of the data); after each purchase the customer becomes inactive with
// probability p ~ beta(A, B). All four parameters must be positive and finite.
type BGNBD struct {
	R, Alpha, A, B float64
}

func (m BGNBD) valid() bool {
	return m.R > 0 && m.Alpha > 0 && m.A > 0 && m.B > 0 &&
		finite(m.R) && finite(m.Alpha) && finite(m.A) && finite(m.B)
}

func validRFM(x int, tx, T float64) bool {
	return checkCustomer(0, Customer{X: x, Tx: tx, T: T}, false) == nil
}

// LogLikelihood returns the log-likelihood of one customer's (x, t_x, T), the
// individual-level likelihood of FHL (2005, section 3):
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^{r+x})
//	  + δ_{x>0} B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^{r+x}),
//
// evaluated in log space as the first term plus softplus of the log ratio of the two
// (B(a+1, b+x−1)/B(a, b+x) = a/(b+x−1)). It returns NaN for invalid parameters or input.
func (m BGNBD) LogLikelihood(x int, tx, T float64) float64 {
	if !m.valid() || !validRFM(x, tx, T) {
		return math.NaN()
	}
	r, al, a, b, xf := m.R, m.Alpha, m.A, m.B, float64(x)
	ll := lgam(r+xf) - lgam(r) + lgam(b+xf) - lgam(b) - lgam(a+b+xf) + lgam(a+b) +
		r*math.Log(al) - (r+xf)*math.Log(al+T)
	if x > 0 {
		ll += softplus(m.logOdds(xf, tx, T))
	}
	return ll
}

// logOdds returns ln[ a/(b+x−1) · ((α+T)/(α+t_x))^{r+x} ], the log of the ratio of the
// "dropped out after the last purchase" term to the "still alive" term of the likelihood
// (x > 0).
func (m BGNBD) logOdds(x, tx, T float64) float64 {
	return math.Log(m.A/(m.B+x-1)) + (m.R+x)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
}

// PAlive returns the probability that a customer with history (x, t_x, T) is still
// active at T (Fader, Hardie & Lee 2008, "Computing P(alive) Using the BG/NBD Model"):
//
//	P(alive) = 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^{r+x}).
//
// Customers without repeat purchases are alive with probability 1 under the BG/NBD
// assumption that dropout can only happen right after a purchase. NaN for invalid input.
func (m BGNBD) PAlive(x int, tx, T float64) float64 {
	if !m.valid() || !validRFM(x, tx, T) {
		return math.NaN()
	}
	if x == 0 {
		return 1
	}
	return 1 / (1 + math.Exp(m.logOdds(float64(x), tx, T)))
}

// ExpectedPurchases returns E[X(t)], the expected number of purchases of a randomly
// chosen new customer in (0, t] (FHL 2005, section 3):
//
//	E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))].
//
// NaN for invalid parameters or t < 0.
func (m BGNBD) ExpectedPurchases(t float64) float64 {
	if !m.valid() || !(t >= 0) || !finite(t) {
		return math.NaN()
	}
	return m.condExpect(t, 0, 0, 0)
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], the expected number of
// purchases in (T, T+t] of a customer with calibration history (x, t_x, T) (FHL 2005,
// the conditional expectation of section 3):
//
//	E = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
//	    / [1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^{r+x}].
//
// The removable singularity at a = 1 is handled by interpolation. NaN for invalid input.
func (m BGNBD) ConditionalExpectedPurchases(t float64, x int, tx, T float64) float64 {
	if !m.valid() || !validRFM(x, tx, T) || !(t >= 0) || !finite(t) {
		return math.NaN()
	}
	return m.condExpect(t, float64(x), tx, T)
}

// condExpect evaluates the FHL conditional expectation for validated input; at |a−1| < 1e-3 it interpolates
// cubically in a through a = 1 ± 1e-3, 1 ± 2e-3, where the 0/0 form is well conditioned.
func (m BGNBD) condExpect(t, x, tx, T float64) float64 {
	if t == 0 {
		return 0
	}
	const d = 1e-3
	u := m.A - 1
	if math.Abs(u) >= d {
		return m.condExpectRaw(t, x, tx, T)
	}
	nodes := [4]float64{-2 * d, -d, d, 2 * d}
	res := 0.0
	for i, nd := range nodes {
		mm := m
		mm.A = 1 + nd
		wgt := 1.0
		for j := range nodes {
			if j != i {
				wgt *= (u - nodes[j]) / (nd - nodes[j])
			}
		}
		res += wgt * mm.condExpectRaw(t, x, tx, T)
	}
	return math.Max(res, 0)
}

func (m BGNBD) condExpectRaw(t, x, tx, T float64) float64 {
	r, al, a, b := m.R, m.Alpha, m.A, m.B
	den := al + T + t
	z, w := t/den, (al+T)/den
	lf, sf := hyp2f1(r+x, b+x, a+b+x-1, z, w)
	if math.IsNaN(lf) {
		return math.NaN()
	}
	// q^{r+x}·2F1 = s·e^L with ln q = −log1p(t/(α+T)).
	L := -(r+x)*math.Log1p(t/(al+T)) + lf
	var bracket float64
	switch {
	case sf > 0:
		bracket = -math.Expm1(L)
	case sf < 0:
		bracket = 1 + math.Exp(L)
	default:
		bracket = 1
	}
	e := (a + b + x - 1) / (a - 1) * bracket
	if x > 0 {
		e /= 1 + math.Exp(m.logOdds(x, tx, T))
	}
	// The expectation is non-negative; when it is tiny the bracket's rounding can leave
	// a value a few ulps below zero.
	return math.Max(e, 0)
}

// bgnbdNLL returns the total negative log-likelihood of the cohort at p = (r, α, a, b)
// (in the cohort's time scale), or +Inf when it is not finite. It evaluates the same
// expression as LogLikelihood, sharing lgamma work across customers with equal x and logs
// across equal times. buf must have room for len(c.xs)*2 + len(c.times) values.
func bgnbdNLL(c *cohort, p []float64, buf []float64) float64 {
	r, al, a, b := p[0], p[1], p[2], p[3]
	if !(r > 0 && al > 0 && a > 0 && b > 0) || !finite(r+al+a+b) {
		return math.Inf(1)
	}
	nx := len(c.xs)
	cx, lab, lt := buf[:nx], buf[nx:2*nx], buf[2*nx:2*nx+len(c.times)]
	base := -lgam(r) - lgam(b) + lgam(a+b)
	for i, x := range c.xs {
		cx[i] = base + lgam(r+x) + lgam(b+x) - lgam(a+b+x)
		if x > 0 {
			lab[i] = math.Log(a / (b + x - 1))
		}
	}
	for i, t := range c.times {
		lt[i] = math.Log(al + t)
	}
	lal := math.Log(al)
	sum := 0.0
	for _, g := range c.groups {
		ll := cx[g.xi] + r*lal - (r+g.x)*lt[g.ti]
		if g.x > 0 {
			ll += softplus(lab[g.xi] + (r+g.x)*(lt[g.ti]-lt[g.txi]))
		}
		sum += g.w * ll
	}
	if !finite(sum) {
		return math.Inf(1)
	}
	return -sum
}

// FitBGNBD fits the BG/NBD model to the customers by maximum likelihood. It returns the
// fitted model, the fit diagnostics (check [Fit.OK]) and an error if the data cannot be
// fitted: [ErrNoCustomers], [ErrNoRepeaters], or a [*DataError] naming the first invalid
// customer. Customers' Monetary values are ignored. opts may be nil.
func FitBGNBD(cs []Customer, opts *FitOptions) (BGNBD, Fit, error) {
	ts := timeScale(cs)
	scaled, err := newCohort(cs, ts)
	if err != nil {
		return BGNBD{}, Fit{}, err
	}
	orig, _ := newCohort(cs, 1)
	bufS := make([]float64, 2*len(scaled.xs)+len(scaled.times))
	bufN := make([]float64, len(bufS))
	rate := repeatRate(scaled)
	sp := spec{
		model: "BG/NBD",
		names: []string{"r", "alpha", "a", "b"},
		scale: []float64{1, ts, 1, 1},
		n:     len(cs),
		nllOpt: func(p []float64) float64 {
			return bgnbdNLL(scaled, p, bufS)
		},
		nllNat: func(p []float64) float64 { return bgnbdNLL(orig, p, bufN) },
		starts: [][]float64{
			{0.5, 0.5 / rate, 0.8, 2.5},
			{1, 1, 1, 1},
			{0.1, 0.1, 0.5, 5},
		},
	}
	f, err := runFit(sp, opts)
	if err != nil {
		return BGNBD{}, f, err
	}
	p := f.Params
	return BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}, f, nil
}

// repeatRate returns total repeat purchases per unit of total age (a crude purchase
// rate used only for starting values); it is positive for a valid cohort.
func repeatRate(c *cohort) float64 {
	sx, st := 0.0, 0.0
	for _, g := range c.groups {
		sx += g.w * g.x
		st += g.w * c.times[g.ti]
	}
	if !(sx > 0 && st > 0) {
		return 1
	}
	return sx / st
}
