package dashboard

import (
	"strconv"
	"strings"
)

// Money is shown and typed the way the store's customers write it: in the conventions of
// the program currency's home locale ("1 234,56 zł", "€15.00" would be wrong for a Polish
// shop, "15,00 €" right for a German one). Amounts stay integer minor units everywhere
// else; only these two functions cross between the two.

// moneyStyle is how one currency is written.
type moneyStyle struct {
	symbol         string
	before         bool   // the symbol precedes the amount ("$5.00") or follows it ("5,00 zł")
	group, decimal string // thousands and decimal separators
	digits         int    // minor-unit digits
}

const nbsp = "\u00a0"

// moneyStyles are the currencies Tenure writes in their own conventions; any other is
// written "1,234.56 XYZ".
var moneyStyles = map[string]moneyStyle{
	"PLN": {"zł", false, nbsp, ",", 2},
	"EUR": {"€", false, nbsp, ",", 2},
	"CZK": {"Kč", false, nbsp, ",", 2},
	"HUF": {"Ft", false, nbsp, ",", 2},
	"SEK": {"kr", false, nbsp, ",", 2},
	"NOK": {"kr", false, nbsp, ",", 2},
	"DKK": {"kr.", false, ".", ",", 2},
	"RON": {"lei", false, ".", ",", 2},
	"CHF": {"CHF", false, "’", ".", 2},
	"USD": {"$", true, ",", ".", 2},
	"GBP": {"£", true, ",", ".", 2},
	"CAD": {"$", true, ",", ".", 2},
	"AUD": {"$", true, ",", ".", 2},
	"JPY": {"¥", true, ",", ".", 0},
}

func styleOf(currency string) moneyStyle {
	if s, ok := moneyStyles[strings.ToUpper(currency)]; ok {
		return s
	}
	return moneyStyle{symbol: currency, group: ",", decimal: ".", digits: 2}
}

// money formats minor units in the currency's conventions: money(150000, "PLN") is
// "1 500,00 zł" (with no-break spaces).
func money(minor int64, currency string) string {
	st := styleOf(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	unit := int64(1)
	for range st.digits {
		unit *= 10
	}
	s := grouped(minor/unit, st.group)
	if st.digits > 0 {
		frac := strconv.FormatInt(minor%unit, 10)
		s += st.decimal + strings.Repeat("0", st.digits-len(frac)) + frac
	}
	switch {
	case st.symbol == "":
	case st.before:
		s = st.symbol + s
	default:
		s += nbsp + st.symbol
	}
	if neg {
		s = "−" + s
	}
	return s
}

// grouped writes a whole number with a thousands separator.
func grouped(n int64, sep string) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// parseMoney reads an amount typed in major units ("15", "15,50", "1 234.5", "15 zł") as
// minor units. A comma or a point is the decimal separator, whichever the currency's
// custom; the other one, followed by three digits, separates thousands. It returns a
// problem in the typist's words when the text is not an amount.
func parseMoney(s, currency string) (int64, string) {
	st := styleOf(currency)
	t := strings.TrimSpace(s)
	for _, cut := range []string{st.symbol, strings.ToUpper(currency), strings.ToLower(currency)} {
		if cut != "" {
			t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, cut), cut))
		}
	}
	t = strings.NewReplacer(" ", "", nbsp, "", "\u202f", "", "’", "", "'", "").Replace(t)
	if t == "" {
		return 0, "type an amount, such as " + money(1500*pow10(st.digits)/100, currency)
	}
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "−") {
		return 0, "must not be negative"
	}
	// Decide which mark is the decimal separator.
	lastComma, lastPoint := strings.LastIndex(t, ","), strings.LastIndex(t, ".")
	dec := ""
	switch {
	case lastComma >= 0 && lastPoint >= 0:
		dec = map[bool]string{true: ",", false: "."}[lastComma > lastPoint]
	case lastComma >= 0 || lastPoint >= 0:
		mark, at := ",", lastComma
		if lastPoint >= 0 {
			mark, at = ".", lastPoint
		}
		switch {
		case strings.Count(t, mark) > 1: // 1.234.567: thousands only
		case len(t)-at-1 == 3 && mark != st.decimal: // 1,234 in dollars
		default:
			dec = mark
		}
	}
	whole, frac := t, ""
	if dec != "" {
		i := strings.LastIndex(t, dec)
		whole, frac = t[:i], t[i+1:]
	}
	whole = strings.NewReplacer(",", "", ".", "").Replace(whole)
	if whole == "" {
		whole = "0"
	}
	if len(frac) > st.digits {
		if st.digits == 0 {
			return 0, "must be a whole amount: " + st.symbol + " has no smaller unit"
		}
		return 0, "can have at most " + strconv.Itoa(st.digits) + " digits after the decimal mark"
	}
	for _, part := range []string{whole, frac} {
		for _, c := range part {
			if c < '0' || c > '9' {
				return 0, "must be an amount, such as " + money(1500*pow10(st.digits)/100, currency)
			}
		}
	}
	if len(whole) > 13 {
		return 0, "is too large"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", st.digits-len(frac)), 10, 64)
	}
	return w*pow10(st.digits) + f, ""
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// moneyInput shows minor units in a form field the way parseMoney reads them back:
// "15,00" for PLN, "" for zero.
func moneyInput(minor int64, currency string) string {
	if minor == 0 {
		return ""
	}
	st := styleOf(currency)
	s := strconv.FormatInt(minor/pow10(st.digits), 10)
	if st.digits > 0 {
		frac := strconv.FormatInt(minor%pow10(st.digits), 10)
		s += st.decimal + strings.Repeat("0", st.digits-len(frac)) + frac
	}
	return s
}

// unlikelyMinorUnits reports whether an amount looks typed in minor units by a hand used
// to the API (1500 meaning 15 zł): a round hundred of major units that is worth far more
// than the points it costs (worth, in minor units; 0 when unknown).
func unlikelyMinorUnits(minor, worth int64, currency string) bool {
	unit := pow10(styleOf(currency).digits)
	if unit == 1 {
		return false
	}
	big := unit * 100
	return minor >= big && minor%big == 0 && (worth == 0 || minor > 10*worth)
}
