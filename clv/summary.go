package clv

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Transaction is one purchase in a raw log.
type Transaction struct {
	CustomerID string
	Time       time.Time // only the calendar date (in Time's own location) is used
	Amount     float64   // value of the purchase; must be finite and not negative
}

// civilDay returns the number of days from 1970-01-01 to t's calendar date in t's own
// location; it is immune to daylight-saving changes.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
	q := u / 86400
	if u%86400 != 0 && u < 0 {
		q--
	}
	return q
}

// dayTotals groups transactions per customer and calendar day; customers are kept in
// order of first appearance and each customer's days in ascending order.
type dayTotals struct {
	ids  []string
	days map[string]map[int64]float64
}

func checkTransaction(i int, tr Transaction) error {
	bad := func(format string, a ...any) error {
		return &DataError{Record: "transaction", Index: i, ID: tr.CustomerID, Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case tr.CustomerID == "":
		return bad("empty customer id")
	case tr.Time.IsZero():
		return bad("zero time")
	case !finite(tr.Amount):
		return bad("amount %v is not a finite number", tr.Amount)
	case tr.Amount < 0:
		return bad("amount %v is negative (net refunds out before summarising)", tr.Amount)
	}
	return nil
}

// Summarize builds the calibration-period summary of every customer whose first purchase
// is on or before calibrationEnd's calendar date, from a raw transaction log.
//
// Definitions (those of Fader, Hardie & Lee 2005 for CDNOW): transactions are reduced to
// calendar days (several purchases on one day are one purchase whose amount is the day's
// total); only days up to and including calibrationEnd's date count; X is the number of
// distinct purchase days minus 1; Tx is the time from the first to the last purchase day
// and T from the first purchase day to calibrationEnd's date, both in units of period
// (e.g. 7*24*time.Hour for weeks; period need not divide whole days); Monetary is the mean
// of the repeat purchase-day totals (the first day excluded), 0 when X = 0.
//
// Customers are returned in order of first appearance in txns. Errors name the index of
// the first invalid transaction (empty id, zero time, non-finite or negative amount), or
// report a non-positive period or an empty result.
func Summarize(txns []Transaction, calibrationEnd time.Time, period time.Duration) ([]Customer, error) {
	if period <= 0 {
		return nil, fmt.Errorf("clv: period %v must be positive", period)
	}
	end := civilDay(calibrationEnd)
	days := float64(period) / float64(24*time.Hour)
	dt := dayTotals{days: map[string]map[int64]float64{}}
	for i, tr := range txns {
		if err := checkTransaction(i, tr); err != nil {
			return nil, err
		}
		d := civilDay(tr.Time)
		if d > end {
			continue
		}
		m, ok := dt.days[tr.CustomerID]
		if !ok {
			m = map[int64]float64{}
			dt.days[tr.CustomerID] = m
			dt.ids = append(dt.ids, tr.CustomerID)
		}
		m[d] += tr.Amount
	}
	if len(dt.ids) == 0 {
		return nil, fmt.Errorf("clv: no transactions on or before the calibration end %s", calibrationEnd.Format("2006-01-02"))
	}
	out := make([]Customer, 0, len(dt.ids))
	for _, id := range dt.ids {
		m := dt.days[id]
		ds := slices.Sorted(maps.Keys(m)) // sum in day order: the result must not depend on map order
		first, last := ds[0], ds[len(ds)-1]
		c := Customer{
			ID: id,
			X:  len(ds) - 1,
			Tx: float64(last-first) / days,
			T:  float64(end-first) / days,
		}
		if c.X > 0 {
			s := 0.0
			for _, d := range ds[1:] {
				s += m[d]
			}
			c.Monetary = s / float64(c.X)
		}
		out = append(out, c)
	}
	return out, nil
}

// HoldoutPurchases counts, for each customer of a calibration summary (matched by ID), the
// distinct purchase days strictly after calibrationEnd's date and up to and including
// holdoutEnd's date. Transactions of customers not in customers are ignored. The result
// is aligned with customers. Errors name the first invalid transaction, a duplicate
// customer ID, or a holdoutEnd before calibrationEnd.
func HoldoutPurchases(txns []Transaction, customers []Customer, calibrationEnd, holdoutEnd time.Time) ([]int, error) {
	start, end := civilDay(calibrationEnd), civilDay(holdoutEnd)
	if end < start {
		return nil, fmt.Errorf("clv: holdout end %s is before calibration end %s", holdoutEnd.Format("2006-01-02"), calibrationEnd.Format("2006-01-02"))
	}
	pos := make(map[string]int, len(customers))
	for i, c := range customers {
		if _, dup := pos[c.ID]; dup {
			return nil, &DataError{Record: "customer", Index: i, ID: c.ID, Reason: "duplicate customer id"}
		}
		pos[c.ID] = i
	}
	seen := map[[2]int64]bool{} // (customer position, day)
	counts := make([]int, len(customers))
	for i, tr := range txns {
		if err := checkTransaction(i, tr); err != nil {
			return nil, err
		}
		p, ok := pos[tr.CustomerID]
		if !ok {
			continue
		}
		d := civilDay(tr.Time)
		if d <= start || d > end {
			continue
		}
		k := [2]int64{int64(p), d}
		if !seen[k] {
			seen[k] = true
			counts[p]++
		}
	}
	return counts, nil
}
