package tenure

import "time"

// Wallet names a balance a member holds: points, or store credit in minor units.
type Wallet string

// Wallets.
const (
	Points Wallet = "points"
	Credit Wallet = "credit"
)

// Valid reports whether w is a known wallet.
func (w Wallet) Valid() bool { return w == Points || w == Credit }

// EntryKind is the cause class of a ledger entry.
type EntryKind string

// Entry kinds. Balances and lifetime totals are sums of entries by kind, which is what
// `tenure verify` re-derives.
const (
	EntryEarn        EntryKind = "earn"         // credited by an order or rule
	EntryRelease     EntryKind = "release"      // a pending amount moving to available (a pair of entries)
	EntrySpend       EntryKind = "spend"        // spent by the member (redemption, checkout)
	EntryAdjust      EntryKind = "adjust"       // a manual correction by staff or the store, with a reason
	EntryExpire      EntryKind = "expire"       // an expired remainder of a lot
	EntryReverse     EntryKind = "reverse"      // a claw-back after a cancel or refund
	EntryTransferIn  EntryKind = "transfer_in"  // received from another member
	EntryTransferOut EntryKind = "transfer_out" // sent to another member
	EntrySettle      EntryKind = "settle"       // new points paying off a negative balance (a pair, net zero)
	EntryRestore     EntryKind = "restore"      // spent points returned, e.g. by a cancelled coupon; counts against Spent
)

// Bucket says which part of a balance an entry moves.
type Bucket string

// Buckets.
const (
	Available Bucket = "available"
	Pending   Bucket = "pending"
)

// Entry is one append-only line of the ledger. Amount is signed. Every entry names its cause
// (CauseType, CauseID) and, for manual entries, the actor and reason.
type Entry struct {
	ID        string    `json:"id"`
	MemberID  string    `json:"member_id"`
	Wallet    Wallet    `json:"wallet"`
	Kind      EntryKind `json:"kind"`
	Bucket    Bucket    `json:"bucket"`
	Amount    int64     `json:"amount"`
	LotID     string    `json:"lot_id,omitempty"`
	CauseType string    `json:"cause_type" doc:"event, order, adjustment, transfer, expiry, spend"`
	CauseID   string    `json:"cause_id"`
	Reason    string    `json:"reason,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Lot is a batch of earned points (or credit) with its own expiry. Remaining is what is left
// available, Pending what has not yet become available. A debt lot (negative Remaining)
// records a negative balance allowed by policy; later earnings settle it first.
type Lot struct {
	ID          string     `json:"id"`
	MemberID    string     `json:"member_id"`
	Wallet      Wallet     `json:"wallet"`
	SourceType  string     `json:"source_type"`
	SourceID    string     `json:"source_id"`
	Pending     int64      `json:"pending"`
	Remaining   int64      `json:"remaining"`
	AvailableAt *time.Time `json:"available_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Debt        bool       `json:"debt,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Balance is the cached sum of a member's entries in one wallet.
type Balance struct {
	MemberID         string     `json:"member_id"`
	Wallet           Wallet     `json:"wallet"`
	Available        int64      `json:"available"`
	Pending          int64      `json:"pending"`
	Earned           int64      `json:"lifetime_earned" doc:"Sum of earn entries"`
	Spent            int64      `json:"lifetime_spent" doc:"Sum of spend entries as a positive number, less points restored by cancelled coupons"`
	Expired          int64      `json:"lifetime_expired"`
	Reversed         int64      `json:"lifetime_reversed" doc:"Clawed back after cancellations and refunds"`
	Adjusted         int64      `json:"lifetime_adjusted" doc:"Net manual adjustments"`
	TransferredIn    int64      `json:"lifetime_transferred_in"`
	TransferredOut   int64      `json:"lifetime_transferred_out"`
	NextExpiryAt     *time.Time `json:"next_expiry_at,omitempty"`
	NextExpiryAmount int64      `json:"next_expiry_amount"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Apply adds one entry to the balance's sums.
func (b *Balance) Apply(e Entry) {
	switch e.Bucket {
	case Available:
		b.Available += e.Amount
	case Pending:
		b.Pending += e.Amount
	}
	switch e.Kind {
	case EntryEarn:
		b.Earned += e.Amount
	case EntrySpend, EntryRestore:
		// A restore gives back what a spend took, so lifetime spent stays net of it and the
		// balances row needs no column of its own.
		b.Spent -= e.Amount
	case EntryExpire:
		b.Expired -= e.Amount
	case EntryReverse:
		b.Reversed -= e.Amount
	case EntryAdjust:
		b.Adjusted += e.Amount
	case EntryTransferIn:
		b.TransferredIn += e.Amount
	case EntryTransferOut:
		b.TransferredOut -= e.Amount
	}
}

// SameSums reports whether two balances agree on every derived sum (not on timestamps or the
// next-expiry cache).
func (b Balance) SameSums(o Balance) bool {
	return b.Available == o.Available && b.Pending == o.Pending && b.Earned == o.Earned &&
		b.Spent == o.Spent && b.Expired == o.Expired && b.Reversed == o.Reversed &&
		b.Adjusted == o.Adjusted && b.TransferredIn == o.TransferredIn && b.TransferredOut == o.TransferredOut
}
