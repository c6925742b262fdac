package clv

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// GammaGamma holds the parameters of the Gamma-Gamma model of spend per transaction
// (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"; Fader, Hardie & Lee
// 2005, "RFM and CLV", JMR 42(4)). A customer's transaction values are gamma(P, ν) and ν
// varies across customers as gamma(Q, Gamma); Gamma is in the data's money unit. Spend is
// assumed independent of the purchase process. All parameters must be positive and
// finite; the population mean spend P·Gamma/(Q−1) is finite only for Q > 1.
type GammaGamma struct {
	P, Q, Gamma float64
}

func (g GammaGamma) valid() bool {
	return g.P > 0 && g.Q > 0 && g.Gamma > 0 && finite(g.P) && finite(g.Q) && finite(g.Gamma)
}

// LogLikelihood returns the log-density of a repeat customer's mean transaction value
// zbar over x > 0 transactions (the marginal distribution of zbar in Fader & Hardie 2013):
//
//	f(zbar | p, q, γ; x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q x^{px} zbar^{px−1} / (γ + x·zbar)^{px+q}.
//
// NaN for invalid parameters, x <= 0, or zbar <= 0.
func (g GammaGamma) LogLikelihood(x int, zbar float64) float64 {
	if !g.valid() || x <= 0 || !(zbar > 0) || !finite(zbar) {
		return math.NaN()
	}
	xf := float64(x)
	px := g.P * xf
	return lgam(px+g.Q) - lgam(px) - lgam(g.Q) + g.Q*math.Log(g.Gamma) + px*math.Log(xf) +
		(px-1)*math.Log(zbar) - (px+g.Q)*math.Log(g.Gamma+xf*zbar)
}

// MeanSpend returns the population mean spend per transaction, p·γ/(q−1), or +Inf when
// q <= 1 (the mean does not exist); NaN for invalid parameters.
func (g GammaGamma) MeanSpend() float64 {
	if !g.valid() {
		return math.NaN()
	}
	if g.Q <= 1 {
		return math.Inf(1)
	}
	return g.P * g.Gamma / (g.Q - 1)
}

// ConditionalExpectedSpend returns E[Z | p, q, γ, zbar, x], the expected spend per
// transaction of a customer with x repeat transactions of mean value zbar (the
// conditional expectation in Fader & Hardie 2013):
//
//	E = p(γ + x·zbar) / (px + q − 1)
//	  = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · zbar,
//
// a weighted average of the population mean and the customer's own mean. For x = 0 it
// is the population mean (zbar is ignored). It returns +Inf when px+q <= 1 (q <= 1 for
// x = 0) and NaN for invalid input.
func (g GammaGamma) ConditionalExpectedSpend(x int, zbar float64) float64 {
	if !g.valid() || x < 0 {
		return math.NaN()
	}
	if x == 0 {
		return g.MeanSpend()
	}
	if !(zbar >= 0) || !finite(zbar) {
		return math.NaN()
	}
	xf := float64(x)
	d := g.P*xf + g.Q - 1
	if d <= 0 {
		return math.Inf(1)
	}
	return g.P * (g.Gamma + xf*zbar) / d
}

// spendData is the compressed Gamma-Gamma data: repeat customers grouped by (x, zbar).
type spendData struct {
	n      int
	xs     []float64 // distinct x
	xw     []float64 // customers per distinct x
	lnxs   []float64
	groups []spendGroup
	cx     []float64 // scratch per distinct x
}

type spendGroup struct {
	w, x, z, lnz float64
	xi           int
}

func newSpendData(cs []Customer, scale float64) (*spendData, error) {
	if len(cs) == 0 {
		return nil, ErrNoCustomers
	}
	type key struct {
		x int
		z float64
	}
	keys := make([]key, 0, len(cs))
	for i, c := range cs {
		if err := checkCustomer(i, c, true); err != nil {
			return nil, err
		}
		if c.X > 0 {
			keys = append(keys, key{c.X, c.Monetary})
		}
	}
	if len(keys) == 0 {
		return nil, ErrNoRepeaters
	}
	// Sorted, identical rows are adjacent (see newCohort), and the group order does not
	// depend on the input order.
	slices.SortFunc(keys, func(a, b key) int {
		if a.x != b.x {
			return cmp.Compare(a.x, b.x)
		}
		return cmp.Compare(a.z, b.z)
	})
	d := &spendData{n: len(keys)}
	for i, k := range keys {
		if i > 0 && k == keys[i-1] {
			d.groups[len(d.groups)-1].w++
			d.xw[len(d.xw)-1]++
			continue
		}
		if i == 0 || k.x != keys[i-1].x {
			d.xs = append(d.xs, float64(k.x))
			d.xw = append(d.xw, 0)
			d.lnxs = append(d.lnxs, math.Log(float64(k.x)))
		}
		d.xw[len(d.xw)-1]++
		z := k.z / scale
		d.groups = append(d.groups, spendGroup{w: 1, x: float64(k.x), z: z, lnz: math.Log(z), xi: len(d.xs) - 1})
	}
	d.cx = make([]float64, len(d.xs))
	return d, nil
}

// nll returns the total negative log-likelihood at (p, q, γ), or +Inf.
func (d *spendData) nll(par []float64) float64 {
	p, q, gm := par[0], par[1], par[2]
	if !(p > 0 && q > 0 && gm > 0) || !finite(p+q+gm) {
		return math.Inf(1)
	}
	base := -lgam(q) + q*math.Log(gm)
	for i, x := range d.xs {
		px := p * x
		d.cx[i] = base + lgam(px+q) - lgam(px) + px*d.lnxs[i]
	}
	sum := 0.0
	for _, g := range d.groups {
		px := p * g.x
		sum += g.w * (d.cx[g.xi] + (px-1)*g.lnz - (px+q)*math.Log(gm+g.x*g.z))
	}
	if !finite(sum) {
		return math.Inf(1)
	}
	return -sum
}

// nllGrad returns the same total negative log-likelihood as nll and stores its gradient
// with respect to (p, q, γ) in grad. One customer's log-likelihood has the derivatives
//
//	∂/∂p = x [ψ(px+q) − ψ(px) + ln x + ln zbar − ln(γ + x zbar)]
//	∂/∂q = ψ(px+q) − ψ(q) + ln γ − ln(γ + x zbar)
//	∂/∂γ = q/γ − (px+q)/(γ + x zbar);
//
// the x-only parts are summed once per distinct x with its customer count.
func (d *spendData) nllGrad(par, grad []float64) float64 {
	p, q, gm := par[0], par[1], par[2]
	for i := range grad {
		grad[i] = math.NaN()
	}
	if !(p > 0 && q > 0 && gm > 0) || !finite(p+q+gm) {
		return math.Inf(1)
	}
	n := float64(d.n)
	lgm, pq := math.Log(gm), digamma(q)
	var sv, sp, sq float64
	for i, x := range d.xs {
		w, px := d.xw[i], p*x
		sv += w * (lgam(px+q) - lgam(px) + px*d.lnxs[i])
		ppq := digamma(px + q)
		sp += w * x * (ppq - digamma(px) + d.lnxs[i])
		sq += w * (ppq - pq)
	}
	var acc [4]float64
	groups := d.groups
	sumChunks(len(groups), 4, acc[:], func(lo, hi int, out []float64) {
		var v, dp, slg, dg float64
		for _, g := range groups[lo:hi] {
			px := p * g.x
			den := gm + g.x*g.z
			lg := math.Log(den)
			v += g.w * ((px-1)*g.lnz - (px+q)*lg)
			dp += g.w * g.x * (g.lnz - lg)
			slg += g.w * lg
			dg += g.w * (px + q) / den
		}
		out[0], out[1], out[2], out[3] = v, dp, slg, dg
	})
	sum := sv + n*(q*lgm-lgam(q)) + acc[0]
	if !finite(sum) {
		return math.Inf(1)
	}
	grad[0] = -(sp + acc[1])
	grad[1] = -(sq + n*lgm - acc[2])
	grad[2] = -(n*q/gm - acc[3])
	return -sum
}

// FitGammaGamma fits the Gamma-Gamma spend model by maximum likelihood to the customers
// with X > 0 (using their X and Monetary; others are skipped, and Fit.N counts the repeat
// customers used). Errors: [ErrNoCustomers], [ErrNoRepeaters], or a [*DataError] for an
// invalid record (including a repeat customer whose Monetary is not positive). A fit with
// q <= 1 carries a warning because the population mean spend is then infinite. The model
// assumes spend is independent of purchase frequency; check that correlation yourself.
// opts may be nil.
func FitGammaGamma(cs []Customer, opts *FitOptions) (GammaGamma, Fit, error) {
	mean, n := 0.0, 0
	for _, c := range cs {
		if c.X > 0 && c.Monetary > 0 && finite(c.Monetary) {
			mean += c.Monetary
			n++
		}
	}
	ms := 1.0
	if n > 0 {
		ms = pow2Near(mean / float64(n)) // exact scaling, independent of the input order
	}
	scaled, err := newSpendData(cs, ms)
	if err != nil {
		return GammaGamma{}, Fit{}, err
	}
	sp := spec{
		model:   "Gamma-Gamma",
		names:   []string{"p", "q", "gamma"},
		scale:   []float64{1, 1, ms},
		n:       scaled.n,
		nllOpt:  scaled.nll,
		nllGrad: scaled.nllGrad,
		// Spend divided by ms multiplies each customer's density by ms.
		natOffset: float64(scaled.n) * math.Log(ms),
		starts:    [][]float64{{1, 2, 1}, {5, 3, 0.5}, {0.5, 5, 8}},
		check: func(p []float64) []string {
			if p[1] <= 1 {
				return []string{fmt.Sprintf("q = %.4g <= 1: the population mean spend is infinite; spend predictions for customers without repeat purchases are unbounded", p[1])}
			}
			return nil
		},
	}
	f, err := runFit(sp, opts)
	if err != nil {
		return GammaGamma{}, f, err
	}
	p := f.Params
	return GammaGamma{P: p[0], Q: p[1], Gamma: p[2]}, f, nil
}
