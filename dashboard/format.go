package dashboard

import (
	"encoding/json"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure/clv"
	"github.com/tenure-loyalty/tenure/rules"
)

// funcs are the helpers templates format numbers, money and times with. Times are shown
// in UTC and say so; amounts keep integer precision.
func (d *Dashboard) funcs() template.FuncMap {
	return template.FuncMap{
		"formKey": randomToken,
		"num":     num,
		"signed":  signed,
		"money":   money,
		"moneyf":  func(minor float64, cur string) string { return money(int64(math.Round(minor)), cur) },
		"pct":     func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006")
		},
		"datetime": datetime,
		"optdatetime": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return datetime(*t)
		},
		"iso":          func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"explanations": explanations,
		"sub1":         func(n int) int { return n - 1 },
		"unfired": func(es []rules.Explanation) int {
			n := 0
			for _, e := range es {
				if !e.Fired {
					n++
				}
			}
			return n
		},
		"json": jsonText,
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"pointvalue": pointValue,
		"label":      func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"add":        func(a, b int) int { return a + b },
		"sub":        func(a, b int64) int64 { return a - b },
		"list":       func(s ...string) []string { return s },
		"int64":      func(n int) int64 { return int64(n) },
		"ratio": func(a, b int64) float64 {
			if b == 0 {
				return 0
			}
			return float64(a) / float64(b)
		},
		"mul100": func(f float64) float64 { return f * 100 },
		"deref64": func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"pair":   func(a, b any) pairArg { return pairArg{a, b} },
		"params": fitParams,
		"has":    func(list []string, s string) bool { return slices.Contains(list, s) },
		"derefTime": func(t *time.Time) time.Time {
			if t == nil {
				return time.Time{}
			}
			return *t
		},
	}
}

func datetime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// num formats an integer with thousands separators.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// signed formats an amount with its sign, as ledger entries read.
func signed(n int64) string {
	if n > 0 {
		return "+" + num(n)
	}
	return num(n)
}

func leftPad(s string) string {
	if len(s) < 2 {
		return "0" + s
	}
	return s
}

// explanations decodes an event's stored rule explanations; nil when there are none.
func explanations(raw json.RawMessage) []rules.Explanation {
	if len(raw) == 0 {
		return nil
	}
	var out []rules.Explanation
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil
	}
	return out
}

// pointValue shows a point's value, kept in millionths of a minor unit, in major units
// and the currency's conventions: 10,000,000 PLN micro-grosze is "0,10 zł", and a value
// finer than a minor unit keeps its digits ("0,0025 zł").
func pointValue(micros int64, currency string) string {
	st := styleOf(currency)
	s := strconv.FormatFloat(float64(micros)/1e6/float64(pow10(st.digits)), 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < st.digits {
		frac += "0"
	}
	if frac != "" {
		whole += st.decimal + frac
	}
	if st.before {
		return st.symbol + whole
	}
	return whole + nbsp + st.symbol
}

// jsonText indents a value as JSON without escaping HTML characters: the template
// escapes the text for the page, so "&" stays readable.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// pairArg passes two values to a template ("pair" in a pipeline).
type pairArg struct{ A, B any }

// fitParams formats a model fit's parameters as "r = 0.243, alpha = 4.41".
func fitParams(f clv.Fit) string {
	var b strings.Builder
	for i, p := range f.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		if i < len(f.Names) {
			b.WriteString(f.Names[i] + " = ")
		}
		b.WriteString(strconv.FormatFloat(p, 'g', 4, 64))
	}
	return b.String()
}
