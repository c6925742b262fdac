package analytics_test

import (
	"math"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/clv"
	"github.com/tenure-loyalty/tenure/importer"
)

// TestOnlineRetailCLVFitsAreHonest fits BG/NBD and Gamma-Gamma on the Online Retail year
// (weeks, calibration ending 2011-12-10) and checks that a fit is reported as clean only
// when no parameter sits at a boundary or is weakly identified: a degenerate fit must come
// with a warning.
func TestOnlineRetailCLVFitsAreHonest(t *testing.T) {
	orders := onlineRetailOrders(t, importer.DefaultConfig())
	txns := make([]clv.Transaction, 0, len(orders))
	for _, o := range orders {
		txns = append(txns, clv.Transaction{CustomerID: o.Customer, Time: o.At, Amount: float64(max(o.Amount, 0))})
	}
	end := time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)
	cs, err := clv.Summarize(txns, end, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, fit, err := clv.FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var repeaters []clv.Customer
	for _, c := range cs {
		if c.X > 0 && c.Monetary > 0 {
			repeaters = append(repeaters, c)
		}
	}
	_, gg, err := clv.FitGammaGamma(repeaters, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []clv.Fit{fit, gg} {
		degenerate := false
		for i, p := range f.Params {
			se := f.StdErr[i]
			if p < 1e-3 || math.IsNaN(se) || se > p { // scale parameters (alpha, gamma) are in money or weeks: no upper bound
				degenerate = true
			}
		}
		if degenerate && (f.OK() || len(f.Warnings) == 0) {
			t.Errorf("%s: degenerate parameters %v (standard errors %v) reported as a clean fit", f.Model, f.Params, f.StdErr)
		}
		if !degenerate && !f.Converged {
			t.Errorf("%s: a sound fit did not converge: %v", f.Model, f.Warnings)
		}
		t.Logf("%s: params %.4g, se %.3g, converged %v, warnings %q", f.Model, f.Params, f.StdErr, f.Converged, f.Warnings)
	}
}
