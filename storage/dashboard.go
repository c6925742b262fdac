package storage

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
)

// Read queries behind the admin dashboard's overview: totals per UTC day that the
// dashboard folds into weeks and months. Each is one aggregate over the tenant's rows.

// dayMicros is one day in stored time units; integer division by it gives the UTC day on
// both engines.
const dayMicros = "86400000000"

func dayOf(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

// LedgerDay is a row of the overview's series; see [analytics.LedgerDay].
type LedgerDay = analytics.LedgerDay

// LedgerByDay sums a tenant's entries in one wallet created in [from, to) by day and kind,
// oldest day first.
func (tx *Tx) LedgerByDay(ctx context.Context, tenantID string, w tenure.Wallet, from, to time.Time) ([]LedgerDay, error) {
	rows, err := tx.query(ctx, `SELECT created_at / `+dayMicros+` AS day, kind,
			COALESCE(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN amount < 0 THEN amount ELSE 0 END), 0)
		FROM ledger_entries WHERE tenant_id = $1 AND wallet = $2 AND created_at >= $3 AND created_at < $4
		GROUP BY 1, 2 ORDER BY 1, 2`, tenantID, string(w), ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (LedgerDay, error) {
		var d LedgerDay
		var day int64
		var kind string
		err := s.Scan(&day, &kind, &d.Credit, &d.Debit)
		d.Day, d.Kind = dayOf(day), tenure.EntryKind(kind)
		return d, err
	})
}

// CountDay is a row of the overview's series; see [analytics.CountDay].
type CountDay = analytics.CountDay

// EnrolmentsByDay counts the members a tenant enrolled in [from, to) by day.
func (tx *Tx) EnrolmentsByDay(ctx context.Context, tenantID string, from, to time.Time) ([]CountDay, error) {
	rows, err := tx.query(ctx, `SELECT enrolled_at / `+dayMicros+` AS day, COUNT(*) FROM members
		WHERE tenant_id = $1 AND enrolled_at >= $2 AND enrolled_at < $3 GROUP BY 1 ORDER BY 1`, tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (CountDay, error) {
		var d CountDay
		var day int64
		err := s.Scan(&day, &d.Count)
		d.Day = dayOf(day)
		return d, err
	})
}

// OrderDay is a row of the overview's series; see [analytics.OrderDay].
type OrderDay = analytics.OrderDay

// OrdersByDay sums a tenant's orders paid in [from, to) by day of payment.
func (tx *Tx) OrdersByDay(ctx context.Context, tenantID string, from, to time.Time) ([]OrderDay, error) {
	rows, err := tx.query(ctx, `SELECT paid_at / `+dayMicros+` AS day, COUNT(*), COALESCE(SUM(subtotal - refunded), 0) FROM orders
		WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 AND cancelled_at IS NULL GROUP BY 1 ORDER BY 1`, tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (OrderDay, error) {
		var d OrderDay
		var day int64
		err := s.Scan(&day, &d.Orders, &d.Revenue)
		d.Day = dayOf(day)
		return d, err
	})
}

// OrderSummary is a row of the overview's series; see [analytics.OrderSummary].
type OrderSummary = analytics.OrderSummary

// SummarizeOrders sums the orders paid in [from, to).
func (tx *Tx) SummarizeOrders(ctx context.Context, tenantID string, from, to time.Time) (s OrderSummary, err error) {
	err = tx.queryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0), COALESCE(SUM(n), 0), COALESCE(SUM(revenue), 0)
		FROM (SELECT member_id, COUNT(*) AS n, SUM(subtotal - refunded) AS revenue FROM orders
			WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 AND cancelled_at IS NULL GROUP BY member_id) per_member`,
		tenantID, ts(from), ts(to)).Scan(&s.Customers, &s.RepeatCustomers, &s.Orders, &s.Revenue)
	return s, err
}

// ActiveMembers counts the members with a paid, uncancelled order in [since, before).
func (tx *Tx) ActiveMembers(ctx context.Context, tenantID string, since, before time.Time) (n int64, err error) {
	err = tx.queryRow(ctx, `SELECT COUNT(DISTINCT member_id) FROM orders WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 AND cancelled_at IS NULL`,
		tenantID, ts(since), ts(before)).Scan(&n)
	return n, err
}
