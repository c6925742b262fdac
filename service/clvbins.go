package service

import (
	"math"
	"slices"
)

// CLVBin is one bar of the predicted CLV distribution: members whose CLV is in
// [FromMinor, ToMinor), or at least FromMinor when ToMinor is 0 (the last, open-ended bin).
type CLVBin struct {
	FromMinor  int64   `json:"from_minor"`
	ToMinor    int64   `json:"to_minor" doc:"Exclusive; 0 for the open-ended last bin"`
	Members    int     `json:"members"`
	ValueMinor float64 `json:"value_minor" doc:"The members' predicted CLV summed"`
}

// clvBins buckets predicted values into n bins of a round width (1, 2 or 5 times a power
// of ten, in minor units) chosen so that the first n-1 bins cover the 95th percentile, with
// everything above in the last bin: a few very large customers would otherwise squeeze
// everybody else into the first bar. NaN values are left out.
func clvBins(values []float64, n int) []CLVBin {
	vs := slices.DeleteFunc(slices.Clone(values), func(v float64) bool { return math.IsNaN(v) })
	if len(vs) == 0 || n < 2 {
		return nil
	}
	slices.Sort(vs)
	p95 := vs[min(len(vs)-1, int(math.Ceil(0.95*float64(len(vs))))-1)]
	width := roundUp(max(p95, 1) / float64(n-1))
	bins := make([]CLVBin, n)
	for i := range bins {
		bins[i].FromMinor = int64(i) * width
		if i < n-1 {
			bins[i].ToMinor = int64(i+1) * width
		}
	}
	for _, v := range vs {
		i := min(n-1, max(0, int(v/float64(width))))
		bins[i].Members++
		bins[i].ValueMinor += v
	}
	return bins
}

// roundUp returns the smallest of 1, 2 or 5 times a power of ten that is at least x (x > 0).
func roundUp(x float64) int64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return max(1, int64(math.Round(m*p)))
		}
	}
	return int64(10 * p)
}
