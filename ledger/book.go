// Package ledger is the pure decision core of the points and store-credit ledger. A Book
// holds one member's open lots and balance for one wallet, as loaded in a transaction;
// its methods decide entries (earn, release, spend, restore, claw back, expire, adjust,
// transfer) and apply them to the in-memory state. It does no I/O: the shell writes what
// the Book recorded, in the same transaction, and the Book's invariants hold by
// construction:
//
//   - Balance.Available == sum of lots' Remaining, Balance.Pending == sum of lots' Pending;
//   - every change is an Entry naming its cause; nothing is edited in place;
//   - spends never overdraw; a claw-back goes below zero only under the "allow" policy.
package ledger

import (
	"cmp"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Cause names why a group of entries is written.
type Cause struct {
	Type   string // event, order, adjustment, transfer, expiry, spend
	ID     string
	Reason string
	Actor  string
}

// Book is one member's wallet during one decision.
type Book struct {
	Balance tenure.Balance
	Lots    []*tenure.Lot // open lots: Pending != 0 or Remaining != 0

	now     time.Time
	entries []tenure.Entry
	touched map[string]*tenure.Lot
	newID   func(prefix string) string
}

// NewBook returns a book over a member's balance and open lots at time now. newID makes
// ids for entries and lots (the shell passes tenure.NewID bound to now).
func NewBook(bal tenure.Balance, lots []*tenure.Lot, now time.Time, newID func(prefix string) string) *Book {
	return &Book{Balance: bal, Lots: lots, now: now, touched: map[string]*tenure.Lot{}, newID: newID}
}

// Entries returns the entries recorded so far, in order.
func (b *Book) Entries() []tenure.Entry { return b.entries }

// Touched returns the lots created or changed, to be written by the shell.
func (b *Book) Touched() []*tenure.Lot {
	out := make([]*tenure.Lot, 0, len(b.touched))
	for _, l := range b.touched {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, c *tenure.Lot) int { return cmp.Compare(a.ID, c.ID) })
	return out
}

// Lot returns the open lot with the given id, or nil.
func (b *Book) Lot(id string) *tenure.Lot {
	for _, l := range b.Lots {
		if l.ID == id {
			return l
		}
	}
	return nil
}

func (b *Book) record(kind tenure.EntryKind, bucket tenure.Bucket, amount int64, lot *tenure.Lot, c Cause) {
	if amount == 0 {
		return
	}
	e := tenure.Entry{
		ID: b.newID(tenure.PrefixEntry), MemberID: b.Balance.MemberID, Wallet: b.Balance.Wallet,
		Kind: kind, Bucket: bucket, Amount: amount, CauseType: c.Type, CauseID: c.ID,
		Reason: c.Reason, Actor: c.Actor, CreatedAt: b.now,
	}
	if lot != nil {
		e.LotID = lot.ID
		if bucket == tenure.Pending {
			lot.Pending += amount
		} else {
			lot.Remaining += amount
		}
		b.touched[lot.ID] = lot
	}
	b.Balance.Apply(e)
	b.Balance.UpdatedAt = b.now
	b.entries = append(b.entries, e)
}

// NewLot opens an empty lot for a source (an order, an adjustment, a transfer).
func (b *Book) NewLot(sourceType, sourceID string) *tenure.Lot {
	l := &tenure.Lot{ID: b.newID(tenure.PrefixLot), MemberID: b.Balance.MemberID, Wallet: b.Balance.Wallet,
		SourceType: sourceType, SourceID: sourceID, CreatedAt: b.now}
	b.Lots = append(b.Lots, l)
	b.touched[l.ID] = l
	return l
}

// Earn credits amount to lot: pending, or available now with the given expiry. Available
// earnings first settle any debt.
func (b *Book) Earn(lot *tenure.Lot, amount int64, pending bool, expiresAt *time.Time, c Cause) {
	if amount <= 0 {
		return
	}
	if pending {
		b.record(tenure.EntryEarn, tenure.Pending, amount, lot, c)
		return
	}
	if lot.AvailableAt == nil || lot.AvailableAt.After(b.now) {
		t := b.now
		lot.AvailableAt = &t
		lot.ExpiresAt = expiresAt
	}
	b.record(tenure.EntryEarn, tenure.Available, amount, lot, c)
	b.settleDebt(lot, c)
}

// Release makes a lot's pending amount available now, with the given expiry, and settles
// debt from it. It returns the amount released.
func (b *Book) Release(lot *tenure.Lot, expiresAt *time.Time, c Cause) int64 {
	amt := lot.Pending
	if amt <= 0 {
		return 0
	}
	t := b.now
	lot.AvailableAt = &t
	lot.ExpiresAt = expiresAt
	b.record(tenure.EntryRelease, tenure.Pending, -amt, lot, c)
	b.record(tenure.EntryRelease, tenure.Available, amt, lot, c)
	b.settleDebt(lot, c)
	return amt
}

// spendOrder sorts lots for consumption: soonest expiry first, never-expiring last, then
// oldest first.
func spendOrder(a, c *tenure.Lot) int {
	switch {
	case a.ExpiresAt != nil && c.ExpiresAt != nil:
		if r := a.ExpiresAt.Compare(*c.ExpiresAt); r != 0 {
			return r
		}
	case a.ExpiresAt != nil:
		return -1
	case c.ExpiresAt != nil:
		return 1
	}
	if r := a.CreatedAt.Compare(c.CreatedAt); r != 0 {
		return r
	}
	return cmp.Compare(a.ID, c.ID)
}

// take removes up to amount from the available remainders of lots (preferred lot first,
// then soonest to expire) as entries of the given kind, and returns what it took.
func (b *Book) take(kind tenure.EntryKind, amount int64, prefer *tenure.Lot, c Cause) int64 {
	took := int64(0)
	if prefer != nil && prefer.Remaining > 0 {
		n := min(prefer.Remaining, amount)
		b.record(kind, tenure.Available, -n, prefer, c)
		took += n
	}
	if took == amount {
		return took
	}
	lots := slices.Clone(b.Lots)
	slices.SortFunc(lots, spendOrder)
	for _, l := range lots {
		if took == amount {
			break
		}
		if l.Remaining <= 0 || l.Debt {
			continue
		}
		n := min(l.Remaining, amount-took)
		b.record(kind, tenure.Available, -n, l, c)
		took += n
	}
	return took
}

// Spend takes amount from the available balance, soonest-expiring lots first. It fails
// with KindConflict, recording nothing, when the available balance is short.
func (b *Book) Spend(kind tenure.EntryKind, amount int64, c Cause) error {
	if amount <= 0 {
		return tenure.Invalid("ledger.Spend", "amount", "must be positive")
	}
	if b.Balance.Available < amount {
		return tenure.Errorf(tenure.KindConflict, "ledger.Spend", "insufficient balance: %d available, %d requested", b.Balance.Available, amount)
	}
	b.take(kind, amount, nil, c)
	return nil
}

// Clawback takes back amount that lot earned: from its pending part first, then its
// available remainder, then other lots. What is still missing becomes debt under the
// "allow" policy, or is returned as uncollected under "cap".
func (b *Book) Clawback(lot *tenure.Lot, amount int64, policy string, c Cause) (uncollected int64) {
	if amount <= 0 {
		return 0
	}
	if lot != nil && lot.Pending > 0 {
		n := min(lot.Pending, amount)
		b.record(tenure.EntryReverse, tenure.Pending, -n, lot, c)
		amount -= n
	}
	amount -= b.take(tenure.EntryReverse, amount, lot, c)
	if amount == 0 {
		return 0
	}
	if policy != tenure.NegativeAllow {
		return amount
	}
	b.record(tenure.EntryReverse, tenure.Available, -amount, b.debtLot(), c)
	return 0
}

// debtLot returns the member's debt lot, opening one if needed.
func (b *Book) debtLot() *tenure.Lot {
	for _, l := range b.Lots {
		if l.Debt {
			return l
		}
	}
	l := b.NewLot("debt", "")
	l.Debt = true
	return l
}

// settleDebt moves available points from lot into the debt lot until either is exhausted.
func (b *Book) settleDebt(lot *tenure.Lot, c Cause) {
	if lot.Debt {
		return
	}
	for _, d := range b.Lots {
		if !d.Debt || d.Remaining >= 0 || lot.Remaining <= 0 {
			continue
		}
		n := min(lot.Remaining, -d.Remaining)
		b.record(tenure.EntrySettle, tenure.Available, -n, lot, c)
		b.record(tenure.EntrySettle, tenure.Available, n, d, c)
	}
}

// Adjust applies a manual correction. A positive amount opens a lot with the program's
// expiry; a negative one is taken from the soonest-expiring lots and may not overdraw.
func (b *Book) Adjust(amount int64, expiresAt *time.Time, c Cause) error {
	switch {
	case amount > 0:
		lot := b.NewLot("adjustment", c.ID)
		t := b.now
		lot.AvailableAt, lot.ExpiresAt = &t, expiresAt
		b.record(tenure.EntryAdjust, tenure.Available, amount, lot, c)
		b.settleDebt(lot, c)
		return nil
	case amount < 0:
		return b.Spend(tenure.EntryAdjust, -amount, c)
	}
	return tenure.Invalid("ledger.Adjust", "amount", "must not be zero")
}

// Restore gives back points that a spend took (a cancelled coupon, an expired one whose
// reward returns its points) as a new available lot expiring at expiresAt, as the
// program would date newly earned points. Restored points settle any debt first.
func (b *Book) Restore(amount int64, expiresAt *time.Time, c Cause) {
	if amount <= 0 {
		return
	}
	lot := b.NewLot("restore", c.ID)
	t := b.now
	lot.AvailableAt, lot.ExpiresAt = &t, expiresAt
	b.record(tenure.EntryRestore, tenure.Available, amount, lot, c)
	b.settleDebt(lot, c)
}

// ExpireDue expires the remainder of every lot whose expiry is at or before now and
// returns the total expired.
func (b *Book) ExpireDue(c Cause) int64 {
	var total int64
	for _, l := range b.Lots {
		if l.ExpiresAt != nil && !l.ExpiresAt.After(b.now) && l.Remaining > 0 && !l.Debt {
			total += l.Remaining
			b.record(tenure.EntryExpire, tenure.Available, -l.Remaining, l, c)
		}
	}
	return total
}

// TransferOut takes amount from this book and returns the slices it came from, so that the
// receiver can keep each slice's expiry.
func (b *Book) TransferOut(amount int64, c Cause) ([]Slice, error) {
	if b.Balance.Available < amount {
		return nil, tenure.Errorf(tenure.KindConflict, "ledger.Transfer", "insufficient balance: %d available, %d requested", b.Balance.Available, amount)
	}
	before := len(b.entries)
	b.take(tenure.EntryTransferOut, amount, nil, c)
	var out []Slice
	for _, e := range b.entries[before:] {
		l := b.touched[e.LotID]
		out = append(out, Slice{Amount: -e.Amount, ExpiresAt: l.ExpiresAt})
	}
	return out, nil
}

// Slice is part of a transfer with the expiry it carried.
type Slice struct {
	Amount    int64
	ExpiresAt *time.Time
}

// TransferIn credits slices received from another member, one lot each.
func (b *Book) TransferIn(slices []Slice, c Cause) {
	for _, s := range slices {
		lot := b.NewLot("transfer", c.ID)
		t := b.now
		lot.AvailableAt, lot.ExpiresAt = &t, s.ExpiresAt
		b.record(tenure.EntryTransferIn, tenure.Available, s.Amount, lot, c)
		b.settleDebt(lot, c)
	}
}

// RefreshNextExpiry recomputes the balance's next-expiry cache from the open lots.
func (b *Book) RefreshNextExpiry() {
	b.Balance.NextExpiryAt, b.Balance.NextExpiryAmount = nil, 0
	for _, l := range b.Lots {
		if l.ExpiresAt == nil || l.Remaining <= 0 || l.Debt {
			continue
		}
		switch {
		case b.Balance.NextExpiryAt == nil || l.ExpiresAt.Before(*b.Balance.NextExpiryAt):
			t := *l.ExpiresAt
			b.Balance.NextExpiryAt, b.Balance.NextExpiryAmount = &t, l.Remaining
		case l.ExpiresAt.Equal(*b.Balance.NextExpiryAt):
			b.Balance.NextExpiryAmount += l.Remaining
		}
	}
}
