package clv

import "math"

// Special functions used by the likelihoods: log-gamma helpers, a stable softplus, signed
// log-space addition and the Gauss hypergeometric function 2F1 on [0, 1).

// lgam returns ln Γ(x) for x > 0.
func lgam(x float64) float64 {
	l, _ := math.Lgamma(x)
	return l
}

// softplus returns ln(1 + e^u) without overflow or loss of precision.
func softplus(u float64) float64 {
	if u > 0 {
		return u + math.Log1p(math.Exp(-u))
	}
	return math.Log1p(math.Exp(u))
}

// logAddExp returns ln(e^a + e^b).
func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// addSigned adds s1·e^l1 and s2·e^l2 (s ∈ {-1, 0, 1}) and returns the result in the same
// form.
func addSigned(l1, s1, l2, s2 float64) (float64, float64) {
	if s1 == 0 || math.IsInf(l1, -1) {
		return l2, s2
	}
	if s2 == 0 || math.IsInf(l2, -1) {
		return l1, s1
	}
	if l1 < l2 {
		l1, s1, l2, s2 = l2, s2, l1, s1
	}
	d := math.Exp(l2 - l1)
	if s1 == s2 {
		return l1 + math.Log1p(d), s1
	}
	if d == 1 {
		return math.Inf(-1), 0
	}
	return l1 + math.Log1p(-d), s1
}

// oneMinusPowOver returns (1 − e^{k·lnq})/k, i.e. (1 − q^k)/k, with the limit −ln q at
// k = 0; it is accurate for small |k|.
func oneMinusPowOver(k, lnq float64) float64 {
	if k == 0 {
		return -lnq
	}
	return -math.Expm1(k*lnq) / k
}

func isNonPosInt(x float64) bool { return x <= 0 && x == math.Trunc(x) }

// lgammaSigned returns ln|Γ(x)| and the sign of Γ(x); the sign is 0 (1/Γ(x) = 0) at the
// poles x = 0, −1, −2, ...
func lgammaSigned(x float64) (float64, float64) {
	if isNonPosInt(x) {
		return math.Inf(1), 0
	}
	l, s := math.Lgamma(x)
	return l, float64(s)
}

// Accuracy bookkeeping for 2F1: every evaluator returns an estimate of its relative
// error (rounding in the recurrences, amplified by cancellation between terms and by the
// size of the log-gamma values that are exponentiated). hyp2f1 accepts a result whose
// estimate is below hypGood, and falls back to the best one below hypUsable.
const (
	hypEps    = 1.1e-16
	hypGood   = 1e-11
	hypUsable = 1e-7
)

// hypSeries sums the Gauss series 2F1(a,b;c;z) = Σ (a)_n (b)_n / ((c)_n n!) z^n for
// |z| < 1. It returns ln|sum|, its sign, an estimate of the relative error, and whether
// the series converged within maxTerms terms. The stopping rule is rigorous: with
// A = a+b−c−1 and B = ab−c, every later term ratio is bounded (for c+n+1 > 0) by
// ρ* = |z|·(1 + (|A| + |B|/(n+1))/(c+n+1)), so the tail is below |term|·ρ*/(1−ρ*).
func hypSeries(a, b, c, z float64, maxTerms int) (logAbs, sign, relErr float64, ok bool) {
	if z == 0 {
		return 0, 1, 0, true
	}
	// Fail fast when maxTerms cannot suffice: the ratio tends to z, so the tail alone
	// needs about tailTerms(z) terms, and terms still growing at n = maxTerms/2 will not
	// have converged by maxTerms.
	if math.Abs(z) > 0.99 && tailTerms(math.Abs(z)) > float64(maxTerms) {
		return math.NaN(), 0, 0, false
	}
	if h := float64(maxTerms / 2); math.Abs((a+h)*(b+h)/((c+h)*(h+1))*z) >= 1 {
		return math.NaN(), 0, 0, false
	}
	const big, bigLog = 1e200, 460.51701859880916 // ln(1e200)
	sum, term, peak, scale := 1.0, 1.0, 1.0, 0.0
	nPeak := 0
	absA, absB := math.Abs(a+b-c-1), math.Abs(a*b-c)
	az := math.Abs(z)
	for n := 0; n < maxTerms; n++ {
		fn := float64(n)
		den := (c + fn) * (fn + 1)
		if den == 0 {
			return math.NaN(), 0, 0, false // c is a non-positive integer: 2F1 undefined
		}
		term *= (a + fn) * (b + fn) / den * z
		sum += term
		at := math.Abs(term)
		if at > peak {
			peak, nPeak = at, n+1
		}
		if !(math.Abs(sum) <= big && peak <= big) { // also catches NaN and Inf
			if !finite(sum) || !finite(term) {
				return math.NaN(), 0, 0, false
			}
			sum /= big
			term /= big
			peak /= big
			at /= big
			scale += bigLog
		}
		if term == 0 {
			ok = true // a terminating (polynomial) series, or underflow far below sum
			break
		}
		if c+fn+1 > 0 {
			rho := az * (1 + (absA+absB/(fn+1))/(c+fn+1))
			if a > 0 && b > 0 && c > 0 {
				// With positive parameters the later ratios (a+k)(b+k)/((c+k)(k+1))·z are at
				// most z·max(1, (a+k)/(k+1))·max(1, (b+k)/(c+k)) at the next k, each factor
				// moving monotonically toward 1. This is much tighter than the general bound
				// when b and c are both huge (a nearly deterministic dropout in BG/NBD).
				k := fn + 1
				rho = min(rho, az*max(1, (a+k)/(k+1))*max(1, (b+k)/(c+k)))
			}
			if rho < 1 && at*rho/(1-rho) <= 0.5*hypEps*math.Abs(sum) {
				ok = true
				break
			}
		}
	}
	if !ok {
		return math.NaN(), 0, 0, false
	}
	if sum == 0 {
		return math.Inf(-1), 0, math.Inf(1), true
	}
	s := 1.0
	if sum < 0 {
		s = -1
	}
	as := math.Abs(sum)
	return scale + math.Log(as), s, hypEps * float64(4+nPeak) * math.Max(1, peak/as), true
}

// tailTerms estimates how many terms a series whose term ratio tends to z (0 < z < 1)
// needs before its tail, about |term|/(1−z), is below ε relative to the sum.
func tailTerms(z float64) float64 {
	return (37 - math.Log1p(-z)) / -math.Log(z)
}

// hypReflect evaluates 2F1(a,b;c;z) for z near 1 with the linear transformation
// z → 1−z (Abramowitz & Stegun 15.3.6):
//
//	2F1(a,b;c;z) = Γ(c)Γ(m)/(Γ(c−a)Γ(c−b)) · 2F1(a,b;1−m;w)
//	             + w^m Γ(c)Γ(−m)/(Γ(a)Γ(b)) · 2F1(c−a,c−b;1+m;w),   m = c−a−b, w = 1−z,
//
// valid when m is not an integer. Within 1e-4 of an integer m (where both terms have
// poles that cancel, A&S 15.3.10–12) it interpolates with a cubic in c through four
// evaluations at m = k ± δ, k ± 2δ, whose error is O((δ·ln w)⁴); hyp2f1 prefers the direct
// series in that case whenever it converges.
func hypReflect(a, b, c, w float64) (logAbs, sign, relErr float64, ok bool) {
	m := c - a - b
	k := math.Round(m)
	const d = 1e-4
	if math.Abs(m-k) >= d {
		return hypReflectRaw(a, b, c, w)
	}
	x := m - k
	nodes := [4]float64{-2 * d, -d, d, 2 * d}
	var ls, ss [4]float64
	lmax, worst := math.Inf(-1), 0.0
	for i, nd := range nodes {
		l, s, e, ok := hypReflectRaw(a, b, c+(nd-x), w)
		if !ok {
			return math.NaN(), 0, 0, false
		}
		ls[i], ss[i] = l, s
		lmax = math.Max(lmax, l)
		worst = math.Max(worst, e)
	}
	if math.IsInf(lmax, -1) {
		return lmax, 0, 0, true
	}
	lagrange := func(use []int) (res, mag float64) {
		for _, i := range use {
			wgt := 1.0
			for _, j := range use {
				if j != i {
					wgt *= (x - nodes[j]) / (nodes[i] - nodes[j])
				}
			}
			v := wgt * ss[i] * math.Exp(ls[i]-lmax)
			res += v
			mag += math.Abs(v)
		}
		return res, mag
	}
	res, mag := lagrange([]int{0, 1, 2, 3})
	lin, _ := lagrange([]int{1, 2})
	if res == 0 || !finite(res) {
		return math.NaN(), 0, 0, false
	}
	s := 1.0
	if res < 0 {
		s = -1
	}
	// The linear interpolant's error is ~(δL)² relative, the cubic's ~(δL)⁴ with
	// L ≈ |ln w| + 1, so the cubic error is about |cubic − linear|·(δL)².
	L := d * (math.Abs(math.Log(w)) + 1)
	trunc := math.Abs(res-lin) / math.Abs(res) * L * L
	return lmax + math.Log(math.Abs(res)), s, worst*mag/math.Abs(res) + trunc, true
}

// hypReflectRaw is A&S 15.3.6 for non-integer c−a−b (see hypReflect).
func hypReflectRaw(a, b, c, w float64) (logAbs, sign, relErr float64, ok bool) {
	m := c - a - b
	lc, sc := lgammaSigned(c)
	if sc == 0 {
		return math.NaN(), 0, 0, false
	}
	const terms = hypMaxReflect
	lw := math.Log(w)
	// First term.
	l1, s1, e1 := math.Inf(-1), 0.0, 0.0
	lm, sm := lgammaSigned(m)
	lca, sca := lgammaSigned(c - a)
	lcb, scb := lgammaSigned(c - b)
	if sca != 0 && scb != 0 {
		fl, fs, fe, ok := hypSeries(a, b, 1-m, w, terms)
		if !ok {
			return math.NaN(), 0, 0, false
		}
		l1, s1 = lc+lm-lca-lcb+fl, sc*sm*sca*scb*fs
		e1 = fe + hypEps*(4+math.Abs(lc)+math.Abs(lm)+math.Abs(lca)+math.Abs(lcb)+math.Abs(fl))
	}
	// Second term.
	l2, s2, e2 := math.Inf(-1), 0.0, 0.0
	lmm, smm := lgammaSigned(-m)
	la, sa := lgammaSigned(a)
	lb, sb := lgammaSigned(b)
	if sa != 0 && sb != 0 {
		fl, fs, fe, ok := hypSeries(c-a, c-b, 1+m, w, terms)
		if !ok {
			return math.NaN(), 0, 0, false
		}
		l2, s2 = m*lw+lc+lmm-la-lb+fl, sc*smm*sa*sb*fs
		e2 = fe + hypEps*(4+math.Abs(m*lw)+math.Abs(lc)+math.Abs(lmm)+math.Abs(la)+math.Abs(lb)+math.Abs(fl))
	}
	if math.IsNaN(l1) || math.IsInf(l1, 1) || math.IsNaN(l2) || math.IsInf(l2, 1) {
		return math.NaN(), 0, 0, false
	}
	l, s := addSigned(l1, s1, l2, s2)
	if s == 0 {
		return math.Inf(-1), 0, math.Inf(1), true
	}
	err := 0.0
	if s1 != 0 {
		err += e1 * math.Exp(l1-l)
	}
	if s2 != 0 {
		err += e2 * math.Exp(l2-l)
	}
	return l, s, err, true
}

// Term limits for the series: the direct series at z <= 0.9 or as a fallback, and the
// series inside the z → 1−z transformation (argument below 0.1). Needing more means
// extreme parameters; hyp2f1 then returns NaN instead of spending unbounded time.
const (
	hypMaxDirect  = 20000
	hypMaxReflect = 5000
)

// hyp2f1 returns ln|2F1(a,b;c;z)| and its sign for 0 <= z < 1; w must be 1−z, computed
// by the caller as accurately as it can (it matters when z is close to 1).
//
// It first applies Euler's transformation 2F1(a,b;c;z) = w^{c−a−b} 2F1(c−a,c−b;c;z)
// (A&S 15.3.3) when the transformed series has only positive terms and either the original
// does not or the transform makes the numerator parameters smaller (|c−a|·|c−b| < |a|·|b|),
// which shortens the series; for the Pareto/NBD's c = a+1 it turns 2F1(a,b;a+1;z) into
// w^{1−b} 2F1(1, a+1−b; a+1; z), whose terms are positive and shrink at least as fast as
// z^n. Then, for z <= 0.9 the Gauss series is summed directly. Above, the z → 1−z
// transformation (A&S 15.3.6) is tried first unless c−a−b is within 1e-4 of an integer, in
// which case the direct series (which then converges, if slowly) is tried first; the other
// method is the fallback. A result is accepted when its estimated relative error is below
// 1e-11; failing that, the better one below 1e-7 is returned, else NaN.
func hyp2f1(a, b, c, z, w float64) (float64, float64) {
	if !(z >= 0 && z < 1) || !(w > 0 && w <= 1) || !finite(a) || !finite(b) || !finite(c) {
		return math.NaN(), 0
	}
	positive := func(a, b, c float64) bool { return a >= 0 && b >= 0 && c > 0 } // no sign changes
	po, pe := positive(a, b, c), positive(c-a, c-b, c)
	if pe && (!po || math.Abs(c-a)*math.Abs(c-b) < math.Abs(a)*math.Abs(b)) {
		l, s := hyp2f1Core(c-a, c-b, c, z, w)
		return l + (c-a-b)*math.Log(w), s
	}
	return hyp2f1Core(a, b, c, z, w)
}

func hyp2f1Core(a, b, c, z, w float64) (float64, float64) {
	if z <= 0.9 {
		l, s, e, ok := hypSeries(a, b, c, z, hypMaxDirect)
		if !ok || !(e <= hypUsable) {
			return math.NaN(), 0
		}
		return l, s
	}
	series := func() (float64, float64, float64, bool) { return hypSeries(a, b, c, z, hypMaxDirect) }
	reflect := func() (float64, float64, float64, bool) { return hypReflect(a, b, c, w) }
	first, second := reflect, series
	// Terms the direct series needs: tailTerms(z) after the terms stop growing (roughly
	// max(|a|,|b|,|c|) terms in).
	need := tailTerms(z) + math.Abs(a) + math.Abs(b) + math.Abs(c)
	if m := c - a - b; math.Abs(m-math.Round(m)) < 1e-4 && need < hypMaxDirect {
		first, second = series, reflect
	}
	bl, bs, be := math.NaN(), 0.0, math.Inf(1)
	for _, f := range [2]func() (float64, float64, float64, bool){first, second} {
		l, s, e, ok := f()
		if !ok {
			continue
		}
		if e <= hypGood {
			return l, s
		}
		if e < be {
			bl, bs, be = l, s, e
		}
	}
	if be <= hypUsable {
		return bl, bs
	}
	return math.NaN(), 0
}

// digamma returns ψ(x) = d/dx ln Γ(x) for x > 0: the recurrence ψ(x) = ψ(x+1) − 1/x up
// to x >= 10, then the asymptotic series through x⁻¹⁴ (truncation error below 1e-16).
func digamma(x float64) float64 {
	r := 0.0
	for x < 10 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	t := f * (-1.0/12 + f*(1.0/120+f*(-1.0/252+f*(1.0/240+f*(-1.0/132+f*(691.0/32760+f*(-1.0/12)))))))
	return r + math.Log(x) - 0.5/x + t
}
