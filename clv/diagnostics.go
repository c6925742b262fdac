package clv

import (
	"fmt"
	"math"
	"strings"
)

// Predictor is the per-customer prediction interface shared by [BGNBD] and [ParetoNBD].
// Both methods return NaN for invalid input.
type Predictor interface {
	// PAlive returns the probability that a customer with history (x, t_x, T) is alive at T.
	PAlive(x int, tx, T float64) float64
	// ConditionalExpectedPurchases returns the expected number of purchases in (T, T+t].
	ConditionalExpectedPurchases(t float64, x int, tx, T float64) float64
}

var (
	_ Predictor = BGNBD{}
	_ Predictor = ParetoNBD{}
)

// ComparisonRow is one calibration-frequency class of a [Comparison].
type ComparisonRow struct {
	Frequency int     `json:"frequency"` // calibration repeat purchases x; the last row holds x >= Frequency
	Open      bool    `json:"open"`      // true for the last, open-ended row ("7+")
	Customers int     `json:"customers"` // customers in the class
	Actual    float64 `json:"actual"`    // mean holdout purchases per customer
	Predicted float64 `json:"predicted"` // mean conditional expectation per customer
}

// Comparison sets the model's conditional expectations for a holdout period against the
// purchases actually observed, by calibration frequency (as in Fader, Hardie & Lee 2005,
// Figure 5), plus totals over all customers.
type Comparison struct {
	Rows      []ComparisonRow `json:"rows"`
	Customers int             `json:"customers"`
	Actual    float64         `json:"actual"`    // total holdout purchases
	Predicted float64         `json:"predicted"` // total predicted holdout purchases
}

// CompareHoldout predicts each customer's purchases in a holdout period of the given
// length (in model periods, immediately after calibration) and compares them with the
// observed counts holdout[i] (for example from [HoldoutPurchases]). Customers are grouped
// by calibration frequency 0, 1, ..., maxFreq−1 and maxFreq or more; maxFreq <= 0 means 7.
// Empty classes are kept (with zero means). Errors name an invalid customer, a negative
// count, mismatched lengths, or a prediction that is not finite.
func CompareHoldout(m Predictor, customers []Customer, holdout []int, length float64, maxFreq int) (Comparison, error) {
	var c Comparison
	if maxFreq <= 0 {
		maxFreq = 7
	}
	if len(holdout) != len(customers) {
		return c, fmt.Errorf("clv: %d holdout counts for %d customers", len(holdout), len(customers))
	}
	if !(length >= 0) || !finite(length) {
		return c, fmt.Errorf("clv: holdout length %v must be finite and not negative", length)
	}
	c.Rows = make([]ComparisonRow, maxFreq+1)
	for i := range c.Rows {
		c.Rows[i].Frequency = i
	}
	c.Rows[maxFreq].Open = true
	for i, cu := range customers {
		if err := checkCustomer(i, cu, false); err != nil {
			return Comparison{}, err
		}
		if holdout[i] < 0 {
			return Comparison{}, &DataError{Record: "customer", Index: i, ID: cu.ID, Reason: fmt.Sprintf("holdout count %d is negative", holdout[i])}
		}
		p := m.ConditionalExpectedPurchases(length, cu.X, cu.Tx, cu.T)
		if !finite(p) {
			return Comparison{}, &DataError{Record: "customer", Index: i, ID: cu.ID, Reason: fmt.Sprintf("prediction is not finite (%v); check the model parameters", p)}
		}
		row := &c.Rows[min(cu.X, maxFreq)]
		row.Customers++
		row.Actual += float64(holdout[i])
		row.Predicted += p
		c.Customers++
		c.Actual += float64(holdout[i])
		c.Predicted += p
	}
	for i := range c.Rows {
		if n := c.Rows[i].Customers; n > 0 {
			c.Rows[i].Actual /= float64(n)
			c.Rows[i].Predicted /= float64(n)
		}
	}
	return c, nil
}

// String formats the comparison as a table of means per class and totals.
func (c Comparison) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6s %9s %10s %10s\n", "x", "customers", "actual", "predicted")
	for _, r := range c.Rows {
		lbl := fmt.Sprint(r.Frequency)
		if r.Open {
			lbl += "+"
		}
		fmt.Fprintf(&b, "%6s %9d %10.3f %10.3f\n", lbl, r.Customers, r.Actual, r.Predicted)
	}
	fmt.Fprintf(&b, "%6s %9d %10.1f %10.1f", "total", c.Customers, c.Actual, c.Predicted)
	if c.Actual > 0 {
		fmt.Fprintf(&b, " (%+.1f%%)", 100*(c.Predicted-c.Actual)/c.Actual)
	}
	b.WriteByte('\n')
	return b.String()
}

// MeanAbsoluteError returns the customer-weighted mean absolute difference between the
// predicted and actual class means, a one-number summary of the comparison (NaN when
// there are no customers).
func (c Comparison) MeanAbsoluteError() float64 {
	if c.Customers == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, r := range c.Rows {
		s += float64(r.Customers) * math.Abs(r.Predicted-r.Actual)
	}
	return s / float64(c.Customers)
}
