package rules

import (
	"math"
	"testing"
)

func TestArithmeticAndFormatting(t *testing.T) {
	for _, tc := range []struct {
		m    BasisPoints
		want string
	}{{15000, "x1.5"}, {20000, "x2"}, {7500, "x0.75"}, {12345, "x1.2345"}, {10001, "x1.0001"}, {1, "x0.0001"}, {-15000, "x-1.5"}, {math.MinInt64, "x-922337203685477.5808"}} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%d: %q, want %q", int64(tc.m), got, tc.want)
		}
	}
	for _, tc := range []struct {
		v    int64
		want string
	}{{9999, "99.99"}, {10000, "100.00"}, {5, "0.05"}, {0, "0.00"}, {-150, "-1.50"}} {
		if got := money(tc.v); got != tc.want {
			t.Errorf("money(%d) = %q, want %q", tc.v, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		x    u128
		d    uint64
		mode Rounding
		want int64
	}{
		{"floor", mul64(7, 3), 2, RoundFloor, 10},
		{"half up rounds a half up", mul64(7, 3), 2, RoundHalfUp, 11},
		{"half up rounds below a half down", mul64(10, 1), 3, RoundHalfUp, 3},
		{"ceil", mul64(10, 1), 3, RoundCeil, 4},
		{"exact needs no rounding", mul64(9, 1), 3, RoundCeil, 3},
		{"a huge quotient saturates", mul64(math.MaxUint64, math.MaxUint64), 1, RoundFloor, MaxAward},
		{"a quotient above MaxAward saturates", mul64(MaxAward+1, 1), 1, RoundFloor, MaxAward},
		{"128-bit numerator", mul64(1e18, 1e6).mul(1e5), 1e17, RoundFloor, 1e12},
	} {
		if got := tc.x.div(tc.d, tc.mode); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if c := combine(15000, 20000); c != 30000 {
		t.Errorf("1.5 x 2 = %v", c)
	}
	if c := combine(MaxMultiplier, MaxMultiplier); c != maxCombined {
		t.Errorf("100x x 100x = %v, want the cap", c)
	}
}
