package clv

import (
	"fmt"
	"math"
)

// CLVOptions sets the horizon and discounting of [CLV].
type CLVOptions struct {
	// Periods is the number of discounting periods in the horizon (e.g. 12 months).
	Periods int
	// PeriodLength is the length of one discounting period in the model's time unit
	// (e.g. 4.345 for months when the model was fitted in weeks, 30 in days).
	PeriodLength float64
	// DiscountRate is the discount rate per discounting period (e.g. 0.01 monthly);
	// it must be > −1. Zero means no discounting.
	DiscountRate float64
}

// CLV returns each customer's expected discounted revenue over the horizon with the usual
// discounted-cash-flow approximation: the horizon is cut into Periods periods; in period
// i (i = 1..Periods) the expected purchases are E[Y(i·L) | x, t_x, T] − E[Y((i−1)·L) | ...]
// from the transaction model m (L = PeriodLength), each worth the Gamma-Gamma conditional
// expected spend of the customer, and discounted by (1+DiscountRate)^i:
//
//	CLV = Σ_i (E[Y(iL)] − E[Y((i−1)L)]) · E[Z | x, zbar] / (1+d)^i.
//
// It assumes spend independent of the purchase process (the Gamma-Gamma assumption) and
// returns revenue: apply a margin yourself. The result is aligned with cs. Errors name
// the first invalid customer (see [Customer]; a repeat customer needs a positive
// Monetary), an invalid option, or a customer whose expected spend or purchases are not
// finite (e.g. Gamma-Gamma q <= 1 for a customer without repeat purchases).
func CLV(m Predictor, g GammaGamma, cs []Customer, o CLVOptions) ([]float64, error) {
	if o.Periods < 1 {
		return nil, fmt.Errorf("clv: CLVOptions.Periods = %d must be at least 1", o.Periods)
	}
	if !(o.PeriodLength > 0) || !finite(o.PeriodLength) {
		return nil, fmt.Errorf("clv: CLVOptions.PeriodLength = %v must be positive and finite", o.PeriodLength)
	}
	if !(o.DiscountRate > -1) || !finite(o.DiscountRate) {
		return nil, fmt.Errorf("clv: CLVOptions.DiscountRate = %v must be finite and greater than -1", o.DiscountRate)
	}
	if !g.valid() {
		return nil, fmt.Errorf("clv: invalid Gamma-Gamma parameters %+v", g)
	}
	out := make([]float64, len(cs))
	for i, c := range cs {
		if err := checkCustomer(i, c, true); err != nil {
			return nil, err
		}
		spend := g.ConditionalExpectedSpend(c.X, c.Monetary)
		if !finite(spend) {
			return nil, &DataError{Record: "customer", Index: i, ID: c.ID, Reason: fmt.Sprintf("expected spend is %v (Gamma-Gamma q = %.4g)", spend, g.Q)}
		}
		prev, v := 0.0, 0.0
		for k := 1; k <= o.Periods; k++ {
			e := m.ConditionalExpectedPurchases(float64(k)*o.PeriodLength, c.X, c.Tx, c.T)
			if !finite(e) {
				return nil, &DataError{Record: "customer", Index: i, ID: c.ID, Reason: fmt.Sprintf("expected purchases at t = %v are not finite", float64(k)*o.PeriodLength)}
			}
			v += (e - prev) * spend / math.Pow(1+o.DiscountRate, float64(k))
			prev = e
		}
		out[i] = v
	}
	return out, nil
}
