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
	dJ    []float64 // scratch: ∂ln J/∂(r, α, s, β) per pair, 4 values each
	tt    []float64 // scratch per distinct time: ln(α+t), ln(β+t), 1/(α+t), 1/(β+t)
	// gaveUp is set once a gradient evaluation needed the central-difference fallback
	// for more than a quarter of the pairs; nllGrad is +Inf from then on, and the fit
	// continues without the gradient.
	gaveUp bool
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
	pc.dJ = make([]float64, 4*len(pc.pairX))
	pc.tt = make([]float64, 4*len(c.times))
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

// logJGrad returns the derivatives of ln J(t) with respect to (r, α, s, β), where
// J(t) = ∫_t^∞ (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ = F(t)/(r+s+x). Write h ≥ l for the larger
// and smaller of α and β, E_h and E_l for the exponents of (h+τ) and (l+τ), c = r+s+x =
// E_h+E_l−1 and z = (h−l)/(h+t). Expanding (l+τ)^{−E_l} = (h+τ)^{−E_l} (1 − (h−l)/(h+τ))^{−E_l}
// binomially and integrating term by term gives
//
//	J = (h+t)^{−c} Σ_n u_n/(c+n),   u_n = (E_l)_n z^n / n!,
//
// the Gauss series of F. Differentiating term by term (H_n = Σ_{k<n} 1/(E_l+k)):
//
//	∂ln J/∂E_h = −ln(h+t) − S₂/S₀,   ∂ln J/∂E_l = ∂ln J/∂E_h + S_H/S₀,
//	∂ln J/∂h   = −E_h/(h+t) · S_h/S₀,  ∂ln J/∂l = −1/(h+t) · S_l/S₀,
//
// with S₀ = Σ u_n/(c+n), S₂ = Σ u_n/(c+n)², S_H = Σ u_n H_n/(c+n), S_h = Σ u_n/(c+1+n)
// and S_l = Σ u_n (E_l+n)/(c+1+n) (the last two are J with E_h resp. E_l raised by one,
// as ∂/∂h and ∂/∂l of the integrand are). When the series would need more than
// paretoGradTerms terms (z near 1) or its terms overflow, the derivatives of ln F are
// taken as central differences instead. out receives the four values.
func (m ParetoNBD) logJGrad(x, t float64, out []float64) (fallback bool) {
	if !m.logJGradSeries(x, t, out) {
		m.logJGradDiff(x, t, out)
		return true
	}
	return false
}

// logJGradSeries is logJGrad by the series; false if the series cannot be used.
func (m ParetoNBD) logJGradSeries(x, t float64, out []float64) bool {
	r, al, s, be := m.R, m.Alpha, m.S, m.Beta
	hiIsAlpha := al >= be
	h, l, eh, el := al, be, r+x, s+1
	if !hiIsAlpha {
		h, l, eh, el = be, al, s+1, r+x
	}
	c := r + s + x
	ht := h + t
	z := (h - l) / ht
	var s0, s2, sh, shi, slo, hn float64
	u := 1.0
	ok := false
	for n := 0; n < paretoGradTerms; n++ {
		fn := float64(n)
		ic := 1 / (c + fn)
		s0 += u * ic
		s2 += u * ic * ic
		sh += u * hn * ic
		ic1 := 1 / (c + 1 + fn)
		shi += u * ic1
		slo += u * (el + fn) * ic1
		ratio := (el + fn) / (fn + 1) * z
		hn += 1 / (el + fn)
		u *= ratio
		if u == 0 {
			ok = true
			break
		}
		if !(u < 1e250) {
			break
		}
		// Later ratios of u are below rho; the sums' extra factors grow at most like
		// (E_l+n)(1+H_n), so this bounds every tail.
		rho := z * max(1, (el+fn+2)/(fn+2))
		if rho < 0.95 && u*(1+el+fn)*(1+hn)/(1-rho)*ic <= 1e-17*s0 {
			ok = true
			break
		}
	}
	if ok {
		dEh := -math.Log(ht) - s2/s0
		dEl := dEh + sh/s0
		dh := -eh / ht * shi / s0
		dl := -slo / (ht * s0)
		if hiIsAlpha {
			out[0], out[1], out[2], out[3] = dEh, dh, dEl, dl
		} else {
			out[0], out[1], out[2], out[3] = dEl, dl, dEh, dh
		}
	}
	return ok
}

// logJGradDiff is logJGrad by central differences of ln F.
func (m ParetoNBD) logJGradDiff(x, t float64, out []float64) {
	r, al, s, be := m.R, m.Alpha, m.S, m.Beta
	// Central differences of ln J = ln F − ln(r+s+x), relative step 1e-5.
	p := [4]float64{r, al, s, be}
	for i := range p {
		hs := 1e-5 * p[i]
		q := p
		q[i] = p[i] + hs
		mp := ParetoNBD{q[0], q[1], q[2], q[3]}
		fp := mp.logF(x, t) - math.Log(q[0]+q[2]+x)
		q[i] = p[i] - hs
		mm := ParetoNBD{q[0], q[1], q[2], q[3]}
		fm := mm.logF(x, t) - math.Log(q[0]+q[2]+x)
		out[i] = (fp - fm) / (2 * hs)
	}
}

// paretoGradTerms bounds the series in logJGrad.
const paretoGradTerms = 3000

// nllGrad returns the same total negative log-likelihood as nll and stores its gradient
// with respect to (r, α, s, β) in grad. One customer's log-likelihood is
// lgamma(r+x) − lgamma(r) + r ln α + s ln β + ln(e^{l1} + e^{l2}) with
// l1 = −(r+x) ln(α+T) − s ln(β+T) and l2 = ln s + ln I, I = J(t_x) − J(T) (see
// logJGrad); so its gradient is the head's plus w1·∇l1 + w2·∇l2 with the weights
// w_i = e^{l_i}/(e^{l1}+e^{l2}) and ∇ln I = (J(t_x)∇ln J(t_x) − J(T)∇ln J(T))/I.
func (pc *paretoCache) nllGrad(p, grad []float64) float64 {
	for i := range grad {
		grad[i] = math.NaN()
	}
	m := ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}
	if !m.valid() || pc.gaveUp {
		return math.Inf(1)
	}
	r, al, s, be := m.R, m.Alpha, m.S, m.Beta
	np := len(pc.pairX)
	nc := (np + chunkLen - 1) / chunkLen
	bad := make([]bool, nc)
	slow := make([]int, nc)
	forChunks(nc, func(ci int) {
		for i := ci * chunkLen; i < min(np, (ci+1)*chunkLen); i++ {
			pc.lF[i] = m.logF(pc.pairX[i], pc.pairT[i])
			if math.IsNaN(pc.lF[i]) {
				bad[ci] = true
				return
			}
			if m.logJGrad(pc.pairX[i], pc.pairT[i], pc.dJ[4*i:4*i+4]) {
				slow[ci]++
			}
		}
	})
	fallbacks := 0
	for ci, b := range bad {
		if b {
			return math.Inf(1)
		}
		fallbacks += slow[ci]
	}
	if fallbacks > 16 && fallbacks > np/4 {
		pc.gaveUp = true
		return math.Inf(1)
	}
	c := pc.c
	n := float64(c.n)
	lgr, pr := lgam(r), digamma(r)
	var sv, sr float64
	for i, x := range c.xs {
		pc.lt[i] = lgam(r+x) - lgr
		sv += c.xw[i] * pc.lt[i]
		if x > 0 {
			sr += c.xw[i] * (digamma(r+x) - pr)
		}
	}
	lal, lbe := math.Log(al), math.Log(be)
	for i, t := range c.times {
		pc.tt[4*i] = math.Log(al + t)
		pc.tt[4*i+1] = math.Log(be + t)
		pc.tt[4*i+2] = 1 / (al + t)
		pc.tt[4*i+3] = 1 / (be + t)
	}
	var acc [5]float64
	groups, tt, lF, dJ, gx, gT := c.groups, pc.tt, pc.lF, pc.dJ, pc.gx, pc.gT
	sumChunks(len(groups), 5, acc[:], func(lo, hi int, out []float64) {
		var v, dr, dal, ds, dbe float64
		for gi := lo; gi < hi; gi++ {
			g := groups[gi]
			rx := r + g.x
			tq := tt[4*g.ti : 4*g.ti+4]
			l1 := -rx*tq[0] - s*tq[1]
			l2 := math.Inf(-1)
			var q, den float64
			i, j := gx[gi], gT[gi]
			if i >= 0 {
				if d := lF[j] - lF[i]; d < 0 {
					den = -math.Expm1(d)
					q = math.Exp(d)
					l2 = math.Log(s/(r+s+g.x)) + lF[i] + math.Log(den)
				}
			}
			mx := logAddExp(l1, l2)
			w1 := math.Exp(l1 - mx)
			v += g.w * mx
			gr := -w1 * tq[0]
			ga := -w1 * rx * tq[2]
			gs := -w1 * tq[1]
			gb := -w1 * s * tq[3]
			if !math.IsInf(l2, -1) {
				w2 := math.Exp(l2 - mx)
				a, b := dJ[4*i:4*i+4], dJ[4*j:4*j+4]
				gr += w2 * (a[0] - q*b[0]) / den
				ga += w2 * (a[1] - q*b[1]) / den
				gs += w2 * (1/s + (a[2]-q*b[2])/den)
				gb += w2 * (a[3] - q*b[3]) / den
			}
			dr += g.w * gr
			dal += g.w * ga
			ds += g.w * gs
			dbe += g.w * gb
		}
		out[0], out[1], out[2], out[3], out[4] = v, dr, dal, ds, dbe
	})
	sum := sv + n*(r*lal+s*lbe) + acc[0]
	if !finite(sum) {
		return math.Inf(1)
	}
	grad[0] = -(sr + n*lal + acc[1])
	grad[1] = -(n*r/al + acc[2])
	grad[2] = -(n*lbe + acc[3])
	grad[3] = -(n*s/be + acc[4])
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
		model:   "Pareto/NBD",
		names:   []string{"r", "alpha", "s", "beta"},
		scale:   []float64{1, ts, 1, ts},
		n:       len(cs),
		nllOpt:  pcS.nll,
		nllGrad: pcS.nllGrad,
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
