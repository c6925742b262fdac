package clv

import (
	"errors"
	"fmt"
	"math"
)

// Fit describes a maximum-likelihood fit. Params and StdErr are in natural units (the
// data's time and money units) and in the order given by Names.
//
// Guarantees: Converged is true only if the optimiser met its tolerance at an interior
// point (every parameter, made dimensionless by the data's mean age or mean spend, within
// [1e-6, 1e6]), the log-likelihood there is finite, and the numerically computed Hessian of
// the negative log-likelihood is positive definite. Every reason for Converged == false is
// listed in Warnings; Warnings may also hold advisory notes on a converged fit (for
// example a weakly identified parameter). Use OK for "safe to use without review".
type Fit struct {
	Model         string    `json:"model"`          // "BG/NBD", "Pareto/NBD" or "Gamma-Gamma"
	Names         []string  `json:"names"`          // parameter names
	Params        []float64 `json:"params"`         // maximum-likelihood estimates
	StdErr        []float64 `json:"std_err"`        // asymptotic standard errors; NaN when the Hessian is not positive definite
	LogLikelihood float64   `json:"log_likelihood"` // total log-likelihood at Params, on the input data
	N             int       `json:"n"`              // customers that contributed to the likelihood
	Iterations    int       `json:"iterations"`     // optimiser iterations (BFGS or Nelder–Mead, plus Newton)
	Evaluations   int       `json:"evaluations"`    // likelihood evaluations (a value with its gradient counts as one)
	Converged     bool      `json:"converged"`      // see the type documentation
	Warnings      []string  `json:"warnings"`       // human-readable diagnostics
}

// OK reports whether the fit converged without any warning.
func (f Fit) OK() bool { return f.Converged && len(f.Warnings) == 0 }

// String formats the fit as a short table.
func (f Fit) String() string {
	s := fmt.Sprintf("%s fit: N=%d LL=%.4f converged=%v iterations=%d evaluations=%d\n",
		f.Model, f.N, f.LogLikelihood, f.Converged, f.Iterations, f.Evaluations)
	for i, n := range f.Names {
		s += fmt.Sprintf("  %-6s %12.6g  (se %.4g)\n", n, f.Params[i], f.StdErr[i])
	}
	for _, w := range f.Warnings {
		s += "  warning: " + w + "\n"
	}
	return s
}

// FitOptions tunes a fit. The zero value (or a nil pointer) selects the defaults.
type FitOptions struct {
	// Start, if set, is the first starting point, in natural units and parameter order
	// (see Fit.Names). Built-in starting points are tried after it if it is not usable.
	Start []float64
	// MaxEvaluations bounds the likelihood evaluations of the search (default 10000; a
	// step in progress may overshoot it by a few); the standard errors take up to 2k²+1
	// more for k parameters. A fit stopped by the limit is reported with Converged == false.
	MaxEvaluations int
}

// Search box and degeneracy thresholds for the dimensionless parameters.
const (
	boxLo, boxHi   = -18.420680743952367, 18.420680743952367 // ln(1e-8), ln(1e8)
	degenLo        = 1e-6
	degenHi        = 1e6
	polishTol      = 1e-15 // Newton decrement per customer: target
	convergedTol   = 1e-9  // Newton decrement per customer: accepted as converged
	weakRelativeSE = 1     // StdErr above the estimate (a 95% interval spanning zero) is reported as weakly identified
)

// spec describes one model's fitting problem to runFit.
type spec struct {
	model  string
	names  []string
	scale  []float64               // natural parameter = optimiser parameter × scale
	n      int                     // customers in the likelihood
	nllOpt func([]float64) float64 // total negative LL, optimiser units (data rescaled)
	// nllGrad, if set, returns the same total negative LL as nllOpt and stores its
	// gradient with respect to the optimiser-unit parameters in g.
	nllGrad func(p, g []float64) float64
	// natOffset converts the rescaled data's negative LL to the original data's:
	// nllNat(p) = nllOpt(p / scale) + natOffset (the Jacobian of the rescaling).
	natOffset float64
	starts    [][]float64 // optimiser units
	check     func(p []float64) []string
}

// nllNat returns the total negative log-likelihood of the original data at natural
// parameters p.
func (sp *spec) nllNat(p []float64) float64 {
	q := make([]float64, len(p))
	for i, v := range p {
		q[i] = v / sp.scale[i]
	}
	return sp.nllOpt(q) + sp.natOffset
}

// runFit minimises the negative log-likelihood over log-parameters and assembles the Fit.
func runFit(sp spec, opts *FitOptions) (Fit, error) {
	k := len(sp.names)
	fit := Fit{Model: sp.model, Names: sp.names, N: sp.n}
	maxEval := 10000
	starts := sp.starts
	if opts != nil {
		if opts.MaxEvaluations > 0 {
			maxEval = opts.MaxEvaluations
		}
		if opts.Start != nil {
			if len(opts.Start) != k {
				return fit, fmt.Errorf("clv: FitOptions.Start has %d values, %s needs %d (%v)", len(opts.Start), sp.model, k, sp.names)
			}
			s := make([]float64, k)
			for i, v := range opts.Start {
				if !(v > 0) || !finite(v) {
					return fit, fmt.Errorf("clv: FitOptions.Start[%d] (%s) = %v must be positive and finite", i, sp.names[i], v)
				}
				s[i] = v / sp.scale[i]
			}
			starts = append([][]float64{s}, starts...)
		}
	}
	p := make([]float64, k)
	obj := &counted{f: func(u []float64) float64 {
		for i, v := range u {
			p[i] = math.Exp(v)
		}
		v := sp.nllOpt(p) / float64(sp.n)
		if !finite(v) {
			return math.Inf(1)
		}
		return v
	}}
	var u0 []float64
	for _, s := range starts {
		u := make([]float64, k)
		for i, v := range s {
			u[i] = math.Log(v)
		}
		clampBox(u, boxLo, boxHi)
		if finite(obj.eval(u)) {
			u0 = u
			break
		}
	}
	if u0 == nil {
		return fit, errors.New("clv: " + sp.model + " log-likelihood is not finite at any starting point")
	}
	if sp.nllGrad != nil && gradientFits {
		f, done := gradFit(&sp, fit, u0, maxEval, obj.evals)
		if done {
			return f, nil
		}
		// Not a clean interior optimum: run the derivative-free search, which handles
		// boundaries and flat directions, from the same start.
		fit.Iterations = f.Iterations
		obj.evals = f.Evaluations
	}

	// Nelder–Mead, restarted from the best vertex until a restart no longer improves.
	x, fx, it, nmConv := nelderMead(obj, u0, 1, boxLo, boxHi, maxEval, 1e-8, 1e-4)
	fit.Iterations += it
	for r := 0; r < 5 && obj.evals < maxEval; r++ {
		x2, f2, it2, c2 := nelderMead(obj, x, 0.2, boxLo, boxHi, maxEval-obj.evals, 1e-8, 1e-4)
		fit.Iterations += it2
		gain := fx - f2
		if f2 < fx {
			x, fx = x2, f2
		}
		nmConv = c2
		if gain <= 1e-11*(1+math.Abs(fx)) {
			break
		}
	}
	nr := newtonPolish(obj, x, fx, boxLo, boxHi, polishTol, convergedTol, 50, maxEval)
	fit.Iterations += nr.iters
	x = nr.x
	optimiserOK := nr.pd && nr.decrement <= convergedTol
	if !optimiserOK {
		switch {
		case obj.evals >= maxEval:
			fit.Warnings = append(fit.Warnings, fmt.Sprintf("optimiser stopped after %d likelihood evaluations (limit) without meeting its tolerance", obj.evals))
		case !nr.pd:
			fit.Warnings = append(fit.Warnings, "the likelihood surface is not locally convex at the best point found (no isolated maximum)")
		default:
			fit.Warnings = append(fit.Warnings, fmt.Sprintf("optimiser did not converge (Newton decrement %.3g per customer, Nelder–Mead converged: %v)", nr.decrement, nmConv))
		}
	}

	// Boundary check on dimensionless parameters.
	interior := true
	fit.Params = make([]float64, k)
	for i, v := range x {
		d := math.Exp(v)
		fit.Params[i] = d * sp.scale[i]
		if d < degenLo || d > degenHi {
			interior = false
			dir := "towards 0"
			if d > degenHi {
				dir = "towards infinity"
			}
			fit.Warnings = append(fit.Warnings, fmt.Sprintf("parameter %s = %.4g runs %s (dimensionless value %.3g): the maximum-likelihood estimate is on the boundary, the model is degenerate for these data", sp.names[i], fit.Params[i], dir, d))
		}
	}

	nll := sp.nllNat(fit.Params)
	fit.LogLikelihood = -nll
	finiteLL := finite(nll)
	if !finiteLL {
		fit.Warnings = append(fit.Warnings, "log-likelihood is not finite at the estimate")
	}
	pd := false
	fit.StdErr, pd = stdErrors(sp.nllNat, fit.Params, nll)
	if !pd {
		fit.Warnings = append(fit.Warnings, "Hessian of the negative log-likelihood is not positive definite at the estimate; standard errors are unavailable")
	} else {
		for i, se := range fit.StdErr {
			if se > weakRelativeSE*fit.Params[i] {
				fit.Warnings = append(fit.Warnings, fmt.Sprintf("parameter %s is weakly identified (standard error %.3g vs estimate %.3g)", sp.names[i], se, fit.Params[i]))
			}
		}
	}
	fit.Evaluations = obj.evals
	fit.Converged = optimiserOK && interior && finiteLL && pd
	if sp.check != nil {
		fit.Warnings = append(fit.Warnings, sp.check(fit.Params)...)
	}
	return fit, nil
}

// gradientFits selects the gradient path of runFit when the model supplies a gradient
// (tests turn it off to compare with the derivative-free search).
var gradientFits = true

// gradEvalBudget bounds the evaluations of the gradient search; interior optima take
// 20–40.
const gradEvalBudget = 150

// gradFit minimises with BFGS on the analytic gradient from u0 (log optimiser units) and
// checks the result with the gradient-difference Hessian. It returns the assembled Fit
// and true when that is a converged interior optimum with a finite log-likelihood and a
// positive definite Hessian; otherwise false, with Iterations and Evaluations spent so
// far (evals counts the evaluations made before the call).
func gradFit(sp *spec, fit Fit, u0 []float64, maxEval, evals int) (Fit, bool) {
	k := len(sp.names)
	p, gp := make([]float64, k), make([]float64, k)
	nf := float64(sp.n)
	obj := &countedGrad{evals: evals, fg: func(u, g []float64) float64 {
		for i, v := range u {
			p[i] = math.Exp(v)
		}
		v := sp.nllGrad(p, gp) / nf
		for i := range g {
			g[i] = gp[i] * p[i] / nf // d/du_i = p_i · d/dp_i
		}
		if !finite(v) {
			return math.Inf(1)
		}
		return v
	}}
	// A fit whose iterate runs a decade past the degeneracy thresholds is heading for a
	// boundary (where the likelihood is also slow to evaluate): leave it to the
	// derivative-free search. So does one that needs more than gradEvalBudget evaluations.
	br, ok := bfgsMinimise(obj, u0, boxLo, boxHi, math.Log(degenLo/10), math.Log(degenHi*10), polishTol/10, 200, min(maxEval, evals+gradEvalBudget))
	fit.Iterations += br.iters
	fit.Evaluations = obj.evals
	if !ok || !finite(br.fx) {
		return fit, false
	}
	nr := gradNewton(obj, br.x, br.g, br.fx, boxLo, boxHi, polishTol, convergedTol, 20, maxEval)
	fit.Iterations += nr.iters
	fit.Evaluations = obj.evals
	if !nr.pd || !(nr.decrement <= convergedTol) {
		return fit, false
	}
	fit.Params = make([]float64, k)
	for i, v := range nr.x {
		d := math.Exp(v)
		if d < degenLo || d > degenHi {
			return fit, false
		}
		fit.Params[i] = d * sp.scale[i]
	}
	nll := nr.fx*nf + sp.natOffset
	if !finite(nll) {
		return fit, false
	}
	fit.LogLikelihood = -nll
	// The Hessian in log-parameters does not depend on the units (rescaling shifts the
	// log-parameters), and at the optimum it is D·H·D for the natural parameters with
	// D = diag(p); so Cov(p) = D·(n·H_u)⁻¹·D.
	L, ok := cholesky(nr.H)
	if !ok {
		return fit, false
	}
	inv := cholInverse(L)
	fit.StdErr = make([]float64, k)
	for i := range fit.StdErr {
		fit.StdErr[i] = fit.Params[i] * math.Sqrt(inv[i][i]/nf)
		if se := fit.StdErr[i]; se > weakRelativeSE*fit.Params[i] {
			fit.Warnings = append(fit.Warnings, fmt.Sprintf("parameter %s is weakly identified (standard error %.3g vs estimate %.3g)", sp.names[i], se, fit.Params[i]))
		}
	}
	fit.Converged = true
	if sp.check != nil {
		fit.Warnings = append(fit.Warnings, sp.check(fit.Params)...)
	}
	return fit, true
}

// stdErrors returns the asymptotic standard errors sqrt(diag(H⁻¹)) of the natural
// parameters, where H is the central-difference Hessian of the total negative
// log-likelihood f at p (f(p) = fp). Differences are taken on relative perturbations
// p_i(1+u_i), i.e. H_u = D·H·D with D = diag(p), which is better conditioned; then
// Cov = D·H_u⁻¹·D. pd is false (and all errors NaN) if H is not positive definite.
func stdErrors(f func([]float64) float64, p []float64, fp float64) ([]float64, bool) {
	k := len(p)
	se := make([]float64, k)
	for i := range se {
		se[i] = math.NaN()
	}
	if !finite(fp) {
		return se, false
	}
	y := make([]float64, k)
	c := &counted{f: func(u []float64) float64 {
		for i := range u {
			y[i] = p[i] * (1 + u[i])
		}
		return f(y)
	}}
	_, H, ok := fdGradHess(c, make([]float64, k), fp, 1e-4, 1e-4)
	if !ok {
		return se, false
	}
	L, ok := cholesky(H)
	if !ok {
		return se, false
	}
	inv := cholInverse(L)
	for i := range se {
		se[i] = p[i] * math.Sqrt(inv[i][i])
	}
	return se, true
}
