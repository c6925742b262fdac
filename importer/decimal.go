package importer

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
	"strings"
)

// maxFrac is the most fraction digits a price or quantity may carry. Nine is far beyond any
// real currency and keeps every mantissa and product in int64 for realistic values.
const maxFrac = 9

var pow10 = [...]int64{1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
	100_000_000, 1_000_000_000, 10_000_000_000, 100_000_000_000, 1_000_000_000_000,
	10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000, 10_000_000_000_000_000,
	100_000_000_000_000_000, 1_000_000_000_000_000_000}

// decimal is an exact decimal number: mant / 10^frac.
type decimal struct {
	mant int64
	frac int
}

var (
	errEmpty     = errors.New("empty")
	errSyntax    = errors.New("not a decimal number")
	errRange     = errors.New("out of range")
	errPrecision = errors.New("too many decimal places")
)

// parseDecimal reads s (surrounding spaces allowed) as an optionally signed decimal with the
// given decimal separator and optional thousands separator (0: none). Thousands separators
// are only accepted in the integer part. Exponents, currency signs and NaN are refused; the
// text is never converted through a float.
func parseDecimal(s string, dec, thou rune) (decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal{}, errEmpty
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	var d decimal
	digits, seenDec := 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			if d.mant > (math.MaxInt64-9)/10 {
				return decimal{}, errRange
			}
			d.mant = d.mant*10 + int64(c-'0')
			digits++
			if seenDec {
				d.frac++
				if d.frac > maxFrac {
					return decimal{}, errPrecision
				}
			}
		case c == dec && !seenDec:
			seenDec = true
		case thou != 0 && c == thou && !seenDec && digits > 0:
		default:
			return decimal{}, errSyntax
		}
	}
	if digits == 0 {
		return decimal{}, errSyntax
	}
	if neg {
		d.mant = -d.mant
	}
	return d, nil
}

// sign returns -1, 0 or 1.
func (d decimal) sign() int {
	switch {
	case d.mant < 0:
		return -1
	case d.mant > 0:
		return 1
	}
	return 0
}

// integer returns d as an integer; ok is false when d has a non-zero fraction (so "6" and
// "6.00" are accepted as quantities, "6.5" is not).
func (d decimal) integer() (int64, bool) {
	p := pow10[d.frac]
	if d.mant%p != 0 {
		return 0, false
	}
	return d.mant / p, true
}

// minor converts d to an integer count of 10^-digits units. When d has more fraction digits
// than that, the value is rounded half to even and exact is false.
func (d decimal) minor(digits int) (v int64, exact bool, err error) {
	if d.frac <= digits {
		m := pow10[digits-d.frac]
		hi, lo := bits.Mul64(uint64(abs(d.mant)), uint64(m))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false, errRange
		}
		if d.mant < 0 {
			return -int64(lo), true, nil
		}
		return int64(lo), true, nil
	}
	div := pow10[d.frac-digits]
	q, r := d.mant/div, d.mant%div
	if r == 0 {
		return q, true, nil
	}
	twice := 2 * abs(r)
	if twice > div || (twice == div && q%2 != 0) {
		if d.mant < 0 {
			q--
		} else {
			q++
		}
	}
	return q, false, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// exactSum adds quantity x price products without rounding, whatever their number of
// fraction digits. Small sums stay in int64 per scale; on overflow they move to big.Int.
type exactSum struct {
	small [maxFrac + 1]int64
	large [maxFrac + 1]*big.Int
}

// addProduct adds q x p.
func (s *exactSum) addProduct(q int64, p decimal) {
	hi, lo := bits.Mul64(uint64(abs(q)), uint64(abs(p.mant)))
	neg := (q < 0) != (p.mant < 0)
	if hi == 0 && lo <= math.MaxInt64 {
		v := int64(lo)
		if neg {
			v = -v
		}
		cur := s.small[p.frac]
		if (v > 0 && cur <= math.MaxInt64-v) || (v <= 0 && cur >= math.MinInt64-v) {
			s.small[p.frac] = cur + v
			return
		}
	}
	b := new(big.Int).Mul(big.NewInt(q), big.NewInt(p.mant))
	if s.large[p.frac] == nil {
		s.large[p.frac] = new(big.Int)
	}
	s.large[p.frac].Add(s.large[p.frac], b)
}

// total returns the sum scaled to 10^-maxFrac units.
func (s *exactSum) total() *big.Int {
	t := new(big.Int)
	for f := 0; f <= maxFrac; f++ {
		part := big.NewInt(s.small[f])
		if s.large[f] != nil {
			part.Add(part, s.large[f])
		}
		part.Mul(part, big.NewInt(pow10[maxFrac-f]))
		t.Add(t, part)
	}
	return t
}

// minor returns the sum in 10^-digits units, rounded half to even.
func (s *exactSum) minor(digits int) int64 {
	t := s.total()
	div := big.NewInt(pow10[maxFrac-digits])
	q, r := new(big.Int).QuoRem(t, div, new(big.Int))
	twice := new(big.Int).Abs(r)
	twice.Lsh(twice, 1)
	if c := twice.Cmp(div); c > 0 || (c == 0 && q.Bit(0) == 1) {
		if t.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

// text returns the exact sum in major units, as "-1234.5" with trailing zeros after the
// point removed (but at least digits fraction digits when digits > 0).
func (s *exactSum) text(digits int) string {
	t := s.total()
	neg := t.Sign() < 0
	str := new(big.Int).Abs(t).String()
	for len(str) <= maxFrac {
		str = "0" + str
	}
	whole, frac := str[:len(str)-maxFrac], str[len(str)-maxFrac:]
	frac = strings.TrimRight(frac, "0")
	for len(frac) < digits {
		frac += "0"
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
