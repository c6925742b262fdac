// Package analytics computes Tenure's retention and value metrics from order history:
// retention and churn per period (seed 004's formula), repeat purchase rate, purchase
// frequency, AOV, revenue per customer, historical CLV, first-time versus repeat baskets,
// cohort retention tables, RFM scores and lifecycle segments.
//
// It is pure: no I/O, no clock, no storage. Build a [History] from plain [Order] records
// (from the importer, the database or a test), then ask it for metrics at explicit dates.
// Every definition is written out in METRICS.md and on the function that computes it.
package analytics
