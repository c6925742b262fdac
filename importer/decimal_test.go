package importer

import (
	"errors"
	"testing"
)

func TestParseDecimalToMinorUnits(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		dec, thou rune
		digits    int
		want      int64
		exact     bool
		err       error
	}{
		{"two decimals read exactly", "2.55", '.', 0, 2, 255, true, nil},
		{"a whole number gains the minor digits", "7", '.', 0, 2, 700, true, nil},
		{"one decimal is scaled", "8.5", '.', 0, 2, 850, true, nil},
		{"a value no float can hold exactly stays exact", "0.29", '.', 0, 2, 29, true, nil},
		{"negative prices keep their sign", "-11062.06", '.', 0, 2, -1106206, true, nil},
		{"surrounding spaces are ignored", "  3.39 ", '.', 0, 2, 339, true, nil},
		{"a leading point is a fraction", ".5", '.', 0, 2, 50, true, nil},
		{"a decimal comma with point thousands", "1.234,56", ',', '.', 2, 123456, true, nil},
		{"comma thousands with a decimal point", "1,234.5", '.', ',', 2, 123450, true, nil},
		{"a zero-decimal currency", "1200", '.', 0, 0, 1200, true, nil},
		{"a three-decimal currency", "1.5", '.', 0, 3, 1500, true, nil},
		{"a sub-minor price rounds half to even (down)", "0.125", '.', 0, 2, 12, false, nil},
		{"a sub-minor price rounds half to even (up)", "0.135", '.', 0, 2, 14, false, nil},
		{"a sub-minor price below half rounds down", "0.001", '.', 0, 2, 0, false, nil},
		{"a sub-minor price above half rounds up", "0.127", '.', 0, 2, 13, false, nil},
		{"negative half rounds to even", "-0.015", '.', 0, 2, -2, false, nil},
		{"trailing zeros beyond the currency are exact", "2.5500", '.', 0, 2, 255, true, nil},
		{"empty is an error", "", '.', 0, 2, 0, false, errEmpty},
		{"exponents are refused", "1e3", '.', 0, 2, 0, false, errSyntax},
		{"a currency sign is refused", "£2.55", '.', 0, 2, 0, false, errSyntax},
		{"two decimal points are refused", "1.2.3", '.', 0, 2, 0, false, errSyntax},
		{"a lone sign is refused", "-", '.', 0, 2, 0, false, errSyntax},
		{"thousands separators are refused when not configured", "1,234", '.', 0, 2, 0, false, errSyntax},
		{"more than nine decimals are refused", "0.0000000001", '.', 0, 2, 0, false, errPrecision},
		{"huge numbers are out of range", "99999999999999999999", '.', 0, 2, 0, false, errRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDecimal(tt.in, tt.dec, tt.thou)
			if err == nil {
				var v int64
				var exact bool
				v, exact, err = d.minor(tt.digits)
				if err == nil && (v != tt.want || exact != tt.exact) {
					t.Errorf("%q -> %d (exact %v), want %d (exact %v)", tt.in, v, exact, tt.want, tt.exact)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("%q: error %v, want %v", tt.in, err, tt.err)
			}
		})
	}
}

func TestQuantityMustBeWhole(t *testing.T) {
	for in, want := range map[string]bool{"6": true, "-12": true, "6.0": true, "6.5": false} {
		d, err := parseDecimal(in, '.', 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := d.integer(); ok != want {
			t.Errorf("%q whole = %v, want %v", in, ok, want)
		}
	}
}

func TestExactSumKeepsSubMinorDigits(t *testing.T) {
	var s exactSum
	add := func(q int64, p string) {
		d, err := parseDecimal(p, '.', 0)
		if err != nil {
			t.Fatal(err)
		}
		s.addProduct(q, d)
	}
	add(6, "2.55")   // 15.30
	add(1, "0.001")  // 0.001
	add(-2, "0.85")  // -1.70
	add(3, "0.0015") // 0.0045
	if got := s.text(2); got != "13.6055" {
		t.Errorf("text = %s, want 13.6055", got)
	}
	if got := s.minor(2); got != 1361 {
		t.Errorf("minor = %d, want 1361", got)
	}
	var neg exactSum
	d, _ := parseDecimal("0.005", '.', 0)
	neg.addProduct(-1, d)
	if got, txt := neg.minor(2), neg.text(2); got != 0 || txt != "-0.005" {
		t.Errorf("-0.005 -> %d %s, want 0 (half to even) and -0.005", got, txt)
	}
}

func TestExactSumSurvivesInt64Overflow(t *testing.T) {
	var s exactSum
	d, _ := parseDecimal("900000000000000000", '.', 0)
	for range 20 {
		s.addProduct(1, d)
	}
	if got := s.text(0); got != "18000000000000000000" {
		t.Errorf("text = %s, want 18000000000000000000", got)
	}
}

func TestNormaliseCustomer(t *testing.T) {
	for in, want := range map[string]string{
		"17850.0": "17850", "17850.00": "17850", "17850": "17850", "17850.5": "17850.5",
		"A12.0": "A12.0", ".0": ".0", "": "",
	} {
		if got := normaliseCustomer(in); got != want {
			t.Errorf("normaliseCustomer(%q) = %q, want %q", in, got, want)
		}
	}
}
