package clv

import "math"

// ParetoNBD holds the parameters of the Pareto/NBD model (Schmittlein, Morrison &
// Colombo 1987, Management Science 33(1)). While alive a customer buys as a Poisson
// process with rate λ ~ gamma(R, Alpha); the unobserved lifetime is exponential with rate
// μ ~ gamma(S, Beta). Alpha and Beta are in the data's time unit. All four parameters must
// be positive and finite.
type ParetoNBD struct {
	R, Alpha, S, Beta float64
}

func (m ParetoNBD) valid() bool {
	return m.R > 0 && m.Alpha > 0 && m.S > 0 && m.Beta > 0 &&
		finite(m.R) && finite(m.Alpha) && finite(m.S) && finite(m.Beta)
}

// logF returns ln F(t) with F(t) = (r+s+x)·∫_t^∞ (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ, in
// the closed form of Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and
// Related Expressions", expression for A0 (their branch on α ≥ β vs α < β keeps the 2F1
// argument in [0, 1)):
//
//	α ≥ β: F(t) = 2F1(r+s+x, s+1; r+s+x+1; (α−β)/(α+t)) / (α+t)^{r+s+x}
//	α < β: F(t) = 2F1(r+s+x, r+x; r+s+x+1; (β−α)/(β+t)) / (β+t)^{r+s+x}
//
// 1−z is formed as (β+t)/(α+t) (resp. (α+t)/(β+t)) so that it stays accurate when the
// argument z approaches 1 and 2F1 switches to the z → 1−z transformation.
func (m ParetoNBD) logF(x, t float64) float64 {
	r, al, s, be := m.R, m.Alpha, m.S, m.Beta
	ap := r + s + x
	var bp, hi, lo float64
	if al >= be {
		bp, hi, lo = s+1, al, be
	} else {
		bp, hi, lo = r+x, be, al
	}
	den := hi + t
	l, sg := hyp2f1(ap, bp, ap+1, (hi-lo)/den, (lo+t)/den)
	if !(sg > 0) {
		return math.NaN()
	}
	return l - ap*math.Log(den)
}

// logTerms returns the logs of the two likelihood terms after the common factor
// Γ(r+x)α^r β^s/Γ(r): l1 = ln[(α+T)^{−(r+x)} (β+T)^{−s}] (alive at T) and
// l2 = ln[s/(r+s+x)·(F(t_x) − F(T))] (died in (t_x, T]); l2 = −Inf when t_x = T.
func (m ParetoNBD) logTerms(x, tx, T, fx, fT float64) (l1, l2 float64) {
	r, al, s, be := m.R, m.Alpha, m.S, m.Beta
	l1 = -(r+x)*math.Log(al+T) - s*math.Log(be+T)
	l2 = math.Inf(-1)
	if tx < T {
		if d := fT - fx; d < 0 {
			l2 = math.Log(s/(r+s+x)) + fx + math.Log(-math.Expm1(d))
		}
	}
	return l1, l2
}

func (m ParetoNBD) terms(x int, tx, T float64) (l1, l2 float64) {
	xf := float64(x)
	fx, fT := math.Inf(-1), math.Inf(-1)
	if tx < T {
		fx, fT = m.logF(xf, tx), m.logF(xf, T)
	}
	return m.logTerms(xf, tx, T, fx, fT)
}

// LogLikelihood returns the log-likelihood of one customer's (x, t_x, T) (Fader & Hardie
// 2005 note, the individual-level likelihood L(r, α, s, β | x, t_x, T)):
//
//	L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^{−(r+x)} (β+T)^{−s} + s/(r+s+x) · A0 ],
//
// with A0 = F(t_x) − F(T) as documented on the 2F1 branches. NaN for invalid input or if
// 2F1 cannot be evaluated to about ten significant digits.
func (m ParetoNBD) LogLikelihood(x int, tx, T float64) float64 {
	if !m.valid() || !validRFM(x, tx, T) {
		return math.NaN()
	}
	l1, l2 := m.terms(x, tx, T)
	xf := float64(x)
	return lgam(m.R+xf) - lgam(m.R) + m.R*math.Log(m.Alpha) + m.S*math.Log(m.Beta) + logAddExp(l1, l2)
}

// PAlive returns the probability that a customer with history (x, t_x, T) is still alive
// at T, P = 1 / (1 + s/(r+s+x) · (α+T)^{r+x} (β+T)^s · A0) (Fader & Hardie 2005 note),
// i.e. the share of the likelihood contributed by the "alive at T" term. NaN for invalid
// input.
func (m ParetoNBD) PAlive(x int, tx, T float64) float64 {
	if !m.valid() || !validRFM(x, tx, T) {
		return math.NaN()
	}
	l1, l2 := m.terms(x, tx, T)
	return math.Exp(l1 - logAddExp(l1, l2))
}

// ExpectedPurchases returns E[X(t)] for a new customer (Schmittlein et al. 1987):
// r·β/(α·(s−1)) · [1 − (β/(β+t))^{s−1}], with the limit r·β/α·ln((β+t)/β) at s = 1.
// NaN for invalid parameters or t < 0.
func (m ParetoNBD) ExpectedPurchases(t float64) float64 {
	if !m.valid() || !(t >= 0) || !finite(t) {
		return math.NaN()
	}
	return m.R * m.Beta / m.Alpha * oneMinusPowOver(m.S-1, -math.Log1p(t/m.Beta))
}

// ConditionalExpectedPurchases returns E[Y(t) | x, t_x, T], the expected purchases in
// (T, T+t] (Schmittlein et al. 1987; Fader & Hardie 2005 note):
//
//	E = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^{s−1}] · P(alive),
//
// with the limit (r+x)(β+T)/(α+T) · ln((β+T+t)/(β+T)) · P(alive) at s = 1. NaN for
// invalid input.
func (m ParetoNBD) ConditionalExpectedPurchases(t float64, x int, tx, T float64) float64 {
	pa := m.PAlive(x, tx, T)
	if math.IsNaN(pa) || !(t >= 0) || !finite(t) {
		return math.NaN()
	}
	xf := float64(x)
	return (m.R + xf) * (m.Beta + T) / (m.Alpha + T) *
		oneMinusPowOver(m.S-1, -math.Log1p(t/(m.Beta+T))) * pa
}

// paretoCache indexes the distinct (x, t) pairs at which F is needed, so each is
// evaluated once per likelihood evaluation.
type paretoCache struct {
	c     *cohort
	pairX []float64 // x of each pair
	pairT []float64 // t of each pair
	gx    []int     // per group: pair index of (x, t_x), −1 if t_x = T
	gT    []int     // per group: pair index of (x, T)
	lF    []float64 // scratch: ln F per pair
	lt    []float64 // scratch per distinct x: lgamma(r+x) − lgamma(r)
}

func newParetoCache(c *cohort) *paretoCache {
	pc := &paretoCache{c: c}
	type key struct{ x, t float64 }
	idx := map[key]int{}
	pair := func(x, t float64) int {
		k := key{x, t}
		if i, ok := idx[k]; ok {
			return i
		}
		idx[k] = len(pc.pairX)
		pc.pairX = append(pc.pairX, x)
		pc.pairT = append(pc.pairT, t)
		return len(pc.pairX) - 1
	}
	for _, g := range c.groups {
		tx, T := c.times[g.txi], c.times[g.ti]
		if tx < T {
			pc.gx = append(pc.gx, pair(g.x, tx))
			pc.gT = append(pc.gT, pair(g.x, T))
		} else {
			pc.gx = append(pc.gx, -1)
			pc.gT = append(pc.gT, -1)
		}
	}
	pc.lF = make([]float64, len(pc.pairX))
	pc.lt = make([]float64, len(c.xs))
	return pc
}

// nll returns the total negative log-likelihood at p = (r, α, s, β), or +Inf.
func (pc *paretoCache) nll(p []float64) float64 {
	m := ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}
	if !m.valid() {
		return math.Inf(1)
	}
	for i := range pc.pairX {
		pc.lF[i] = m.logF(pc.pairX[i], pc.pairT[i])
		if math.IsNaN(pc.lF[i]) {
			return math.Inf(1)
		}
	}
	lgr := lgam(m.R)
	for i, x := range pc.c.xs {
		pc.lt[i] = lgam(m.R+x) - lgr
	}
	head := m.R*math.Log(m.Alpha) + m.S*math.Log(m.Beta)
	sum := 0.0
	for gi, g := range pc.c.groups {
		tx, T := pc.c.times[g.txi], pc.c.times[g.ti]
		fx, fT := math.Inf(-1), math.Inf(-1)
		if i := pc.gx[gi]; i >= 0 {
			fx, fT = pc.lF[i], pc.lF[pc.gT[gi]]
		}
		l1, l2 := m.logTerms(g.x, tx, T, fx, fT)
		sum += g.w * (pc.lt[g.xi] + head + logAddExp(l1, l2))
	}
	if !finite(sum) {
		return math.Inf(1)
	}
	return -sum
}

// FitParetoNBD fits the Pareto/NBD model by maximum likelihood; see [FitBGNBD] for the
// returned values and errors. opts may be nil.
func FitParetoNBD(cs []Customer, opts *FitOptions) (ParetoNBD, Fit, error) {
	ts := timeScale(cs)
	scaled, err := newCohort(cs, ts)
	if err != nil {
		return ParetoNBD{}, Fit{}, err
	}
	pcS := newParetoCache(scaled)
	rate := repeatRate(scaled)
	sp := spec{
		model:  "Pareto/NBD",
		names:  []string{"r", "alpha", "s", "beta"},
		scale:  []float64{1, ts, 1, ts},
		n:      len(cs),
		nllOpt: pcS.nll,
		// Times divided by ts multiply each customer's likelihood by ts^x.
		natOffset: scaled.sumX * math.Log(ts),
		starts: [][]float64{
			{0.5, 0.5 / rate, 0.5, 0.5},
			{1, 1, 1, 1},
			{0.1, 0.1, 2, 2},
		},
	}
	f, err := runFit(sp, opts)
	if err != nil {
		return ParetoNBD{}, f, err
	}
	p := f.Params
	return ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}, f, nil
}
