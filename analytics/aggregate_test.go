package analytics_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/analytics/synth"
)

// TestAggregateMatchesHistory feeds a synthetic store to an Aggregate one customer at a
// time and to a History at once: the period metrics, the cohort table and the RFM rows are
// the same, at an as-of date inside the history (later orders left out) and at its end.
func TestAggregateMatchesHistory(t *testing.T) {
	store, err := synth.New(synth.Config{Customers: 400, Orders: 4000, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	var all []analytics.Order
	for o := range store.Orders() {
		all = append(all, o)
	}
	for _, asOf := range []time.Time{store.End().AddDate(0, -7, -3), store.End()} {
		var before []analytics.Order
		for _, o := range all {
			if o.At.Before(asOf) {
				before = append(before, o)
			}
		}
		h, err := analytics.NewHistory(before)
		if err != nil {
			t.Fatal(err)
		}
		from := analytics.Month.Start(asOf).AddDate(0, -12, 0)
		cfg := analytics.DefaultSegmentConfig()
		agg := analytics.NewAggregate(analytics.AggregateConfig{AsOf: asOf, Periods: analytics.Periods(analytics.Month, from, asOf),
			CohortFrom: from, CohortTo: asOf, Segments: cfg})
		for i := 0; i < len(all); {
			j := i
			for j < len(all) && all[j].Customer == all[i].Customer {
				j++
			}
			if err := agg.Add(all[i].Customer, append([]analytics.Order(nil), all[i:j]...)); err != nil {
				t.Fatal(err)
			}
			i = j
		}
		res := agg.Result()
		if res.Orders != h.Orders() || res.Customers != h.Customers() {
			t.Fatalf("as of %s: %d orders of %d customers, the history has %d of %d", asOf, res.Orders, res.Customers, h.Orders(), h.Customers())
		}
		if want := h.Series(analytics.Month, from, asOf, analytics.Options{}); !reflect.DeepEqual(res.Metrics, want) {
			t.Errorf("as of %s: the period metrics differ", asOf)
		}
		if want := h.Cohorts(from, asOf); !reflect.DeepEqual(res.Cohorts, want) {
			t.Errorf("as of %s: the cohort tables differ", asOf)
		}
		if want := h.RFM(asOf, cfg); !reflect.DeepEqual(res.RFM, want) {
			t.Errorf("as of %s: the RFM rows differ", asOf)
		}
	}
	if err := analytics.NewAggregate(analytics.AggregateConfig{AsOf: store.End()}).Add(" ", nil); err == nil {
		t.Error("orders without a customer id were taken")
	}
}
