package analytics

import (
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Daily series the overview folds into weeks and months; storage sums them by UTC day.

// LedgerDay is one UTC day's ledger movement in one wallet for one entry kind: the sum of
// positive amounts (Credit) and of negative amounts (Debit, a negative number).
type LedgerDay struct {
	Day    time.Time
	Kind   tenure.EntryKind
	Credit int64
	Debit  int64
}

// CountDay is a count for one UTC day.
type CountDay struct {
	Day   time.Time
	Count int64
}

// OrderDay is one UTC day's paid, uncancelled orders and their revenue (goods net of
// refunds, minor units).
type OrderDay struct {
	Day     time.Time
	Orders  int64
	Revenue int64
}

// OrderSummary describes a tenant's paid, uncancelled orders in a period.
type OrderSummary struct {
	Orders          int64 // orders paid in the period
	Revenue         int64 // their goods net of refunds, minor units
	Customers       int64 // members with at least one of them
	RepeatCustomers int64 // members with two or more of them
}
