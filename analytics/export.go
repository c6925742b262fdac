package analytics

import (
	"encoding/csv"
	"io"
	"strconv"
)

// WriteSeriesCSV writes period metrics as CSV, one row per period, with a header naming
// each column after its PeriodMetrics field in snake case. Amounts are minor units, rates
// have 4 decimals and averages 2.
func WriteSeriesCSV(w io.Writer, series []PeriodMetrics) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"period", "start", "end", "orders", "customers", "revenue", "items",
		"new_customers", "repeat_customers", "customers_at_start", "customers_at_end", "new_at_end",
		"retained", "reactivated", "retention_rate", "churn_rate", "repeat_purchase_rate",
		"purchase_frequency", "aov", "revenue_per_customer", "customers_to_date", "revenue_to_date",
		"historical_clv", "first_orders", "first_order_aov", "first_order_items_per_order",
		"repeat_orders", "repeat_order_aov", "repeat_order_items_per_order"})
	i, i64, avg := strconv.Itoa, func(v int64) string { return strconv.FormatInt(v, 10) },
		func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	for _, m := range series {
		cw.Write([]string{m.Label(), m.Start.Format("2006-01-02T15:04:05Z"), m.End.Format("2006-01-02T15:04:05Z"),
			i(m.Orders), i(m.Customers), i64(m.Revenue), i64(m.Items), i(m.NewCustomers), i(m.RepeatCustomers),
			i(m.CustomersAtStart), i(m.CustomersAtEnd), i(m.NewAtEnd), i(m.Retained), i(m.Reactivated),
			formatRate(m.RetentionRate), formatRate(m.ChurnRate), formatRate(m.RepeatPurchaseRate),
			formatRate(m.PurchaseFrequency), avg(m.AOV), avg(m.RevenuePerCustomer), i(m.CustomersToDate),
			i64(m.RevenueToDate), avg(m.HistoricalCLV), i(m.FirstOrders.Orders), avg(m.FirstOrders.AOV),
			avg(m.FirstOrders.ItemsPerOrder), i(m.RepeatOrders.Orders), avg(m.RepeatOrders.AOV),
			avg(m.RepeatOrders.ItemsPerOrder)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteRFMCSV writes RFM rows as CSV: customer, first, last, recency_days, frequency,
// monetary, r, f, m, rfm (the three scores as "545"), segment.
func WriteRFMCSV(w io.Writer, rs []CustomerRFM) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"customer", "first", "last", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "segment"})
	for _, r := range rs {
		cw.Write([]string{r.Customer, r.First.Format("2006-01-02T15:04:05Z"), r.Last.Format("2006-01-02T15:04:05Z"),
			strconv.Itoa(r.RecencyDays), strconv.Itoa(r.Frequency), strconv.FormatInt(r.Monetary, 10),
			strconv.Itoa(r.R), strconv.Itoa(r.F), strconv.Itoa(r.M),
			strconv.Itoa(r.R) + strconv.Itoa(r.F) + strconv.Itoa(r.M), string(r.Segment)})
	}
	cw.Flush()
	return cw.Error()
}
