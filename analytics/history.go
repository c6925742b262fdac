package analytics

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
)

// Order is one purchase as the metrics see it. Guests (no customer id) have no place here:
// every metric is about identified customers.
type Order struct {
	Customer string    // the store's customer id; required
	At       time.Time // when the order was placed; required. Calendar periods are UTC.
	Amount   int64     // revenue in minor units (net of refunds if the caller nets them)
	Items    int64     // units in the order; 0 when unknown
}

// History is an immutable, indexed set of orders that every metric reads. Orders are kept
// grouped by customer and sorted by time (ties keep their input order), with running sums,
// so a metric costs one pass over the customers. Times are compared to the second.
type History struct {
	ids    []string // customer ids, sorted
	first  []int32  // first[c] is the index of customer c's first order; first[len(ids)] = len(orders)
	at     []int64  // Unix seconds, per order
	amount []int64
	items  []int64
	cumAmt []int64 // cumAmt[i] = sum of amount[0 .. i), so any range sums in O(1)
	cumIt  []int64
}

// NewHistory indexes orders. It returns an error naming the first order with an empty
// customer id or a zero time. The input slice is not modified or retained.
func NewHistory(orders []Order) (*History, error) {
	return CollectHistory(slices.Values(orders))
}

// CollectHistory indexes the orders of a sequence, as NewHistory does.
func CollectHistory(orders iter.Seq[Order]) (*History, error) {
	type rec struct {
		cust  string
		at    int64
		seq   int
		amt   int64
		items int64
	}
	var recs []rec
	i := 0
	for o := range orders {
		switch {
		case strings.TrimSpace(o.Customer) == "":
			return nil, fmt.Errorf("analytics: order %d has no customer id", i)
		case o.At.IsZero():
			return nil, fmt.Errorf("analytics: order %d of customer %q has no time", i, o.Customer)
		}
		recs = append(recs, rec{o.Customer, o.At.Unix(), i, o.Amount, o.Items})
		i++
	}
	slices.SortFunc(recs, func(a, b rec) int {
		if c := strings.Compare(a.cust, b.cust); c != 0 {
			return c
		}
		if a.at != b.at {
			return cmpInt(a.at, b.at)
		}
		return a.seq - b.seq
	})
	n := len(recs)
	h := &History{at: make([]int64, n), amount: make([]int64, n), items: make([]int64, n),
		cumAmt: make([]int64, n+1), cumIt: make([]int64, n+1)}
	var amt, it int64
	for j, r := range recs {
		if j == 0 || r.cust != recs[j-1].cust {
			h.ids = append(h.ids, r.cust)
			h.first = append(h.first, int32(j))
		}
		h.at[j], h.amount[j], h.items[j] = r.at, r.amt, r.items
		h.cumAmt[j], h.cumIt[j] = amt, it
		amt += r.amt
		it += r.items
		h.cumAmt[j+1], h.cumIt[j+1] = amt, it
	}
	h.first = append(h.first, int32(n))
	return h, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Customers is the number of distinct customers.
func (h *History) Customers() int { return len(h.ids) }

// Orders is the number of orders.
func (h *History) Orders() int { return len(h.at) }

// Span returns the times of the earliest and latest orders (zero times when empty).
func (h *History) Span() (first, last time.Time) {
	if len(h.at) == 0 {
		return time.Time{}, time.Time{}
	}
	lo, hi := h.at[0], h.at[0]
	for _, t := range h.at {
		lo, hi = min(lo, t), max(hi, t)
	}
	return time.Unix(lo, 0).UTC(), time.Unix(hi, 0).UTC()
}

// orders returns customer c's order index range [lo, hi).
func (h *History) orders(c int) (lo, hi int) { return int(h.first[c]), int(h.first[c+1]) }

// sumBetween returns the amount and items of the orders with index in [a, b).
func (h *History) sumBetween(a, b int) (amount, items int64) {
	return h.cumAmt[b] - h.cumAmt[a], h.cumIt[b] - h.cumIt[a]
}

// cuts returns, for each instant of ts (ascending, Unix seconds), the index of the first
// order of customer c at or after it, written into out.
func (h *History) cuts(c int, ts []int64, out []int) {
	lo, hi := h.orders(c)
	i := lo
	for k, t := range ts {
		for i < hi && h.at[i] < t {
			i++
		}
		out[k] = i
	}
}
