package clv

import "testing"

// BenchmarkFitCDNOW fits BG/NBD and Gamma-Gamma to the CDNOW summary
// (cdnow_customers_summary_with_transactions.csv), standard errors included.
func BenchmarkFitCDNOW(b *testing.B) {
	cs := loadSummaryCSV(b, "cdnow_customers_summary_with_transactions.csv")
	b.ReportAllocs()
	for b.Loop() {
		if _, f, err := FitBGNBD(cs, nil); err != nil || !f.OK() {
			b.Fatal(err, f)
		}
		if _, f, err := FitGammaGamma(cs, nil); err != nil || !f.OK() {
			b.Fatal(err, f)
		}
	}
}

// BenchmarkFitBGNBD and BenchmarkFitParetoNBD time the transaction models alone.
func BenchmarkFitBGNBD(b *testing.B) {
	cs := loadSummaryCSV(b, "cdnow_customers_summary.csv")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FitBGNBD(cs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitParetoNBD(b *testing.B) {
	cs := loadSummaryCSV(b, "cdnow_customers_summary.csv")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FitParetoNBD(cs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCLV(b *testing.B) {
	cs := loadSummaryCSV(b, "cdnow_customers_summary_with_transactions.csv")
	bg := BGNBD{0.243, 4.414, 0.793, 2.426}
	gg := GammaGamma{6.25, 3.74, 15.44}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CLV(bg, gg, cs, CLVOptions{Periods: 12, PeriodLength: 4.345, DiscountRate: 0.01}); err != nil {
			b.Fatal(err)
		}
	}
}
