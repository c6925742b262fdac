package clv

import "math"

// Gradient-based minimisation for the likelihoods that supply an analytic gradient:
// BFGS (Nocedal & Wright 2006, algorithm 6.1) on the log-parameters with a backtracking
// line search, then a check (and, if needed, damped Newton steps) with the Hessian taken
// as central differences of the analytic gradient. Objectives return +Inf where undefined.

// countedGrad wraps an objective with its gradient and counts its evaluations (a value
// with its gradient counts as one); NaN becomes +Inf.
type countedGrad struct {
	fg    func(x, g []float64) float64
	evals int
}

func (c *countedGrad) eval(x, g []float64) float64 {
	c.evals++
	v := c.fg(x, g)
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	for _, gi := range g {
		if !finite(gi) {
			return math.Inf(1)
		}
	}
	return v
}

// gradResult is the end state of bfgsMinimise.
type gradResult struct {
	x, g  []float64
	fx    float64
	iters int
}

// bfgsMinimise minimises f from x0 within the box [lo, hi] per coordinate until the
// quasi-Newton estimate of the Newton decrement gᵀH̃g falls below tol, a step no longer
// decreases f at working precision (both reported as converged: the caller checks the
// point with the true Hessian), or after maxIter iterations or maxEval evaluations (not
// converged), or as soon as an iterate leaves [giveLo, giveHi] in some coordinate (not
// converged: the caller falls back to a search that handles boundaries).
func bfgsMinimise(f *countedGrad, x0 []float64, lo, hi, giveLo, giveHi, tol float64, maxIter, maxEval int) (gradResult, bool) {
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx := f.eval(x, g)
	res := gradResult{x: x, g: g, fx: fx}
	if !finite(fx) {
		return res, false
	}
	H := identity(n) // inverse Hessian approximation
	scaled := false
	d, xt, gt := make([]float64, n), make([]float64, n), make([]float64, n)
	s, y, Hy := make([]float64, n), make([]float64, n), make([]float64, n)
	for res.iters < maxIter && f.evals < maxEval {
		slope, dec := 0.0, 0.0
		for i := range d {
			d[i] = 0
			for j := range d {
				d[i] -= H[i][j] * g[j]
			}
			slope += g[i] * d[i]
		}
		dec = -slope
		if !(slope < 0) { // lost positive definiteness: restart from steepest descent
			H = identity(n)
			scaled = false
			slope = 0
			for i := range d {
				d[i] = -g[i]
				slope -= g[i] * g[i]
			}
			dec = -slope
			if !(slope < 0) {
				return res, true // zero gradient
			}
		}
		if dec <= tol {
			return res, true
		}
		maxStep := 0.0
		for _, v := range d {
			maxStep = math.Max(maxStep, math.Abs(v))
		}
		t := 1.0
		if maxStep > 3 { // at most a factor e^3 per parameter in one step
			t = 3 / maxStep
		}
		ft, accepted := lineSearch(f, x, d, g, xt, gt, fx, slope, t, lo, hi, maxEval)
		if !accepted {
			return res, true // no descent possible at working precision
		}
		res.iters++
		sy := 0.0
		for i := range s {
			s[i] = xt[i] - x[i]
			y[i] = gt[i] - g[i]
			sy += s[i] * y[i]
		}
		copy(x, xt)
		copy(g, gt)
		fx = ft
		res.fx = fx
		for _, v := range x {
			if v < giveLo || v > giveHi {
				return res, false
			}
		}
		if !(sy > 1e-12*math.Sqrt(norm2(s)*norm2(y))) {
			continue // curvature condition fails: keep the previous approximation
		}
		if !scaled { // Nocedal & Wright (6.20): scale the initial approximation
			yy := norm2(y)
			for i := range H {
				for j := range H[i] {
					H[i][j] *= sy / yy
				}
			}
			scaled = true
		}
		// H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ, ρ = 1/sᵀy.
		rho := 1 / sy
		yHy := 0.0
		for i := range Hy {
			Hy[i] = 0
			for j := range Hy {
				Hy[i] += H[i][j] * y[j]
			}
			yHy += y[i] * Hy[i]
		}
		for i := range H {
			for j := range H[i] {
				H[i][j] += -rho*(Hy[i]*s[j]+s[i]*Hy[j]) + (rho*rho*yHy+rho)*s[i]*s[j]
			}
		}
	}
	return res, false // iteration or evaluation limit
}

// lineSearch backtracks from x along d (slope = gᵀd < 0), starting at step t, until the
// Armijo condition holds, and leaves the accepted point and its gradient in xt and gt.
// When the predicted decrease is below the rounding noise of f (a sum over many customers
// is exact only to about 1e-13 relative), comparing values says nothing; a full step is
// then accepted if f does not rise above the noise and the gradient shrinks, and no
// backtracking is attempted.
func lineSearch(f *countedGrad, x, d, g, xt, gt []float64, fx, slope, t, lo, hi float64, maxEval int) (float64, bool) {
	noise := 1e-12 * (1 + math.Abs(fx))
	flat := -slope <= 10*noise
	for ; t > 1e-12 && f.evals < maxEval; t /= 2 {
		for i := range xt {
			xt[i] = x[i] + t*d[i]
		}
		clampBox(xt, lo, hi)
		ft := f.eval(xt, gt)
		if flat {
			return ft, ft <= fx+noise && norm2(gt) < norm2(g)
		}
		if ft <= fx+1e-4*t*slope {
			return ft, true
		}
	}
	return fx, false
}

func identity(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		m[i][i] = 1
	}
	return m
}

func norm2(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return s
}

// gradHessian returns the Hessian of f at x as central differences (step h) of its
// analytic gradient, symmetrised; ok is false if any evaluation was not finite.
func gradHessian(f *countedGrad, x []float64, h float64) ([][]float64, bool) {
	n := len(x)
	H := make([][]float64, n)
	y := append([]float64(nil), x...)
	gp, gm := make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		y[i] = x[i] + h
		fp := f.eval(y, gp)
		y[i] = x[i] - h
		fm := f.eval(y, gm)
		y[i] = x[i]
		if !finite(fp) || !finite(fm) {
			return nil, false
		}
		H[i] = make([]float64, n)
		for j := range H[i] {
			H[i][j] = (gp[j] - gm[j]) / (2 * h)
		}
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			v := (H[i][j] + H[j][i]) / 2
			H[i][j], H[j][i] = v, v
		}
	}
	return H, true
}

// gradPolishResult is the end state of gradNewton.
type gradPolishResult struct {
	x         []float64
	fx        float64
	iters     int
	decrement float64     // gᵀH⁻¹g at x (+Inf if H is not positive definite)
	H         [][]float64 // Hessian at x (nil if it could not be evaluated)
	pd        bool
}

// gradNewton checks x with the gradient-difference Hessian and takes damped Newton
// steps until the decrement is below tol (or stops falling once below stallTol), at most
// maxIter steps. The returned Hessian belongs to the returned point.
func gradNewton(f *countedGrad, x, g []float64, fx, lo, hi, tol, stallTol float64, maxIter, maxEval int) gradPolishResult {
	const h = 1e-5
	n := len(x)
	x = append([]float64(nil), x...)
	g = append([]float64(nil), g...)
	res := gradPolishResult{x: x, fx: fx, decrement: math.Inf(1)}
	trial, gt := make([]float64, n), make([]float64, n)
	prevDec := math.Inf(1)
	for it := 0; ; it++ {
		H, ok := gradHessian(f, x, h)
		res.H, res.pd, res.decrement = H, false, math.Inf(1)
		if !ok {
			res.H = nil
			return res
		}
		L, pd := cholesky(H)
		if !pd {
			return res
		}
		res.pd = true
		d := cholSolve(L, g)
		res.decrement = 0
		for i := range g {
			res.decrement += g[i] * d[i]
		}
		if res.decrement <= tol || it >= maxIter || f.evals >= maxEval {
			return res
		}
		if res.decrement <= stallTol && res.decrement > prevDec/4 {
			return res
		}
		prevDec = res.decrement
		slope := -res.decrement
		maxStep := 0.0
		for i := range d {
			d[i] = -d[i]
			maxStep = math.Max(maxStep, math.Abs(d[i]))
		}
		t := 1.0
		if maxStep > 3 {
			t = 3 / maxStep
		}
		ft, improved := lineSearch(f, x, d, g, trial, gt, fx, slope, t, lo, hi, maxEval)
		if !improved {
			return res // the Hessian and decrement above describe x
		}
		copy(x, trial)
		copy(g, gt)
		fx = ft
		res.fx = fx
		res.iters++
	}
}
