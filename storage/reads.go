package storage

import (
	"context"
	"database/sql"

	"github.com/tenure-loyalty/tenure"
)

// queryRead runs a read-only statement outside any transaction, prepared once per pool.
func (db *DB) queryRead(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if db.trace != nil {
		db.trace(q, args)
	}
	c := db.readStmts
	if c == nil {
		return db.read.QueryContext(ctx, q, args...)
	}
	if v, ok := c.m.Load(q); ok {
		return v.(*sql.Stmt).QueryContext(ctx, args...)
	}
	c.prepare(ctx, []string{q})
	if v, ok := c.m.Load(q); ok {
		return v.(*sql.Stmt).QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, q, args...)
}

// MemberBalances reads a member's points and credit balances with one statement outside
// any transaction: the hot read of storefronts and checkouts. ref is Tenure's member id or
// the store's customer id. KindNotFound when the tenant has no such member.
func (db *DB) MemberBalances(ctx context.Context, tenantID, ref string) (externalID string, points, credit tenure.Balance, err error) {
	col := "m.external_id"
	if tenure.HasPrefix(ref, tenure.PrefixMember) {
		col = "m.id"
	}
	rows, err := db.queryRead(ctx, `SELECT m.external_id, b.member_id, b.wallet, b.available, b.pending, b.earned, b.spent, b.expired, b.reversed,
		b.adjusted, b.transferred_in, b.transferred_out, b.next_expiry_at, b.next_expiry_amount, b.updated_at
		FROM members m JOIN balances b ON b.member_id = m.id WHERE m.tenant_id = $1 AND `+col+` = $2`, tenantID, ref)
	if err != nil {
		return "", points, credit, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var ext string
		var b tenure.Balance
		var wallet string
		var next sql.NullInt64
		var updated int64
		if err := rows.Scan(&ext, &b.MemberID, &wallet, &b.Available, &b.Pending, &b.Earned, &b.Spent, &b.Expired, &b.Reversed,
			&b.Adjusted, &b.TransferredIn, &b.TransferredOut, &next, &b.NextExpiryAmount, &updated); err != nil {
			return "", points, credit, err
		}
		b.Wallet, b.NextExpiryAt, b.UpdatedAt = tenure.Wallet(wallet), fromNTS(next), fromTS(updated)
		externalID, found = ext, true
		if b.Wallet == tenure.Credit {
			credit = b
		} else {
			points = b
		}
	}
	if err := rows.Err(); err != nil {
		return "", points, credit, err
	}
	if !found {
		return "", points, credit, tenure.NotFound("storage.MemberBalances", "member", ref)
	}
	return externalID, points, credit, nil
}
