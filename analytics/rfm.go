package analytics

import (
	"slices"
	"sort"
	"time"
)

// CustomerRFM is one customer's recency, frequency and monetary value at a reference date,
// their quintile scores and their lifecycle segment.
type CustomerRFM struct {
	Customer    string    `json:"customer"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`         // first and last order before the reference date, UTC
	RecencyDays int       `json:"recency_days"` // whole days from Last to the reference date (rounded down)
	Frequency   int       `json:"frequency"`    // orders before the reference date
	Monetary    int64     `json:"monetary"`     // their total amount, minor units: the customer's historical CLV

	// Quintile scores 1..5, 5 the best (most recent, most frequent, highest spend). A score
	// is 1 + floor(5 x share of scored customers who are strictly worse on that measure),
	// so tied customers share one score, the lowest their group reaches, and a tie spanning
	// several quintiles leaves the scores above it unused.
	R int `json:"r"`
	F int `json:"f"`
	M int `json:"m"`

	Segment Segment `json:"segment"`
}

// RFM scores every customer with an order before asOf, in customer id order, and gives each
// one lifecycle segment under cfg (zero fields take DefaultSegmentConfig's values). Orders
// at or after asOf are ignored, so the scores are what was known at that moment.
func (h *History) RFM(asOf time.Time, cfg SegmentConfig) []CustomerRFM {
	var out []CustomerRFM
	for c := range h.ids {
		if r, ok := h.rfmRow(c, asOf.Unix()); ok {
			out = append(out, r)
		}
	}
	scoreRFM(out, asOf, cfg)
	return out
}

// rfmRow is customer c's unscored row at ref (Unix seconds); ok is false when they had no
// order before it.
func (h *History) rfmRow(c int, ref int64) (r CustomerRFM, ok bool) {
	lo, hi := h.orders(c)
	n := 0
	for i := lo; i < hi && h.at[i] < ref; i++ {
		n++
	}
	if n == 0 {
		return r, false
	}
	last := h.at[lo+n-1]
	return CustomerRFM{
		Customer:    h.ids[c],
		First:       time.Unix(h.at[lo], 0).UTC(),
		Last:        time.Unix(last, 0).UTC(),
		RecencyDays: int((ref - last) / 86400),
		Frequency:   n,
		Monetary:    h.cumAmt[lo+n] - h.cumAmt[lo],
	}, true
}

// scoreRFM gives the rows their quintile scores and segments.
func scoreRFM(out []CustomerRFM, asOf time.Time, cfg SegmentConfig) {
	score(out, func(r *CustomerRFM) int64 { return -int64(r.RecencyDays) }, func(r *CustomerRFM, s int) { r.R = s })
	score(out, func(r *CustomerRFM) int64 { return int64(r.Frequency) }, func(r *CustomerRFM, s int) { r.F = s })
	score(out, func(r *CustomerRFM) int64 { return r.Monetary }, func(r *CustomerRFM, s int) { r.M = s })
	segment(out, asOf, cfg.withDefaults())
}

// score sets 1 + floor(5 x below / n) on each customer, below being how many customers have
// a strictly smaller key (keys are oriented so that larger is better).
func score(rs []CustomerRFM, key func(*CustomerRFM) int64, set func(*CustomerRFM, int)) {
	below, _ := rankCounts(rs, key)
	for i := range rs {
		set(&rs[i], 1+5*below[i]/len(rs))
	}
}

// rankCounts returns, per customer, how many customers have a strictly smaller key and how
// many a strictly larger one.
func rankCounts(rs []CustomerRFM, key func(*CustomerRFM) int64) (below, above []int) {
	keys := make([]int64, len(rs))
	for i := range rs {
		keys[i] = key(&rs[i])
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	below, above = make([]int, len(rs)), make([]int, len(rs))
	for i, k := range keys {
		below[i], _ = slices.BinarySearch(sorted, k)
		upper := sort.Search(len(sorted), func(j int) bool { return sorted[j] > k })
		above[i] = len(rs) - upper
	}
	return below, above
}

// SegmentCounts counts customers per segment.
func SegmentCounts(rs []CustomerRFM) map[Segment]int {
	m := map[Segment]int{}
	for _, r := range rs {
		m[r.Segment]++
	}
	return m
}
