package storage

import (
	"context"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
)

// EachEntry streams every ledger entry of the tenant in id order, which is the order
// they were written in (ids are monotonic).
func (tx *Tx) EachEntry(ctx context.Context, tenantID string, fn func(tenure.Entry) error) error {
	rows, err := tx.query(ctx, `SELECT id, member_id, wallet, kind, bucket, amount, lot_id, cause_type, cause_id, reason, actor, created_at
		FROM ledger_entries WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MemberRow is a member with both balances, for exports.
type MemberRow struct {
	tenure.Member
	Points, Credit tenure.Balance
}

// EachMemberRow streams every member of the tenant in id order with their points and
// store-credit balances.
func (tx *Tx) EachMemberRow(ctx context.Context, tenantID string, fn func(MemberRow) error) error {
	rows, err := tx.query(ctx, `SELECT m.doc,
		COALESCE(p.available, 0), COALESCE(p.pending, 0), COALESCE(p.earned, 0), COALESCE(p.spent, 0), COALESCE(p.expired, 0),
		COALESCE(c.available, 0), COALESCE(c.pending, 0)
		FROM members m
		LEFT JOIN balances p ON p.member_id = m.id AND p.wallet = 'points'
		LEFT JOIN balances c ON c.member_id = m.id AND c.wallet = 'credit'
		WHERE m.tenant_id = $1 ORDER BY m.id`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r MemberRow
		var doc string
		if err := rows.Scan(&doc, &r.Points.Available, &r.Points.Pending, &r.Points.Earned, &r.Points.Spent, &r.Points.Expired,
			&r.Credit.Available, &r.Credit.Pending); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(doc), &r.Member); err != nil {
			return err
		}
		r.Points.MemberID, r.Points.Wallet = r.ID, tenure.Points
		r.Credit.MemberID, r.Credit.Wallet = r.ID, tenure.Credit
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MemberGlance is a member's points and tier at a glance; see [tenure.MemberGlance].
type MemberGlance = tenure.MemberGlance

// MemberGlances returns the available points and tier of the given members of a tenant,
// by member id, in one query per 500 members.
func (tx *Tx) MemberGlances(ctx context.Context, tenantID string, ids []string) (map[string]MemberGlance, error) {
	out := make(map[string]MemberGlance, len(ids))
	err := chunks(ids, func(ids []string) error {
		args := []any{tenantID}
		in := inList(&args, ids)
		rows, err := tx.query(ctx, `SELECT m.id, COALESCE(b.available, 0), COALESCE(ts.tier, '') FROM members m
			LEFT JOIN balances b ON b.member_id = m.id AND b.wallet = 'points'
			LEFT JOIN tier_states ts ON ts.member_id = m.id
			WHERE m.tenant_id = $1 AND m.id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var g MemberGlance
			if err := rows.Scan(&id, &g.Points, &g.Tier); err != nil {
				return err
			}
			out[id] = g
		}
		return rows.Err()
	})
	return out, err
}
