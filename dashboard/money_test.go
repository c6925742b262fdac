package dashboard

import "testing"

func TestParseMoney(t *testing.T) {
	for _, tc := range []struct {
		in, currency string
		want         int64
		bad          bool
	}{
		{"15", "PLN", 1500, false},
		{"15,00", "PLN", 1500, false},
		{"15.5", "PLN", 1550, false},
		{"15,00 zł", "PLN", 1500, false},
		{"1 234,56", "PLN", 123456, false},
		{"1\u00a0234,56\u00a0zł", "PLN", 123456, false},
		{"1.234,56", "PLN", 123456, false},
		{"1,234.56", "PLN", 123456, false},
		{"1.234", "PLN", 123400, false},
		{"1,234", "USD", 123400, false},
		{"$15.25", "USD", 1525, false},
		{"15 PLN", "PLN", 1500, false},
		{"1,234", "PLN", 0, true}, // 1,234 zł has three decimals: ambiguous, so asked again
		{"15,555", "EUR", 0, true},
		{"fifteen", "PLN", 0, true},
		{"-5", "PLN", 0, true},
		{"", "PLN", 0, true},
		{"1500", "JPY", 1500, false},
		{"15.5", "JPY", 0, true},
	} {
		got, msg := parseMoney(tc.in, tc.currency)
		if (msg != "") != tc.bad || got != tc.want {
			t.Errorf("parseMoney(%q, %s) = %d, %q; want %d, bad %v", tc.in, tc.currency, got, msg, tc.want, tc.bad)
		}
		if !tc.bad {
			if back, msg := parseMoney(money(got, tc.currency), tc.currency); back != got || msg != "" {
				t.Errorf("%q does not read back: %d %q", money(got, tc.currency), back, msg)
			}
			if back, _ := parseMoney(moneyInput(got, tc.currency), tc.currency); back != got {
				t.Errorf("the form value %q does not read back", moneyInput(got, tc.currency))
			}
		}
	}
}

func TestUnlikelyMinorUnits(t *testing.T) {
	for _, tc := range []struct {
		minor, worth int64
		want         bool
	}{
		{150000, 1500, true},   // 1 500 zł for 150 points worth 15 zł: meant 15 zł
		{1500, 1500, false},    // 15 zł
		{10000, 10000, false},  // 100 zł for points worth 100 zł
		{150000, 0, true},      // no point value known: a round hundred is asked
		{123400, 1500, false},  // not a round hundred
		{1000000, 20000, true}, // 10 000 zł for points worth 200 zł
	} {
		if got := unlikelyMinorUnits(tc.minor, tc.worth, "PLN"); got != tc.want {
			t.Errorf("%d for %d: %v, want %v", tc.minor, tc.worth, got, tc.want)
		}
	}
}
