package rules

import (
	"math"
	"math/bits"
	"strconv"
)

// Points arithmetic is exact integer arithmetic: an award is computed as one fraction
// (amount x line multipliers x points per unit x rule multipliers, over unit and the
// basis-point scales) and rounded once, by the rule's Rounding. Intermediate products are
// 128-bit. The limits in validate.go and the clamping of input amounts to tenure.MaxMoney
// keep every numerator below 2^128 and every denominator below 2^64.

// MaxAward bounds the points of one rule in one evaluation; larger results saturate.
const MaxAward = 1_000_000_000_000_000

// maxCombined bounds the product of the multipliers applied to one rule: 10000x.
const maxCombined = 100_000_000

type u128 struct{ hi, lo uint64 }

func mul64(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// mul returns x*b, saturating at the largest u128.
func (x u128) mul(b uint64) u128 {
	h1, lo := bits.Mul64(x.lo, b)
	h2, l2 := bits.Mul64(x.hi, b)
	hi, carry := bits.Add64(h1, l2, 0)
	if h2 != 0 || carry != 0 {
		return u128{math.MaxUint64, math.MaxUint64}
	}
	return u128{hi, lo}
}

// div returns x/d rounded by mode, saturating at MaxAward. d must be positive.
func (x u128) div(d uint64, mode Rounding) int64 {
	if x.hi >= d {
		return MaxAward
	}
	q, r := bits.Div64(x.hi, x.lo, d)
	switch {
	case r == 0:
	case mode == RoundCeil:
		q++
	case mode == RoundHalfUp && r >= d-r:
		q++
	}
	if q > MaxAward {
		return MaxAward
	}
	return int64(q)
}

// mulDiv returns floor(a*b/c) for b <= c, c > 0.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// combine multiplies two multipliers, rounding half up to a whole basis point and keeping
// the product between 1 basis point and 10000x.
func combine(a, b BasisPoints) BasisPoints {
	p := (int64(a)*int64(b) + int64(OneX)/2) / int64(OneX)
	return BasisPoints(min(max(p, 1), maxCombined))
}

// scale returns points x m, rounded by mode.
func scale(points int64, m BasisPoints, mode Rounding) int64 {
	return mul64(uint64(max(points, 0)), uint64(m)).div(uint64(OneX), mode)
}

// String shows a multiplier the way a store owner writes it: "x1.5", "x2", "x0.75".
func (m BasisPoints) String() string {
	b := []byte{'x'}
	u := uint64(m)
	if m < 0 {
		b, u = append(b, '-'), -u
	}
	b = strconv.AppendUint(b, u/uint64(OneX), 10)
	if frac := u % uint64(OneX); frac != 0 {
		b = append(b, '.')
		for d := uint64(OneX) / 10; frac != 0; d /= 10 {
			b = append(b, byte('0'+frac/d))
			frac %= d
		}
	}
	return string(b)
}

// appendMoney writes minor units with two decimals ("99.99"), which is how explanations
// show amounts; currencies with other exponents still read sensibly as amounts.
func appendMoney(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
	}
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	return append(b, '.', byte('0'+u%100/10), byte('0'+u%10))
}

func money(v int64) string { return string(appendMoney(nil, v)) }

// appendPts writes "1 pt" or "25 pts".
func appendPts(b []byte, n int64) []byte {
	b = strconv.AppendInt(b, n, 10)
	if n == 1 {
		return append(b, " pt"...)
	}
	return append(b, " pts"...)
}

func pts(n int64) string { return string(appendPts(nil, n)) }
