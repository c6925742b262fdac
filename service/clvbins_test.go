package service

import (
	"math"
	"testing"
)

func TestCLVBins(t *testing.T) {
	t.Run("round widths cover the 95th percentile and the tail goes to the last bin", func(t *testing.T) {
		var vs []float64
		for i := range 100 {
			vs = append(vs, float64(i*100)) // 0 .. 9900
		}
		vs = append(vs, 1e7, math.NaN())
		bins := clvBins(vs, 8)
		if len(bins) != 8 {
			t.Fatalf("%d bins", len(bins))
		}
		// p95 of 101 values is 9500; 9500/7 = 1357 rounds up to 2000.
		if bins[0].FromMinor != 0 || bins[0].ToMinor != 2000 || bins[6].ToMinor != 14000 || bins[7].ToMinor != 0 {
			t.Fatalf("edges: %+v", bins)
		}
		total := 0
		for _, b := range bins {
			total += b.Members
		}
		if total != 101 {
			t.Fatalf("%d members binned, want 101 (NaN left out)", total)
		}
		if bins[0].Members != 20 || bins[7].Members != 1 || bins[7].ValueMinor != 1e7 {
			t.Fatalf("counts: first %d, last %d (%v)", bins[0].Members, bins[7].Members, bins[7].ValueMinor)
		}
	})
	t.Run("all zero values get a width of one", func(t *testing.T) {
		bins := clvBins([]float64{0, 0, 0}, 4)
		if bins[0].Members != 3 || bins[0].ToMinor != 1 {
			t.Fatalf("%+v", bins)
		}
	})
	t.Run("no values, no bins", func(t *testing.T) {
		if b := clvBins([]float64{math.NaN()}, 8); b != nil {
			t.Fatalf("%+v", b)
		}
	})
}

func TestRoundUp(t *testing.T) {
	for x, want := range map[float64]int64{0.3: 1, 1: 1, 1.5: 2, 3: 5, 7: 10, 12: 20, 450: 500, 1357: 2000} {
		if got := roundUp(x); got != want {
			t.Errorf("roundUp(%v) = %d, want %d", x, got, want)
		}
	}
}
