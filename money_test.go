package tenure_test

import (
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestParseMoney(t *testing.T) {
	for _, c := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"19.99", "USD", 1999, true},
		{"0.10", "EUR", 10, true},
		{"5", "PLN", 500, true},
		{"-5.00", "USD", -500, true},
		{"1200", "JPY", 1200, true},
		{"1200.00", "JPY", 1200, true},
		{"1.234", "KWD", 1234, true},
		{"0.29", "USD", 29, true}, // 0.29 is not exact in binary floating point
		{"1.005", "USD", 0, false},
		{"12.5", "JPY", 0, false},
		{"1e3", "USD", 0, false},
		{"", "USD", 0, false},
		{"abc", "USD", 0, false},
		{"99999999999999999999", "USD", 0, false},
	} {
		got, err := tenure.ParseMoney(c.in, c.cur)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseMoney(%q, %s) = %d, %v; want %d (ok %v)", c.in, c.cur, got, err, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		v    int64
		cur  string
		want string
	}{{1999, "USD", "19.99"}, {5, "EUR", "0.05"}, {0, "PLN", "0.00"}, {1200, "JPY", "1200"}, {1234, "KWD", "1.234"}, {-250, "USD", "-2.50"}} {
		if got := tenure.FormatMoney(c.v, c.cur); got != c.want {
			t.Errorf("FormatMoney(%d, %s) = %q, want %q", c.v, c.cur, got, c.want)
		}
	}
}
