package ledger

import "github.com/tenure-loyalty/tenure"

// Mismatch is a difference `tenure verify` found between the cache and the ledger.
type Mismatch struct {
	TenantID string
	MemberID string
	Wallet   tenure.Wallet
	What     string
	Cached   int64
	Derived  int64
}
