package clv

import (
	"math"
	"sort"
)

// A small deterministic optimiser for smooth likelihoods of a handful of parameters:
// Nelder–Mead (Nelder & Mead 1965) on a box in log-parameter space, restarted from its
// best vertex until restarts stop helping, then a damped Newton polish on a central
// finite-difference gradient and Hessian. Objectives return +Inf where undefined.

// counted wraps an objective and counts its evaluations; NaN becomes +Inf.
type counted struct {
	f     func([]float64) float64
	evals int
}

func (c *counted) eval(x []float64) float64 {
	c.evals++
	v := c.f(x)
	if math.IsNaN(v) {
		return math.Inf(1)
	}
	return v
}

func clampBox(x []float64, lo, hi float64) {
	for i, v := range x {
		x[i] = math.Min(hi, math.Max(lo, v))
	}
}

// nelderMead minimises f from x0 with an initial simplex of the given step along each
// axis, within [lo, hi] per coordinate, until the spread of function values is below
// ftol·(1+|fbest|) and the simplex diameter below xtol, or until maxEval evaluations.
func nelderMead(f *counted, x0 []float64, step, lo, hi float64, maxEval int, ftol, xtol float64) (best []float64, fbest float64, iters int, converged bool) {
	n := len(x0)
	pts := make([][]float64, n+1)
	fv := make([]float64, n+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += step
			if pts[i][i-1] > hi {
				pts[i][i-1] = x0[i-1] - step
			}
			clampBox(pts[i], lo, hi)
		}
		fv[i] = f.eval(pts[i])
	}
	idx := make([]int, n+1)
	cen := make([]float64, n)
	xr, xe, xc := make([]float64, n), make([]float64, n), make([]float64, n)
	at := func(dst []float64, t float64, worst []float64) { // dst = cen + t·(cen − worst)
		for j := range dst {
			dst[j] = cen[j] + t*(cen[j]-worst[j])
		}
		clampBox(dst, lo, hi)
	}
	start := f.evals
	for {
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(i, j int) bool { return fv[idx[i]] < fv[idx[j]] })
		b, w, sw := idx[0], idx[n], idx[n-1]
		diam := 0.0
		for _, i := range idx[1:] {
			for j := range cen {
				diam = math.Max(diam, math.Abs(pts[i][j]-pts[b][j]))
			}
		}
		if fv[w]-fv[b] <= ftol*(1+math.Abs(fv[b])) && diam <= xtol {
			converged = true
			break
		}
		if f.evals-start >= maxEval {
			break
		}
		iters++
		for j := range cen {
			s := 0.0
			for _, i := range idx[:n] {
				s += pts[i][j]
			}
			cen[j] = s / float64(n)
		}
		at(xr, 1, pts[w])
		fr := f.eval(xr)
		switch {
		case fr < fv[b]:
			at(xe, 2, pts[w])
			if fe := f.eval(xe); fe < fr {
				copy(pts[w], xe)
				fv[w] = fe
			} else {
				copy(pts[w], xr)
				fv[w] = fr
			}
		case fr < fv[sw]:
			copy(pts[w], xr)
			fv[w] = fr
		default:
			var fc float64
			if fr < fv[w] {
				at(xc, 0.5, pts[w]) // outside contraction
				fc = f.eval(xc)
				if fc > fr {
					fc = math.Inf(1)
				}
			} else {
				at(xc, -0.5, pts[w]) // inside contraction
				fc = f.eval(xc)
				if fc >= fv[w] {
					fc = math.Inf(1)
				}
			}
			if !math.IsInf(fc, 1) {
				copy(pts[w], xc)
				fv[w] = fc
				break
			}
			for _, i := range idx[1:] { // shrink towards the best vertex
				for j := range pts[i] {
					pts[i][j] = pts[b][j] + 0.5*(pts[i][j]-pts[b][j])
				}
				fv[i] = f.eval(pts[i])
			}
		}
	}
	b := 0
	for i := range fv {
		if fv[i] < fv[b] {
			b = i
		}
	}
	return append([]float64(nil), pts[b]...), fv[b], iters, converged
}

// fdGradHess returns the central-difference gradient (step hg) and Hessian (step hh) of
// f at x, where f(x) = fx. ok is false if any evaluation was not finite.
func fdGradHess(f *counted, x []float64, fx, hg, hh float64) (g []float64, H [][]float64, ok bool) {
	n := len(x)
	g = make([]float64, n)
	H = make([][]float64, n)
	y := append([]float64(nil), x...)
	ev := func() float64 { return f.eval(y) }
	ok = finite(fx)
	for i := 0; i < n; i++ {
		H[i] = make([]float64, n)
		y[i] = x[i] + hg
		fp := ev()
		y[i] = x[i] - hg
		fm := ev()
		g[i] = (fp - fm) / (2 * hg)
		y[i] = x[i] + hh
		fp = ev()
		y[i] = x[i] - hh
		fm = ev()
		y[i] = x[i]
		H[i][i] = (fp - 2*fx + fm) / (hh * hh)
		ok = ok && finite(g[i]) && finite(H[i][i])
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var s float64
			for _, sg := range [4][3]float64{{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}} {
				y[i], y[j] = x[i]+sg[0]*hh, x[j]+sg[1]*hh
				s += sg[2] * ev()
			}
			y[i], y[j] = x[i], x[j]
			H[i][j] = s / (4 * hh * hh)
			H[j][i] = H[i][j]
			ok = ok && finite(H[i][j])
		}
	}
	return g, H, ok
}

// cholesky returns the lower-triangular factor of a symmetric matrix, or false if it is
// not (numerically) positive definite.
func cholesky(A [][]float64) ([][]float64, bool) {
	n := len(A)
	L := make([][]float64, n)
	for i := range L {
		L[i] = make([]float64, n)
	}
	for j := 0; j < n; j++ {
		s := A[j][j]
		for k := 0; k < j; k++ {
			s -= L[j][k] * L[j][k]
		}
		if !(s > 1e-14*math.Abs(A[j][j])) || !(s > 0) || !finite(s) {
			return nil, false
		}
		L[j][j] = math.Sqrt(s)
		for i := j + 1; i < n; i++ {
			s := A[i][j]
			for k := 0; k < j; k++ {
				s -= L[i][k] * L[j][k]
			}
			L[i][j] = s / L[j][j]
		}
	}
	return L, true
}

// cholSolve solves L·Lᵀ·x = b.
func cholSolve(L [][]float64, b []float64) []float64 {
	n := len(b)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= L[i][k] * y[k]
		}
		y[i] = s / L[i][i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= L[k][i] * x[k]
		}
		x[i] = s / L[i][i]
	}
	return x
}

// cholInverse returns (L·Lᵀ)⁻¹.
func cholInverse(L [][]float64) [][]float64 {
	n := len(L)
	inv := make([][]float64, n)
	e := make([]float64, n)
	for j := 0; j < n; j++ {
		for i := range e {
			e[i] = 0
		}
		e[j] = 1
		col := cholSolve(L, e)
		for i := 0; i < n; i++ {
			if inv[i] == nil {
				inv[i] = make([]float64, n)
			}
			inv[i][j] = col[i]
		}
	}
	return inv
}

// newtonResult describes the end state of the Newton polish.
type newtonResult struct {
	x         []float64
	fx        float64
	iters     int
	decrement float64 // gᵀH⁻¹g at the final point (+Inf if H is not positive definite)
	pd        bool    // final Hessian positive definite
}

// newtonPolish runs damped Newton steps (Levenberg-regularised when the Hessian is not
// positive definite, Armijo backtracking, box-clamped) until the Newton decrement drops
// below tol, stops falling while below stallTol, or after maxIter iterations or maxEval
// evaluations of f in total.
func newtonPolish(f *counted, x []float64, fx, lo, hi, tol, stallTol float64, maxIter, maxEval int) newtonResult {
	const hg, hh = 1e-5, 1e-3
	prevDec := math.Inf(1)
	x = append([]float64(nil), x...)
	n := len(x)
	res := newtonResult{x: x, fx: fx, decrement: math.Inf(1)}
	trial := make([]float64, n)
	for it := 0; ; it++ {
		if f.evals >= maxEval {
			return res
		}
		g, H, ok := fdGradHess(f, x, fx, hg, hh)
		if !ok {
			res.pd = false
			res.decrement = math.Inf(1)
			return res
		}
		L, pd := cholesky(H)
		res.pd = pd
		var d []float64
		if pd {
			d = cholSolve(L, g)
			res.decrement = 0
			for i := range g {
				res.decrement += g[i] * d[i]
			}
		} else {
			res.decrement = math.Inf(1)
			lam := 1e-8
			for i := 0; i < n; i++ {
				lam = math.Max(lam, 1e-8*math.Abs(H[i][i]))
			}
			for ; lam < 1e12; lam *= 10 {
				Hr := make([][]float64, n)
				for i := range H {
					Hr[i] = append([]float64(nil), H[i]...)
					Hr[i][i] += lam
				}
				if Lr, ok := cholesky(Hr); ok {
					d = cholSolve(Lr, g)
					break
				}
			}
			if d == nil {
				return res
			}
		}
		if (pd && res.decrement <= tol) || it >= maxIter {
			return res
		}
		// Near the optimum Newton's decrement falls quadratically until it reaches the
		// noise floor of the finite differences; once it stops falling, further steps only
		// chase rounding noise.
		if pd && res.decrement <= stallTol && res.decrement > prevDec/4 {
			return res
		}
		prevDec = res.decrement
		slope := 0.0
		for i := range d {
			d[i] = -d[i]
			slope += g[i] * d[i]
		}
		if !(slope < 0) {
			return res
		}
		// Limit a single step to a factor e^3 per parameter.
		maxStep := 0.0
		for _, v := range d {
			maxStep = math.Max(maxStep, math.Abs(v))
		}
		t := 1.0
		if maxStep > 3 {
			t = 3 / maxStep
		}
		improved := false
		for ; t > 1e-10 && f.evals < maxEval; t /= 2 {
			for i := range x {
				trial[i] = x[i] + t*d[i]
			}
			clampBox(trial, lo, hi)
			ft := f.eval(trial)
			if ft <= fx+1e-4*t*slope {
				copy(x, trial)
				fx = ft
				improved = true
				break
			}
		}
		res.iters++
		res.fx = fx
		if !improved {
			return res // no descent possible at working precision
		}
	}
}
