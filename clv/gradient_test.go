package clv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The analytic gradients must match central differences of the likelihoods they belong
// to, and fits on them must reach the optimum of the derivative-free search.

// gradProblem is one model's total negative log-likelihood and its analytic gradient on
// one data set (optimiser units: the data as given, no rescaling).
type gradProblem struct {
	name string
	n    int
	nll  func(p []float64) float64
	grad func(p, g []float64) float64
}

func gradProblems(t *testing.T, name string, cs []Customer) []gradProblem {
	t.Helper()
	c, err := newCohort(cs, 1)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float64, 2*len(c.xs)+len(c.times))
	bg := newBGNBDBuf(c)
	pc := newParetoCache(c)
	sd, err := newSpendData(cs, 1)
	if err != nil {
		t.Fatal(err)
	}
	return []gradProblem{
		{name + " BG/NBD", c.n,
			func(p []float64) float64 { return bgnbdNLL(c, p, buf) },
			func(p, g []float64) float64 { return bgnbdGrad(c, p, g, bg) }},
		{name + " Pareto/NBD", c.n, pc.nll, pc.nllGrad},
		{name + " Gamma-Gamma", sd.n, sd.nll, sd.nllGrad},
	}
}

// simulatedCustomers draws n customers with BG/NBD-like purchase histories and gamma
// spend, with ages up to maxT; a share of them are exact duplicates of earlier ones.
func simulatedCustomers(seed uint64, n int, maxT float64) []Customer {
	rng := rand.New(rand.NewPCG(seed, 1))
	cs := make([]Customer, 0, n)
	for len(cs) < n {
		if len(cs) > 0 && rng.IntN(4) == 0 {
			cs = append(cs, cs[rng.IntN(len(cs))])
			continue
		}
		T := math.Round(rng.Float64()*maxT*7) / 7
		if T == 0 {
			T = 1.0 / 7
		}
		lam := GammaRand(rng, 0.6) / 3
		death := rng.ExpFloat64() * maxT / 2 / GammaRand(rng, 1.5)
		x, tx := 0, 0.0
		for tm := rng.ExpFloat64() / lam; tm <= T && tm <= death; tm += rng.ExpFloat64() / lam {
			x++
			tx = math.Ceil(tm*7) / 7
		}
		tx = math.Min(tx, T)
		z := 0.0
		if x > 0 {
			z = math.Round(100*GammaRand(rng, 4)*(1+rng.Float64())) / 10
			if z == 0 {
				z = 0.1
			}
		}
		cs = append(cs, Customer{ID: fmt.Sprint(len(cs)), X: x, Tx: tx, T: T, Monetary: z})
	}
	return cs
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	var problems []gradProblem
	problems = append(problems, gradProblems(t, "CDNOW", loadSummaryCSV(t, "cdnow_customers_summary_with_transactions.csv"))...)
	problems = append(problems, gradProblems(t, "simulated", simulatedCustomers(7, 3000, 78))...)
	rng := rand.New(rand.NewPCG(11, 3))
	for _, pr := range problems {
		k := 4
		if pr.name[len(pr.name)-len("Gamma-Gamma"):] == "Gamma-Gamma" {
			k = 3
		}
		checked := 0
		for trial := 0; trial < 12; trial++ {
			p := make([]float64, k)
			for i := range p {
				p[i] = logUniform(rng, 0.05, 40)
			}
			if trial%3 == 0 && k == 4 { // both orders of alpha and beta for Pareto/NBD
				p[3] = p[1] * logUniform(rng, 0.01, 0.9)
			}
			g := make([]float64, k)
			v := pr.grad(p, g)
			want := pr.nll(p)
			if !finite(want) {
				continue
			}
			checked++
			if !(math.Abs(v-want) <= 1e-11*math.Abs(want)) {
				t.Errorf("%s at %v: value %v, likelihood %v", pr.name, p, v, want)
			}
			for i := range p {
				h := 1e-6 * p[i]
				q := append([]float64(nil), p...)
				q[i] = p[i] + h
				fp := pr.nll(q)
				q[i] = p[i] - h
				fm := pr.nll(q)
				fd := (fp - fm) / (2 * h)
				// Rounding in the differences is about 1e-16·|nll|/h; allow 1e-6 of the
				// derivative's size plus that noise.
				tol := 1e-6*math.Abs(fd) + 1e-6*float64(pr.n)/p[i] + 1e-14*math.Abs(want)/h
				if !(math.Abs(g[i]-fd) <= tol) {
					t.Errorf("%s at %v: ∂/∂p%d analytic %.12g, central difference %.12g (tolerance %.2g)", pr.name, p, i, g[i], fd, tol)
				}
			}
		}
		if checked < 6 {
			t.Errorf("%s: only %d of 12 random points had a finite likelihood", pr.name, checked)
		}
	}
}

// The Pareto/NBD gradient's series needs too many terms when α and β are far apart
// relative to the times; the central-difference fallback must agree with the series
// where both work, and the total gradient must still match differences of the total
// where the fallback is used.
func TestParetoGradientFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	compared := 0
	for range 200 {
		m := ParetoNBD{logUniform(rng, 0.05, 20), logUniform(rng, 0.1, 100), logUniform(rng, 0.05, 20), logUniform(rng, 0.1, 100)}
		x, tx, T := randomRFM(rng, 30, 100)
		for _, tm := range []float64{tx, T} {
			series, diff := make([]float64, 4), make([]float64, 4)
			if !m.logJGradSeries(float64(x), tm, series) {
				continue
			}
			m.logJGradDiff(float64(x), tm, diff)
			compared++
			p := []float64{m.R, m.Alpha, m.S, m.Beta}
			for i := range series {
				if !(math.Abs(series[i]-diff[i]) <= 1e-6*(math.Abs(series[i])+1/p[i])) {
					t.Errorf("%v x=%d t=%v: ∂ln J/∂p%d series %.12g, differences %.12g", m, x, tm, i, series[i], diff[i])
				}
			}
		}
	}
	if compared < 200 {
		t.Errorf("the series applied to only %d of 400 random points", compared)
	}
	m := ParetoNBD{R: 0.7, Alpha: 3000, S: 1.3, Beta: 0.02}
	if m.logJGradSeries(2, 5, make([]float64, 4)) {
		t.Errorf("%v: the series was expected to need too many terms at z = %.4f", m, (m.Alpha-m.Beta)/(m.Alpha+5))
	}
	// A data set where a few pairs need the fallback: long ages, and some customers
	// whose last purchase came right after the first.
	cs := simulatedCustomers(3, 400, 20000)
	for i := 0; i < 20; i++ {
		cs = append(cs, Customer{X: 1 + i%3, Tx: 0.5 + float64(i), T: 15000})
	}
	c, _ := newCohort(cs, 1)
	pc := newParetoCache(c)
	fallbacks := 0
	for i := range pc.pairX {
		if !m.logJGradSeries(pc.pairX[i], pc.pairT[i], make([]float64, 4)) {
			fallbacks++
		}
	}
	if fallbacks == 0 || fallbacks > len(pc.pairX)/4 {
		t.Fatalf("%d of %d pairs need the fallback; the test wants some, under a quarter", fallbacks, len(pc.pairX))
	}
	p := []float64{m.R, m.Alpha, m.S, m.Beta}
	g := make([]float64, 4)
	if v := pc.nllGrad(p, g); !finite(v) || pc.gaveUp {
		t.Fatalf("nllGrad = %v (gave up: %v)", v, pc.gaveUp)
	}
	for i := range p {
		h := 1e-6 * p[i]
		q := append([]float64(nil), p...)
		q[i] += h
		fp := pc.nll(q)
		q[i] -= 2 * h
		fm := pc.nll(q)
		fd := (fp - fm) / (2 * h)
		if !(math.Abs(g[i]-fd) <= 1e-6*math.Abs(fd)+1e-6*float64(c.n)/p[i]) {
			t.Errorf("total ∂/∂p%d = %.12g, differences %.12g", i, g[i], fd)
		}
	}
	t.Logf("%d of %d pairs by central differences", fallbacks, len(pc.pairX))
}

// Fits on the analytic gradient reach the same optimum as the derivative-free search.
func TestGradientFitsMatchDerivativeFree(t *testing.T) {
	data := map[string][]Customer{
		"CDNOW":     loadSummaryCSV(t, "cdnow_customers_summary_with_transactions.csv"),
		"simulated": simulatedCustomers(5, 4000, 78),
	}
	fits := map[string]func([]Customer) (Fit, error){
		"BG/NBD":      func(cs []Customer) (Fit, error) { _, f, err := FitBGNBD(cs, nil); return f, err },
		"Pareto/NBD":  func(cs []Customer) (Fit, error) { _, f, err := FitParetoNBD(cs, nil); return f, err },
		"Gamma-Gamma": func(cs []Customer) (Fit, error) { _, f, err := FitGammaGamma(cs, nil); return f, err },
	}
	for dn, cs := range data {
		for mn, fit := range fits {
			gradientFits = true
			fg, err := fit(cs)
			if err != nil {
				t.Fatal(err)
			}
			gradientFits = false
			fd, err := fit(cs)
			gradientFits = true
			if err != nil {
				t.Fatal(err)
			}
			if !fg.OK() || !fd.OK() {
				t.Errorf("%s %s: gradient fit OK=%v, derivative-free OK=%v\n%s%s", dn, mn, fg.OK(), fd.OK(), fg, fd)
				continue
			}
			if d := math.Abs(fg.LogLikelihood - fd.LogLikelihood); d > 1e-9*math.Abs(fd.LogLikelihood) {
				t.Errorf("%s %s: log-likelihood %.10f with the gradient, %.10f without", dn, mn, fg.LogLikelihood, fd.LogLikelihood)
			}
			for i := range fg.Params {
				if d := math.Abs(fg.Params[i] - fd.Params[i]); d > 1e-4*fd.Params[i] {
					t.Errorf("%s %s: %s = %.8g with the gradient, %.8g without", dn, mn, fg.Names[i], fg.Params[i], fd.Params[i])
				}
				if d := math.Abs(fg.StdErr[i] - fd.StdErr[i]); d > 1e-3*fd.StdErr[i] {
					t.Errorf("%s %s: se(%s) = %.6g with the gradient, %.6g without", dn, mn, fg.Names[i], fg.StdErr[i], fd.StdErr[i])
				}
			}
			if fg.Evaluations >= fd.Evaluations {
				t.Errorf("%s %s: %d evaluations with the gradient, %d without", dn, mn, fg.Evaluations, fd.Evaluations)
			}
			t.Logf("%s %s: LL %.6f, %d evaluations with the gradient, %d without", dn, mn, fg.LogLikelihood, fg.Evaluations, fd.Evaluations)
		}
	}
}

// Identical rows are fitted as one weighted row: repeating every customer k times
// multiplies the log-likelihood by k and leaves the estimates unchanged.
func TestDuplicateRowsAreWeighted(t *testing.T) {
	cs := simulatedCustomers(9, 1500, 60)
	var rep []Customer
	for _, c := range cs {
		for range 3 {
			rep = append(rep, c)
		}
	}
	c1, _ := newCohort(cs, 1)
	c3, _ := newCohort(rep, 1)
	if len(c3.groups) != len(c1.groups) || len(c1.groups) >= len(cs) {
		t.Errorf("groups: %d for %d customers, %d for %d", len(c1.groups), len(cs), len(c3.groups), len(rep))
	}
	_, f1, err1 := FitBGNBD(cs, nil)
	_, f3, err3 := FitBGNBD(rep, nil)
	_, g1, err4 := FitGammaGamma(cs, nil)
	_, g3, err5 := FitGammaGamma(rep, nil)
	for _, err := range []error{err1, err3, err4, err5} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, pair := range [][2]Fit{{f1, f3}, {g1, g3}} {
		a, b := pair[0], pair[1]
		if math.Abs(3*a.LogLikelihood-b.LogLikelihood) > 1e-9*math.Abs(b.LogLikelihood) {
			t.Errorf("%s: LL %.8f once, %.8f three times", a.Model, a.LogLikelihood, b.LogLikelihood)
		}
		for i := range a.Params {
			if math.Abs(a.Params[i]-b.Params[i]) > 1e-5*a.Params[i] {
				t.Errorf("%s: %s = %.8g once, %.8g three times", a.Model, a.Names[i], a.Params[i], b.Params[i])
			}
			if math.Abs(a.StdErr[i]/math.Sqrt(3)-b.StdErr[i]) > 1e-3*b.StdErr[i] {
				t.Errorf("%s: se(%s) = %.6g once, %.6g three times (want ÷√3)", a.Model, a.Names[i], a.StdErr[i], b.StdErr[i])
			}
		}
	}
}

// Rows are grouped by sorting, so the order of the customers does not change a fit at
// all: the same bits for a shuffled input.
func TestFitDoesNotDependOnInputOrder(t *testing.T) {
	cs := simulatedCustomers(21, 3000, 60)
	sh := append([]Customer(nil), cs...)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
	for _, fit := range []func([]Customer) (Fit, error){
		func(c []Customer) (Fit, error) { _, f, err := FitBGNBD(c, nil); return f, err },
		func(c []Customer) (Fit, error) { _, f, err := FitParetoNBD(c, nil); return f, err },
		func(c []Customer) (Fit, error) { _, f, err := FitGammaGamma(c, nil); return f, err },
	} {
		a, err1 := fit(cs)
		b, err2 := fit(sh)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if a.LogLikelihood != b.LogLikelihood || !slices.Equal(a.Params, b.Params) || !slices.Equal(a.StdErr, b.StdErr) {
			t.Errorf("%s: shuffled input gives LL %v %v, params %v %v", a.Model, a.LogLikelihood, b.LogLikelihood, a.Params, b.Params)
		}
	}
}
