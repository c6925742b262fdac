package analytics

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// AggregateConfig says what an Aggregate computes.
type AggregateConfig struct {
	// AsOf is the reference instant: orders at or after it are ignored, RFM and segments
	// are scored at it. Required.
	AsOf time.Time
	// Periods are the intervals of the period metrics (see History.Metrics).
	Periods []Period
	Options Options
	// CohortFrom and CohortTo bound the cohort months, as History.Cohorts; both required
	// for a cohort table.
	CohortFrom, CohortTo time.Time
	Segments             SegmentConfig
}

// Aggregate computes the period metrics, the cohort table and the RFM rows of a history in
// one pass over its customers, given one customer at a time with all of their orders. It
// keeps what the results need (a row per customer for RFM, a row per period and cohort)
// and the orders of one customer, never the whole history: the figures are those of
// History.Metrics, Cohorts and RFM on the same orders, by the same code.
type Aggregate struct {
	cfg              AggregateConfig
	ref              int64
	metrics          *metricsAcc
	cohorts          *cohortAcc
	rfm              []CustomerRFM
	one              History // the current customer
	customers, count int
	first, last      int64
}

// NewAggregate starts an empty aggregate.
func NewAggregate(cfg AggregateConfig) *Aggregate {
	a := &Aggregate{cfg: cfg, ref: cfg.AsOf.Unix(), metrics: newMetricsAcc(cfg.Periods, cfg.Options)}
	if !cfg.CohortFrom.IsZero() && !cfg.CohortTo.IsZero() {
		a.cohorts = newCohortAcc(cfg.CohortFrom, cfg.CohortTo)
	}
	return a
}

// Add counts one customer's orders, each customer once. Orders are taken in time order,
// ties in the order given (the slice is sorted stably by time if it is not already).
// Orders at or after AsOf are left out; a customer with none before it counts for nothing.
func (a *Aggregate) Add(customer string, orders []Order) error {
	if strings.TrimSpace(customer) == "" {
		return fmt.Errorf("analytics: orders with no customer id")
	}
	for i, o := range orders {
		if o.At.IsZero() {
			return fmt.Errorf("analytics: order %d of customer %q has no time", i, customer)
		}
	}
	if !slices.IsSortedFunc(orders, byTime) {
		slices.SortStableFunc(orders, byTime)
	}
	h := &a.one
	h.ids = append(h.ids[:0], customer)
	h.at, h.amount, h.items = h.at[:0], h.amount[:0], h.items[:0]
	h.cumAmt, h.cumIt = append(h.cumAmt[:0], 0), append(h.cumIt[:0], 0)
	for _, o := range orders {
		t := o.At.Unix()
		if t >= a.ref {
			break
		}
		h.at, h.amount, h.items = append(h.at, t), append(h.amount, o.Amount), append(h.items, o.Items)
		h.cumAmt = append(h.cumAmt, h.cumAmt[len(h.cumAmt)-1]+o.Amount)
		h.cumIt = append(h.cumIt, h.cumIt[len(h.cumIt)-1]+o.Items)
	}
	n := len(h.at)
	if n == 0 {
		return nil
	}
	h.first = append(h.first[:0], 0, int32(n))
	if a.customers == 0 || h.at[0] < a.first {
		a.first = h.at[0]
	}
	a.last = max(a.last, h.at[n-1])
	a.customers++
	a.count += n
	a.metrics.add(h, 0)
	if a.cohorts != nil {
		a.cohorts.add(h, 0)
	}
	if r, ok := h.rfmRow(0, a.ref); ok {
		a.rfm = append(a.rfm, r)
	}
	return nil
}

func byTime(a, b Order) int { return cmpInt(a.At.Unix(), b.At.Unix()) }

// AggregateResult is what an Aggregate computed.
type AggregateResult struct {
	Customers, Orders int       // customers and orders before AsOf
	First, Last       time.Time // the earliest and latest of those orders (zero without any)
	Metrics           []PeriodMetrics
	Cohorts           CohortTable // nil without cohort bounds
	RFM               []CustomerRFM
}

// Result finishes the aggregate: ratios, RFM scores and segments. Call it once, after the
// last Add.
func (a *Aggregate) Result() AggregateResult {
	res := AggregateResult{Customers: a.customers, Orders: a.count, Metrics: a.metrics.finish(), RFM: a.rfm}
	if a.cohorts != nil {
		res.Cohorts = a.cohorts.table
	}
	if a.count > 0 {
		res.First, res.Last = time.Unix(a.first, 0).UTC(), time.Unix(a.last, 0).UTC()
	}
	scoreRFM(res.RFM, a.cfg.AsOf, a.cfg.Segments)
	return res
}
