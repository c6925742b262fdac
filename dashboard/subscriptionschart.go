package dashboard

import (
	"github.com/tenure-loyalty/tenure/subscription"
)

// mrrChart draws the MRR bridge of each month: what new and reactivated subscribers and
// expansions added, and what contraction and churn took away, in the store's currency.
func mrrChart(ms []subscription.Movement, currency string) chart {
	c := chart{ID: "mrr-movements", Title: "MRR movements per month", Kind: "line", Unit: currency, Axis: "Month"}
	col := func(label, color string, v func(subscription.Movement) int64) series {
		s := series{Label: label, Color: color, Values: make([]int64, len(ms))}
		for i, m := range ms {
			s.Values[i] = v(m)
		}
		return s
	}
	for i, m := range ms {
		c.X = append(c.X, m.Month.Unix())
		c.Labels = append(c.Labels, m.Month.Format("Jan 2006"))
		if i == len(ms)-1 {
			c.Labels[i] += " (to date)"
		}
	}
	c.Series = []series{
		col("New", "#2563eb", func(m subscription.Movement) int64 { return m.New }),
		col("Expansion", "#15803d", func(m subscription.Movement) int64 { return m.Expansion }),
		col("Reactivated", "#7c3aed", func(m subscription.Movement) int64 { return m.Reactivated }),
		col("Contraction", "#b45309", func(m subscription.Movement) int64 { return m.Contraction }),
		col("Churned", "#b91c1c", func(m subscription.Movement) int64 { return m.Churned }),
	}
	return c
}
