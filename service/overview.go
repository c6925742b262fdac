package service

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
)

// Overview is what the dashboard's landing page shows, read in one transaction: the
// program's figures over [From, To) by the one definition ProgramMetrics uses, the order
// summary of the same period, and the daily series its charts fold into weeks and months.
type Overview struct {
	Program ProgramMetrics
	Orders  analytics.OrderSummary
	// Ledger holds the points ledger by day and kind from LedgerFrom (which may be before
	// From, for a chart of complete weeks) to To.
	LedgerFrom  time.Time
	Ledger      []analytics.LedgerDay
	Enrolments  []analytics.CountDay
	OrdersByDay []analytics.OrderDay
}

// Overview reads the overview of [from, to), with the ledger series from ledgerFrom.
func (s *Reports) Overview(ctx context.Context, tenantID string, ledgerFrom, from, to time.Time) (out Overview, err error) {
	out.LedgerFrom = ledgerFrom
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		var err error
		if out.Program, err = programMetrics(ctx, tx, tenantID, from, to); err != nil {
			return err
		}
		if out.Orders, err = tx.SummarizeOrders(ctx, tenantID, from, to); err != nil {
			return err
		}
		if out.Ledger, err = tx.LedgerByDay(ctx, tenantID, tenure.Points, ledgerFrom, to); err != nil {
			return err
		}
		if out.Enrolments, err = tx.EnrolmentsByDay(ctx, tenantID, from, to); err != nil {
			return err
		}
		out.OrdersByDay, err = tx.OrdersByDay(ctx, tenantID, from, to)
		return err
	})
	return out, err
}

// Orders returns a member's newest orders (at most limit, newest first, with their
// lines) and how many orders the member has in all.
func (s *Members) Orders(ctx context.Context, tenantID, memberID string, limit int) (out []*tenure.Order, total int64, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		ids, err := tx.MemberOrderIDs(ctx, tenantID, memberID) // newest first
		if err != nil {
			return err
		}
		total = int64(len(ids))
		for _, id := range ids {
			if len(out) == limit {
				break
			}
			o, found, err := tx.Order(ctx, tenantID, id)
			if err != nil {
				return err
			}
			if found {
				out = append(out, o)
			}
		}
		return nil
	})
	return out, total, err
}

// Count counts a tenant's members.
func (s *Members) Count(ctx context.Context, tenantID string) (n int64, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) (err error) {
		n, err = tx.CountMembers(ctx, tenantID)
		return err
	})
	return n, err
}

// Verify re-derives every balance and lot of every tenant from the ledger in one read
// transaction and reports each difference to visit.
func (s *Service) Verify(ctx context.Context, visit func(ledger.Mismatch)) (balances, entries int64, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) (err error) {
		balances, entries, err = tx.Verify(ctx, visit)
		return err
	})
	return balances, entries, err
}
