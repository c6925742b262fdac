package analytics

import (
	"math"
	"slices"
	"time"
)

// DefaultActivityWindow is the activity window used when Options leaves it zero: a customer
// who bought in the past year is part of the customer base.
const DefaultActivityWindow = 365 * 24 * time.Hour

// Lifetime as an activity window makes anyone who ever bought a customer for good. The
// retention rate is then 1 in every period (nobody ever leaves); it is offered for
// completeness and for stores that count their base that way.
const Lifetime time.Duration = math.MaxInt64

// Options tune the period metrics.
type Options struct {
	// ActivityWindow decides who is "a customer at time t": someone with at least one order
	// in [t - ActivityWindow, t). Zero means DefaultActivityWindow.
	ActivityWindow time.Duration
}

func (o Options) windowSeconds() int64 {
	w := o.ActivityWindow
	if w <= 0 {
		w = DefaultActivityWindow
	}
	return int64(w / time.Second)
}

// Basket summarises a set of orders.
type Basket struct {
	Orders        int     `json:"orders"`
	Revenue       int64   `json:"revenue"`         // minor units
	Items         int64   `json:"items"`           // units
	AOV           float64 `json:"aov"`             // Revenue / Orders, minor units; 0 without orders
	ItemsPerOrder float64 `json:"items_per_order"` // Items / Orders; 0 without orders
}

func (b *Basket) add(orders int, revenue, items int64) {
	b.Orders += orders
	b.Revenue += revenue
	b.Items += items
}

func (b *Basket) finish() {
	b.AOV = ratio(float64(b.Revenue), b.Orders)
	b.ItemsPerOrder = ratio(float64(b.Items), b.Orders)
}

// ratio is a / b, or 0 when b is 0: a rate over nobody is reported as 0, and the counts
// beside it tell the two apart.
func ratio(a float64, b int) float64 {
	if b == 0 {
		return 0
	}
	return a / float64(b)
}

// PeriodMetrics are the metrics of one period [Start, End). METRICS.md gives every
// definition; in short, with W the activity window:
//
//   - a customer at time t has an order in [t-W, t);
//   - a new customer's first-ever order falls in the period;
//   - RetentionRate = (CustomersAtEnd - NewAtEnd) / CustomersAtStart (seed 004), where
//     NewAtEnd counts the new customers who are customers at End (all of them when W is at
//     least the period's length); ChurnRate = 1 - RetentionRate.
//
// Every ratio is 0 when its denominator is 0.
type PeriodMetrics struct {
	Period

	Orders          int   `json:"orders"`           // orders placed in the period
	Customers       int   `json:"customers"`        // distinct customers who ordered in the period
	Revenue         int64 `json:"revenue"`          // their orders' amounts, minor units
	Items           int64 `json:"items"`            // their orders' units
	NewCustomers    int   `json:"new_customers"`    // customers whose first-ever order is in the period
	RepeatCustomers int   `json:"repeat_customers"` // customers with 2 or more orders in the period

	CustomersAtStart int     `json:"customers_at_start"` // customers at Start
	CustomersAtEnd   int     `json:"customers_at_end"`   // customers at End
	NewAtEnd         int     `json:"new_at_end"`         // new customers who are customers at End
	Retained         int     `json:"retained"`           // customers at both Start and End
	Reactivated      int     `json:"reactivated"`        // customers at End but not at Start whose first order was before Start
	RetentionRate    float64 `json:"retention_rate"`
	ChurnRate        float64 `json:"churn_rate"`

	RepeatPurchaseRate float64 `json:"repeat_purchase_rate"` // RepeatCustomers / Customers
	PurchaseFrequency  float64 `json:"purchase_frequency"`   // Orders / Customers
	AOV                float64 `json:"aov"`                  // Revenue / Orders, minor units
	RevenuePerCustomer float64 `json:"revenue_per_customer"` // Revenue / Customers, minor units

	CustomersToDate int     `json:"customers_to_date"` // customers with an order before End
	RevenueToDate   int64   `json:"revenue_to_date"`   // all their revenue before End
	HistoricalCLV   float64 `json:"historical_clv"`    // RevenueToDate / CustomersToDate: average historical CLV at End

	FirstOrders  Basket `json:"first_orders"`  // first-ever orders placed in the period (new customers' baskets)
	RepeatOrders Basket `json:"repeat_orders"` // second and later orders placed in the period (returning customers')
}

// Series computes the metrics of each calendar period of granularity g overlapping
// [from, to).
func (h *History) Series(g Granularity, from, to time.Time, opt Options) []PeriodMetrics {
	return h.Metrics(Periods(g, from, to), opt)
}

// Metrics computes the metrics of each given period (any intervals: a whole date range
// gives its totals). The whole history is used, so a customer's status at a period's start
// depends on orders before the period. Cost: one pass over the orders plus one walk over
// the period bounds per customer.
func (h *History) Metrics(periods []Period, opt Options) []PeriodMetrics {
	acc := newMetricsAcc(periods, opt)
	for c := range h.ids {
		acc.add(h, c)
	}
	return acc.finish()
}

// metricsAcc accumulates the period metrics one customer at a time.
type metricsAcc struct {
	out    []PeriodMetrics
	w      int64
	ts     []int64 // the distinct period bounds, ascending
	si, ei []int   // each period's start and end among ts
	cut    []int
}

func newMetricsAcc(periods []Period, opt Options) *metricsAcc {
	a := &metricsAcc{out: make([]PeriodMetrics, len(periods)), w: opt.windowSeconds()}
	for _, p := range periods {
		a.ts = append(a.ts, p.Start.Unix(), p.End.Unix())
	}
	slices.Sort(a.ts)
	a.ts = slices.Compact(a.ts)
	a.si, a.ei = make([]int, len(periods)), make([]int, len(periods))
	for k, p := range periods {
		a.out[k].Period = p
		a.si[k], _ = slices.BinarySearch(a.ts, p.Start.Unix())
		a.ei[k], _ = slices.BinarySearch(a.ts, p.End.Unix())
	}
	a.cut = make([]int, len(a.ts))
	return a
}

// add counts customer c of h in every period.
func (a *metricsAcc) add(h *History, c int) {
	if len(a.out) == 0 {
		return
	}
	w, ts, si, ei, cut := a.w, a.ts, a.si, a.ei, a.cut
	h.cuts(c, ts, cut)
	lo, _ := h.orders(c)
	for k := range a.out {
		m := &a.out[k]
		i, j := cut[si[k]], cut[ei[k]]
		start, end := ts[si[k]], ts[ei[k]]
		if j == lo {
			continue // no order before End: not yet a customer
		}
		m.CustomersToDate++
		m.RevenueToDate += h.cumAmt[j] - h.cumAmt[lo]
		isNew := i == lo && j > lo
		atStart := i > lo && h.at[i-1] >= start-w
		atEnd := j > lo && h.at[j-1] >= end-w
		if n := j - i; n > 0 {
			amt, items := h.sumBetween(i, j)
			m.Orders += n
			m.Customers++
			m.Revenue += amt
			m.Items += items
			if n >= 2 {
				m.RepeatCustomers++
			}
			if isNew {
				m.FirstOrders.add(1, h.amount[lo], h.items[lo])
				m.RepeatOrders.add(n-1, amt-h.amount[lo], items-h.items[lo])
			} else {
				m.RepeatOrders.add(n, amt, items)
			}
		}
		switch {
		case isNew:
			m.NewCustomers++
			if atEnd {
				m.NewAtEnd++
			}
		case atStart && atEnd:
			m.Retained++
		case atEnd:
			m.Reactivated++
		}
		if atStart {
			m.CustomersAtStart++
		}
		if atEnd {
			m.CustomersAtEnd++
		}
	}
}

// finish computes the ratios.
func (a *metricsAcc) finish() []PeriodMetrics {
	for k := range a.out {
		a.out[k].finish()
	}
	return a.out
}

func (m *PeriodMetrics) finish() {
	m.RetentionRate = ratio(float64(m.CustomersAtEnd-m.NewAtEnd), m.CustomersAtStart)
	if m.CustomersAtStart > 0 {
		m.ChurnRate = 1 - m.RetentionRate
	}
	m.RepeatPurchaseRate = ratio(float64(m.RepeatCustomers), m.Customers)
	m.PurchaseFrequency = ratio(float64(m.Orders), m.Customers)
	m.AOV = ratio(float64(m.Revenue), m.Orders)
	m.RevenuePerCustomer = ratio(float64(m.Revenue), m.Customers)
	m.HistoricalCLV = ratio(float64(m.RevenueToDate), m.CustomersToDate)
	m.FirstOrders.finish()
	m.RepeatOrders.finish()
}
