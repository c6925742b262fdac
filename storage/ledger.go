package storage

import (
	"context"
	"database/sql"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
)

const balanceCols = `member_id, wallet, available, pending, earned, spent, expired, reversed, adjusted, transferred_in, transferred_out, next_expiry_at, next_expiry_amount, updated_at`

func scanBalance(s interface{ Scan(...any) error }) (tenure.Balance, error) {
	var b tenure.Balance
	var wallet string
	var next sql.NullInt64
	var updated int64
	err := s.Scan(&b.MemberID, &wallet, &b.Available, &b.Pending, &b.Earned, &b.Spent, &b.Expired, &b.Reversed,
		&b.Adjusted, &b.TransferredIn, &b.TransferredOut, &next, &b.NextExpiryAmount, &updated)
	b.Wallet, b.NextExpiryAt, b.UpdatedAt = tenure.Wallet(wallet), fromNTS(next), fromTS(updated)
	return b, err
}

// Balance reads a member's cached balance in one wallet (one indexed row).
func (tx *Tx) Balance(ctx context.Context, tenantID, memberID string, w tenure.Wallet, lock bool) (tenure.Balance, error) {
	q := `SELECT ` + balanceCols + ` FROM balances WHERE tenant_id = $1 AND member_id = $2 AND wallet = $3`
	if lock {
		q += tx.d.forUpdate
	}
	b, err := scanBalance(tx.queryRow(ctx, q, tenantID, memberID, string(w)))
	if isNoRows(err) {
		return b, tenure.NotFound("storage.Balance", "member", memberID)
	}
	return b, err
}

const lotCols = `id, member_id, wallet, source_type, source_id, pending, remaining, available_at, expires_at, debt, created_at`

func scanLot(s interface{ Scan(...any) error }) (*tenure.Lot, error) {
	l := &tenure.Lot{}
	var wallet string
	var avail, exp sql.NullInt64
	var created int64
	err := s.Scan(&l.ID, &l.MemberID, &wallet, &l.SourceType, &l.SourceID, &l.Pending, &l.Remaining, &avail, &exp, &l.Debt, &created)
	l.Wallet, l.AvailableAt, l.ExpiresAt, l.CreatedAt = tenure.Wallet(wallet), fromNTS(avail), fromNTS(exp), fromTS(created)
	return l, err
}

// OpenLots returns a member's lots with anything pending or remaining.
func (tx *Tx) OpenLots(ctx context.Context, memberID string, w tenure.Wallet) ([]*tenure.Lot, error) {
	rows, err := tx.query(ctx, `SELECT `+lotCols+` FROM lots WHERE member_id = $1 AND wallet = $2 AND (pending <> 0 OR remaining <> 0) ORDER BY id`, memberID, string(w))
	if err != nil {
		return nil, err
	}
	return collect(rows, scanLot)
}

// LoadAccount locks a member's balance row and loads its open lots: everything a ledger
// decision needs.
func (tx *Tx) LoadAccount(ctx context.Context, tenantID, memberID string, w tenure.Wallet) (tenure.Balance, []*tenure.Lot, error) {
	b, err := tx.Balance(ctx, tenantID, memberID, w, true)
	if err != nil {
		return b, nil, err
	}
	lots, err := tx.OpenLots(ctx, memberID, w)
	return b, lots, err
}

// SaveAccount writes what a ledger decision recorded: the entries (append-only), the lots
// it touched, and the balance.
func (tx *Tx) SaveAccount(ctx context.Context, tenantID string, b tenure.Balance, lots []*tenure.Lot, entries []tenure.Entry) error {
	return tx.SaveAccounts(ctx, tenantID, []AccountChange{{Balance: b, Lots: lots, Entries: entries}})
}

// Entries lists a member's ledger entries in one wallet, newest first, before a cursor.
func (tx *Tx) Entries(ctx context.Context, tenantID, memberID string, w tenure.Wallet, before string, limit int) ([]tenure.Entry, error) {
	if before == "" {
		before = "~"
	}
	rows, err := tx.query(ctx, `SELECT id, member_id, wallet, kind, bucket, amount, lot_id, cause_type, cause_id, reason, actor, created_at
		FROM ledger_entries WHERE tenant_id = $1 AND member_id = $2 AND wallet = $3 AND id < $4 ORDER BY id DESC LIMIT $5`,
		tenantID, memberID, string(w), before, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEntry)
}

func scanEntry(s interface{ Scan(...any) error }) (tenure.Entry, error) {
	var e tenure.Entry
	var wallet, kind, bucket string
	var created int64
	err := s.Scan(&e.ID, &e.MemberID, &wallet, &kind, &bucket, &e.Amount, &e.LotID, &e.CauseType, &e.CauseID, &e.Reason, &e.Actor, &created)
	e.Wallet, e.Kind, e.Bucket, e.CreatedAt = tenure.Wallet(wallet), tenure.EntryKind(kind), tenure.Bucket(bucket), fromTS(created)
	return e, err
}

// Mismatch is one difference Verify found; see [ledger.Mismatch].
type Mismatch = ledger.Mismatch

// Verify re-derives every balance and lot from the ledger entries and reports each
// difference. It streams the entries once and keeps one running sum per balance and lot.
func (tx *Tx) Verify(ctx context.Context, visit func(Mismatch)) (members int64, entries int64, err error) {
	derived := map[string]*tenure.Balance{}
	lotSums := map[string][2]int64{}
	rows, err := tx.query(ctx, `SELECT id, member_id, wallet, kind, bucket, amount, lot_id, cause_type, cause_id, reason, actor, created_at FROM ledger_entries`)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return 0, 0, err
		}
		entries++
		k := e.MemberID + "/" + string(e.Wallet)
		b := derived[k]
		if b == nil {
			b = &tenure.Balance{MemberID: e.MemberID, Wallet: e.Wallet}
			derived[k] = b
		}
		b.Apply(e)
		if e.LotID != "" {
			s := lotSums[e.LotID]
			if e.Bucket == tenure.Pending {
				s[0] += e.Amount
			} else {
				s[1] += e.Amount
			}
			lotSums[e.LotID] = s
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	brows, err := tx.query(ctx, `SELECT tenant_id, `+balanceCols+` FROM balances ORDER BY member_id, wallet`)
	if err != nil {
		return 0, 0, err
	}
	for brows.Next() {
		var tenant string
		var cached tenure.Balance
		var wallet string
		var next sql.NullInt64
		var updated int64
		if err := brows.Scan(&tenant, &cached.MemberID, &wallet, &cached.Available, &cached.Pending, &cached.Earned, &cached.Spent, &cached.Expired,
			&cached.Reversed, &cached.Adjusted, &cached.TransferredIn, &cached.TransferredOut, &next, &cached.NextExpiryAmount, &updated); err != nil {
			brows.Close()
			return 0, 0, err
		}
		cached.Wallet = tenure.Wallet(wallet)
		members++
		d := derived[cached.MemberID+"/"+wallet]
		if d == nil {
			d = &tenure.Balance{}
		}
		for _, f := range []struct {
			name string
			c, d int64
		}{{"available", cached.Available, d.Available}, {"pending", cached.Pending, d.Pending}, {"earned", cached.Earned, d.Earned},
			{"spent", cached.Spent, d.Spent}, {"expired", cached.Expired, d.Expired}, {"reversed", cached.Reversed, d.Reversed},
			{"adjusted", cached.Adjusted, d.Adjusted}, {"transferred_in", cached.TransferredIn, d.TransferredIn},
			{"transferred_out", cached.TransferredOut, d.TransferredOut}} {
			if f.c != f.d {
				visit(Mismatch{TenantID: tenant, MemberID: cached.MemberID, Wallet: cached.Wallet, What: f.name, Cached: f.c, Derived: f.d})
			}
		}
	}
	brows.Close()
	if err := brows.Err(); err != nil {
		return 0, 0, err
	}
	lrows, err := tx.query(ctx, `SELECT tenant_id, id, member_id, wallet, pending, remaining FROM lots`)
	if err != nil {
		return 0, 0, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var tenant, id, member, wallet string
		var pending, remaining int64
		if err := lrows.Scan(&tenant, &id, &member, &wallet, &pending, &remaining); err != nil {
			return 0, 0, err
		}
		s := lotSums[id]
		if s[0] != pending {
			visit(Mismatch{TenantID: tenant, MemberID: member, Wallet: tenure.Wallet(wallet), What: "lot " + id + " pending", Cached: pending, Derived: s[0]})
		}
		if s[1] != remaining {
			visit(Mismatch{TenantID: tenant, MemberID: member, Wallet: tenure.Wallet(wallet), What: "lot " + id + " remaining", Cached: remaining, Derived: s[1]})
		}
	}
	return members, entries, lrows.Err()
}
