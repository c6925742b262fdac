package analytics

import (
	"math"
	"testing"
)

func TestLift(t *testing.T) {
	t.Run("a campaign that doubles repeat orders shows a significant lift net of its cost", func(t *testing.T) {
		var treated, holdout []Outcome
		for i := 0; i < 400; i++ {
			treated = append(treated, Outcome{Orders: i % 3, Revenue: int64(i%3) * 5000, Cost: 300})
			holdout = append(holdout, Outcome{Orders: (i % 3) / 2, Revenue: int64((i%3)/2) * 5000})
		}
		r := Lift(treated, holdout)
		if r.TreatedMembers != 400 || r.Retention.Treated <= r.Retention.Holdout || !r.Significant || r.CostPerMember != 300 {
			t.Fatalf("%+v", r)
		}
		if want := r.Revenue.Difference - 300; math.Abs(r.Net.Difference-want) > 1e-9 {
			t.Fatalf("net difference %v, want %v", r.Net.Difference, want)
		}
	})
	t.Run("no difference is not significant", func(t *testing.T) {
		var xs []Outcome
		for i := 0; i < 100; i++ {
			xs = append(xs, Outcome{Orders: i % 2, Revenue: int64(i%2) * 1000})
		}
		r := Lift(xs, xs)
		if r.Significant || *r.Net.Low >= 0 || *r.Net.High <= 0 || r.Revenue.Difference != 0 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("a group of one has no interval", func(t *testing.T) {
		r := Lift([]Outcome{{Orders: 1}}, []Outcome{{}, {}})
		if r.Orders.High != nil || r.Significant {
			t.Fatalf("%+v", r)
		}
	})
}
