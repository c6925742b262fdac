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

// bgnbdGrad returns the same total negative log-likelihood as bgnbdNLL and stores its
// gradient with respect to (r, α, a, b) in grad. With σ(u) the logistic function of the
// log odds u (see logOdds), the derivatives of one customer's log-likelihood are
//
//	∂/∂r = ψ(r+x) − ψ(r) + ln α − ln(α+T) + δ σ(u) (ln(α+T) − ln(α+t_x))
//	∂/∂α = r/α − (r+x)/(α+T) + δ σ(u) (r+x) (1/(α+T) − 1/(α+t_x))
//	∂/∂a = ψ(a+b) − ψ(a+b+x) + δ σ(u)/a
//	∂/∂b = ψ(a+b) − ψ(b) + ψ(b+x) − ψ(a+b+x) − δ σ(u)/(b+x−1),   δ = [x > 0].
//
// Terms that depend on x alone are summed once per distinct x with its customer count;
// the per-group sums run in fixed chunks (see sumChunks). bg.x must have room for
// len(c.xs) and bg.t for len(c.times) values.
func bgnbdGrad(c *cohort, p, grad []float64, bg *bgnbdBuf) float64 {
	r, al, a, b := p[0], p[1], p[2], p[3]
	for i := range grad {
		grad[i] = math.NaN()
	}
	if !(r > 0 && al > 0 && a > 0 && b > 0) || !finite(r+al+a+b) {
		return math.Inf(1)
	}
	n := float64(c.n)
	lal := math.Log(al)
	// Per distinct x: the x-only parts of the value and gradient, weighted by customers.
	base := -lgam(r) - lgam(b) + lgam(a+b)
	pr, pb, pab := digamma(r), digamma(b), digamma(a+b)
	var sv, sr, sa, sb float64
	for i, x := range c.xs {
		w := c.xw[i]
		sv += w * (base + lgam(r+x) + lgam(b+x) - lgam(a+b+x))
		if x == 0 {
			continue
		}
		prx, pbx, pabx := digamma(r+x), digamma(b+x), digamma(a+b+x)
		sr += w * (prx - pr)
		sa += w * (pab - pabx)
		sb += w * (pab - pb + pbx - pabx)
		bg.lab[i] = math.Log(a / (b + x - 1))
		bg.ib[i] = 1 / (b + x - 1)
	}
	for i, t := range c.times {
		bg.lt[i] = math.Log(al + t)
		bg.it[i] = 1 / (al + t)
	}
	// Per group: value, ∂r, ∂α, Σσ (for ∂a), Σσ/(b+x−1) (for ∂b).
	var acc [5]float64
	lt, it, lab, ib, groups := bg.lt, bg.it, bg.lab, bg.ib, c.groups
	sumChunks(len(groups), 5, acc[:], func(lo, hi int, out []float64) {
		var v, gr, gal, ga, gb float64
		for _, g := range groups[lo:hi] {
			lT, iT := lt[g.ti], it[g.ti]
			rx := r + g.x
			ll := -rx * lT
			dr := -lT
			dal := -rx * iT
			if g.x > 0 {
				lTx := lt[g.txi]
				u := lab[g.xi] + rx*(lT-lTx)
				e := math.Exp(-math.Abs(u))
				var sig float64
				if u > 0 {
					ll += u + math.Log1p(e)
					sig = 1 / (1 + e)
				} else {
					ll += math.Log1p(e)
					sig = e / (1 + e)
				}
				dr += sig * (lT - lTx)
				dal += sig * rx * (iT - it[g.txi])
				ga += g.w * sig
				gb += g.w * sig * ib[g.xi]
			}
			v += g.w * ll
			gr += g.w * dr
			gal += g.w * dal
		}
		out[0], out[1], out[2], out[3], out[4] = v, gr, gal, ga, gb
	})
	sum := sv + n*r*lal + acc[0]
	if !finite(sum) {
		return math.Inf(1)
	}
	grad[0] = -(sr + n*lal + acc[1])
	grad[1] = -(n*r/al + acc[2])
	grad[2] = -(sa + acc[3]/a)
	grad[3] = -(sb - acc[4])
	return -sum
}

// bgnbdBuf is bgnbdGrad's scratch space.
type bgnbdBuf struct{ lab, ib, lt, it []float64 }

func newBGNBDBuf(c *cohort) *bgnbdBuf {
	return &bgnbdBuf{
		lab: make([]float64, len(c.xs)), ib: make([]float64, len(c.xs)),
		lt: make([]float64, len(c.times)), it: make([]float64, len(c.times)),
	}
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
	bufS := make([]float64, 2*len(scaled.xs)+len(scaled.times))
	bg := newBGNBDBuf(scaled)
	rate := repeatRate(scaled)
	sp := spec{
		model: "BG/NBD",
		names: []string{"r", "alpha", "a", "b"},
		scale: []float64{1, ts, 1, 1},
		n:     len(cs),
		nllOpt: func(p []float64) float64 {
			return bgnbdNLL(scaled, p, bufS)
		},
		nllGrad: func(p, g []float64) float64 {
			return bgnbdGrad(scaled, p, g, bg)
		},
		// Times divided by ts multiply each customer's likelihood by ts^x.
		natOffset: scaled.sumX * math.Log(ts),
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
