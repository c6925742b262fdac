package service_test

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestCLVOnAStore fits the purchase and spend models on a generated store and checks the
// report: parameters with standard errors, P(alive) for every customer, a holdout
// comparison, and a fit that is called usable only without warnings.
func TestCLVOnAStore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		end := v.clock.Now()
		h := demo.Generate(demo.Options{Customers: 400, Months: 12, Seed: 11, End: end})
		for i := 0; i < len(h.Events); i += 1000 {
			v.ingest(h.Events[i:min(i+1000, len(h.Events))]...)
		}
		rep, err := v.svc.Reports.CLVWithHoldout(ctx, v.tenant, end.Add(time.Hour), 12, 0.01, 5, 8)
		if err != nil {
			t.Fatal(err)
		}
		alive := 0
		for _, n := range rep.AliveBuckets {
			alive += n
		}
		if rep.Customers == 0 || alive != rep.Customers || len(rep.BGNBD.Params) != 4 || len(rep.BGNBD.StdErr) != 4 {
			t.Fatalf("report %+v", rep)
		}
		if rep.Usable != (rep.BGNBD.OK() && rep.GammaGamma != nil && rep.GammaGamma.OK()) {
			t.Fatalf("usable %v does not follow the fits' diagnostics: %v / %+v", rep.Usable, rep.BGNBD.Warnings, rep.GammaGamma)
		}
		if rep.Holdout == nil || len(rep.Holdout.Rows) != 8 || rep.HoldoutWeeks != 8 {
			t.Fatalf("holdout comparison %+v", rep.Holdout)
		}
		if len(rep.Top) != 5 || rep.Top[0].CLVMinor < rep.Top[4].CLVMinor {
			t.Fatalf("top members %+v", rep.Top)
		}
	})
}
