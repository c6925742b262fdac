package tenure

import (
	"strings"
)

// CurrencyDigits returns the minor-unit digits of an ISO 4217 currency: 0 for the
// zero-decimal currencies (JPY, KRW, ...), 3 for BHD, IQD, JOD, KWD, LYD, OMR and TND, 2 for
// the others.
func CurrencyDigits(currency string) int {
	switch strings.ToUpper(currency) {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
		"VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

// ParseMoney reads a decimal amount as shops send it ("19.99", "-5.00", "1200") into
// integer minor units of currency, exactly: the text is never converted through a float,
// and a fraction finer than the currency's minor unit is refused rather than rounded.
func ParseMoney(s, currency string) (int64, error) {
	digits := CurrencyDigits(currency)
	bad := func(why string) (int64, error) {
		return 0, Invalid("tenure.ParseMoney", "amount", "%q is not an amount in %s: %s", s, currency, why)
	}
	neg := false
	t := strings.TrimSpace(s)
	if t != "" && (t[0] == '-' || t[0] == '+') {
		neg, t = t[0] == '-', t[1:]
	}
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" && frac == "" {
		return bad("no digits")
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return bad("finer than the currency's minor unit")
	}
	frac += strings.Repeat("0", digits-len(frac))
	var v int64
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return bad("not a decimal number")
		}
		if v > MaxMoney {
			return bad("too large")
		}
		v = v*10 + int64(r-'0')
	}
	if v > MaxMoney {
		return bad("too large")
	}
	if neg {
		v = -v
	}
	return v, nil
}

// FormatMoney writes minor units of currency as the decimal text shops take ("19.99").
func FormatMoney(v int64, currency string) string {
	digits := CurrencyDigits(currency)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := strings.Repeat("0", digits+1)
	if n := itoa64(v); len(n) > len(s) {
		s = n
	} else {
		s = s[:len(s)-len(n)] + n
	}
	if digits == 0 {
		return sign + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}

func itoa64(v int64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
