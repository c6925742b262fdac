package storage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// OrderStatsBefore returns, by member, the orders paid before an instant and not
// cancelled, with their spend: what the earning rules counted as a member's history
// before that instant, for backtests of orders judged before their member state was kept.
func (tx *Tx) OrderStatsBefore(ctx context.Context, tenantID string, before time.Time) (map[string]tenure.OrderStats, error) {
	rows, err := tx.query(ctx, `SELECT member_id, COUNT(*), COALESCE(SUM(subtotal), 0) FROM orders
		WHERE tenant_id = $1 AND paid_at IS NOT NULL AND paid_at < $2 AND cancelled_at IS NULL GROUP BY member_id`, tenantID, ts(before))
	if err != nil {
		return nil, err
	}
	out := map[string]tenure.OrderStats{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var id string
		var st tenure.OrderStats
		err := s.Scan(&id, &st.Orders, &st.Spent)
		out[id] = st
		return struct{}{}, err
	})
	return out, err
}

// TierChange is one change of a member's tier, as the audit log recorded it.
type TierChange struct {
	ID       string // the audit entry's id: ids sort in the order they were made
	MemberID string
	Tier     string
	At       time.Time
}

// TierChanges returns the tenant's tier changes in the order they happened (the audit
// log's tier.changed entries), from which the tier a member held at any instant follows.
func (tx *Tx) TierChanges(ctx context.Context, tenantID string) ([]TierChange, error) {
	rows, err := tx.query(ctx, `SELECT id, target_id, details, created_at FROM audit_log
		WHERE tenant_id = $1 AND action = 'tier.changed' ORDER BY id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (TierChange, error) {
		var c TierChange
		var details string
		var at int64
		if err := s.Scan(&c.ID, &c.MemberID, &details, &at); err != nil {
			return c, err
		}
		var d struct {
			To string `json:"to"`
		}
		err := json.Unmarshal([]byte(details), &d)
		c.Tier, c.At = d.To, fromTS(at)
		return c, err
	})
}

// AllMemberSegments returns every member's segments as last counted, keys in order.
func (tx *Tx) AllMemberSegments(ctx context.Context, tenantID string) (map[string][]string, error) {
	rows, err := tx.query(ctx, `SELECT member_id, seg_key FROM segment_members WHERE tenant_id = $1 ORDER BY member_id, seg_key`, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var id, k string
		err := s.Scan(&id, &k)
		out[id] = append(out[id], k)
		return struct{}{}, err
	})
	return out, err
}

// OrdersWithoutBasis counts the orders paid in [from, to) whose points account keeps no
// member state (judged before it was kept, or never judged).
func (tx *Tx) OrdersWithoutBasis(ctx context.Context, tenantID string, from, to time.Time) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM orders WHERE tenant_id = $1 AND paid_at >= $2 AND paid_at < $3 AND points NOT LIKE '%"basis"%'`,
		tenantID, ts(from), ts(to)).Scan(&n)
	return n, err
}

// BalanceStep is a member's available points after one ledger entry.
type BalanceStep struct {
	EntryID   string
	Available int64
}

// PointsHistory returns, by member, the available points balance after each of their
// points entries, in entry id order (the order they were made).
func (tx *Tx) PointsHistory(ctx context.Context, tenantID string) (map[string][]BalanceStep, error) {
	rows, err := tx.query(ctx, `SELECT id, member_id, bucket, amount FROM ledger_entries WHERE tenant_id = $1 AND wallet = $2 ORDER BY id`,
		tenantID, string(tenure.Points))
	if err != nil {
		return nil, err
	}
	out := map[string][]BalanceStep{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var id, member, bucket string
		var amount int64
		if err := s.Scan(&id, &member, &bucket, &amount); err != nil {
			return struct{}{}, err
		}
		steps := out[member]
		var last int64
		if len(steps) > 0 {
			last = steps[len(steps)-1].Available
		}
		if tenure.Bucket(bucket) == tenure.Available {
			last += amount
		}
		out[member] = append(steps, BalanceStep{EntryID: id, Available: last})
		return struct{}{}, nil
	})
	return out, err
}
