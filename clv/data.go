package clv

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Customer is one customer's calibration-period summary.
//
// X is the number of repeat purchases (purchases after the first one), Tx the time of the
// last purchase and T the time of the end of calibration, both measured in model periods
// from the customer's first purchase, so 0 <= Tx <= T, Tx == 0 when X == 0 and Tx > 0 when
// X > 0. Monetary is the mean value of the X repeat purchases; it is used only by the
// Gamma-Gamma model and only when X > 0 (where it must be positive).
type Customer struct {
	ID       string
	X        int
	Tx       float64
	T        float64
	Monetary float64
}

// ErrNoCustomers is returned by the Fit functions when there are no customers to fit.
var ErrNoCustomers = errors.New("clv: no customers")

// ErrNoRepeaters is returned by the Fit functions when no customer made a repeat
// purchase: the purchase-rate and spend parameters are then not identified.
var ErrNoRepeaters = errors.New("clv: no customer with a repeat purchase; the model is not identified")

// DataError reports an invalid input record: a customer (for the Fit functions, CLV and
// CompareHoldout) or a transaction (for Summarize and HoldoutPurchases).
type DataError struct {
	Record string // "customer" or "transaction"
	Index  int    // position of the record in the input slice
	ID     string // the record's customer id, if any
	Reason string // what is wrong, naming the field
}

// Error formats the error as `clv: <record> <index> (id "<id>"): <reason>`.
func (e *DataError) Error() string {
	rec := e.Record
	if rec == "" {
		rec = "customer"
	}
	if e.ID != "" {
		return fmt.Sprintf("clv: %s %d (id %q): %s", rec, e.Index, e.ID, e.Reason)
	}
	return fmt.Sprintf("clv: %s %d: %s", rec, e.Index, e.Reason)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkCustomer validates one summary record. withMonetary also checks Monetary for
// repeat customers.
func checkCustomer(i int, c Customer, withMonetary bool) error {
	bad := func(format string, a ...any) error {
		return &DataError{Record: "customer", Index: i, ID: c.ID, Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case c.X < 0:
		return bad("frequency x = %d is negative", c.X)
	case !finite(c.Tx):
		return bad("recency t_x = %v is not a finite number", c.Tx)
	case !finite(c.T):
		return bad("age T = %v is not a finite number", c.T)
	case c.Tx < 0:
		return bad("recency t_x = %v is negative", c.Tx)
	case c.T < 0:
		return bad("age T = %v is negative", c.T)
	case c.Tx > c.T:
		return bad("recency t_x = %v exceeds age T = %v", c.Tx, c.T)
	case c.X > 0 && c.Tx == 0:
		return bad("x = %d repeat purchases but recency t_x = 0", c.X)
	case c.X == 0 && c.Tx != 0:
		return bad("no repeat purchases (x = 0) but recency t_x = %v (must be 0)", c.Tx)
	}
	if withMonetary && c.X > 0 {
		switch {
		case !finite(c.Monetary):
			return bad("mean repeat value = %v is not a finite number", c.Monetary)
		case c.Monetary <= 0:
			return bad("mean repeat value = %v must be positive for a repeat customer", c.Monetary)
		}
	}
	return nil
}

// cohort is a validated, compressed copy of the customers for a transaction model:
// customers with identical (x, t_x, T) share one weighted group, and the distinct x values
// and times get their own index so that per-evaluation work (lgamma, log) is done once per
// distinct value. Groups are in (x, T, t_x) order, so the order of the input does not
// change any sum.
type cohort struct {
	n      int       // customers
	xs     []float64 // distinct x values
	xw     []float64 // customers per distinct x
	sumX   float64   // total repeat purchases
	times  []float64 // distinct time values (t_x and T), divided by scale
	groups []group
	scale  float64 // times were divided by this
}

type group struct {
	w       float64 // customers in the group
	x       float64
	xi      int // index into xs
	txi, ti int // indices into times
}

// newCohort validates cs and compresses it; times are divided by scale (> 0). Identical
// rows are found by sorting the keys (a sort streams through memory; a hash map of a
// million rows spends its time on cache misses).
func newCohort(cs []Customer, scale float64) (*cohort, error) {
	if len(cs) == 0 {
		return nil, ErrNoCustomers
	}
	type key struct {
		x     int
		t, tx float64
	}
	keys := make([]key, len(cs))
	repeaters := 0
	for i, cu := range cs {
		if err := checkCustomer(i, cu, false); err != nil {
			return nil, err
		}
		if cu.X > 0 {
			repeaters++
		}
		keys[i] = key{cu.X, cu.T, cu.Tx + 0} // + 0 folds −0 into 0
	}
	if repeaters == 0 { // (a repeat customer has T >= t_x > 0, so some age is positive)
		return nil, ErrNoRepeaters
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.x != b.x {
			return cmp.Compare(a.x, b.x)
		}
		if a.t != b.t {
			return cmp.Compare(a.t, b.t)
		}
		return cmp.Compare(a.tx, b.tx)
	})
	c := &cohort{n: len(cs), scale: scale}
	ti := map[float64]int{}
	timeIndex := func(t float64) int {
		if i, ok := ti[t]; ok {
			return i
		}
		ti[t] = len(c.times)
		c.times = append(c.times, t/scale)
		return len(c.times) - 1
	}
	for i, k := range keys {
		if i > 0 && k == keys[i-1] {
			g := &c.groups[len(c.groups)-1]
			g.w++
			c.xw[g.xi]++
			c.sumX += g.x
			continue
		}
		if i == 0 || k.x != keys[i-1].x {
			c.xs = append(c.xs, float64(k.x))
			c.xw = append(c.xw, 0)
		}
		xi := len(c.xs) - 1
		c.xw[xi]++
		c.sumX += float64(k.x)
		c.groups = append(c.groups, group{w: 1, x: float64(k.x), xi: xi, txi: timeIndex(k.tx), ti: timeIndex(k.t)})
	}
	return c, nil
}

// timeScale returns the mean age T, rounded to a power of two, used to make the optimiser's time-scale parameters
// dimensionless (so that the search and its boundary checks do not depend on whether time
// is measured in days or weeks).
func timeScale(cs []Customer) float64 {
	s := 0.0
	for _, c := range cs {
		s += c.T
	}
	s /= float64(len(cs))
	if !(s > 0) || !finite(s) {
		return 1
	}
	return pow2Near(s)
}

// pow2Near returns the power of two nearest to v > 0 (in log scale). Scaling by it is
// exact, and it does not depend on the last bits of v (which depend on the order of a sum).
func pow2Near(v float64) float64 {
	if !(v > 0) || !finite(v) {
		return 1
	}
	return math.Exp2(math.Round(math.Log2(v)))
}
