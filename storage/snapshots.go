package storage

import (
	"context"
	"time"
)

// SnapshotHeader describes a tenant's stored analytics snapshot.
type SnapshotHeader struct {
	AsOf       time.Time
	ComputedAt time.Time
	Summary    string // the store-wide figures, a JSON document the service defines
}

// SnapshotHeader returns the tenant's stored snapshot header; found is false when no
// snapshot was ever stored.
func (tx *Tx) SnapshotHeader(ctx context.Context, tenantID string) (h SnapshotHeader, found bool, err error) {
	var asOf, at int64
	err = tx.queryRow(ctx, `SELECT as_of, computed_at, summary FROM analytics_snapshots WHERE tenant_id = $1 AND computed_at > 0`, tenantID).
		Scan(&asOf, &at, &h.Summary)
	if isNoRows(err) {
		return h, false, nil
	}
	if err != nil {
		return h, false, err
	}
	h.AsOf, h.ComputedAt = fromTS(asOf), fromTS(at)
	return h, true, nil
}

// SnapshotComputedAt returns when the tenant's stored snapshot was computed (zero when
// none was), without reading it.
func (tx *Tx) SnapshotComputedAt(ctx context.Context, tenantID string) (time.Time, error) {
	var at int64
	err := tx.queryRow(ctx, `SELECT computed_at FROM analytics_snapshots WHERE tenant_id = $1`, tenantID).Scan(&at)
	if isNoRows(err) || (err == nil && at == 0) {
		return time.Time{}, nil
	}
	return fromTS(at), err
}

// EachSnapshotMember streams the member rows of the tenant's stored snapshot, by member id.
func (tx *Tx) EachSnapshotMember(ctx context.Context, tenantID string, fn func(memberID, body string) error) error {
	rows, err := tx.query(ctx, `SELECT member_id, body FROM analytics_snapshot_members WHERE tenant_id = $1 ORDER BY member_id`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return err
		}
		if err := fn(id, body); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ClaimSnapshot takes the tenant's snapshot lease from now until the given time, for the node
// about to compute the next snapshot. It returns false when another node holds an
// unexpired lease: that node is computing it.
func (tx *Tx) ClaimSnapshot(ctx context.Context, tenantID string, now, until time.Time) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO analytics_snapshots (tenant_id, as_of, computed_at, summary, lease_until) VALUES ($1, 0, 0, '', $2)
		ON CONFLICT (tenant_id) DO UPDATE SET lease_until = excluded.lease_until WHERE analytics_snapshots.lease_until <= $3`,
		tenantID, ts(until), ts(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseSnapshot gives the lease up without storing a snapshot.
func (tx *Tx) ReleaseSnapshot(ctx context.Context, tenantID string) error {
	_, err := tx.exec(ctx, `UPDATE analytics_snapshots SET lease_until = 0 WHERE tenant_id = $1`, tenantID)
	return err
}

// SaveSnapshot replaces the tenant's stored snapshot (and releases the lease). members
// yields the member rows, [member id, body], at most once each.
func (tx *Tx) SaveSnapshot(ctx context.Context, tenantID string, h SnapshotHeader, members func(yield func(id, body string) bool)) error {
	if _, err := tx.exec(ctx, `DELETE FROM analytics_snapshot_members WHERE tenant_id = $1`, tenantID); err != nil {
		return err
	}
	const per = 2000
	buf := make([][]any, 0, per)
	var err error
	members(func(id, body string) bool {
		buf = append(buf, []any{tenantID, id, body})
		if len(buf) == per {
			err = tx.insertManySuffix(ctx, `INSERT INTO analytics_snapshot_members (tenant_id, member_id, body) VALUES `, "", buf)
			buf = buf[:0]
		}
		return err == nil
	})
	if err == nil {
		err = tx.insertManySuffix(ctx, `INSERT INTO analytics_snapshot_members (tenant_id, member_id, body) VALUES `, "", buf)
	}
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO analytics_snapshots (tenant_id, as_of, computed_at, summary, lease_until) VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (tenant_id) DO UPDATE SET as_of = excluded.as_of, computed_at = excluded.computed_at, summary = excluded.summary, lease_until = 0`,
		tenantID, ts(h.AsOf), ts(h.ComputedAt), h.Summary)
	return err
}

// LastPaidAt returns the tenant's latest payment time of an order (zero when there is
// none), read from the end of the (tenant, paid_at) index.
func (tx *Tx) LastPaidAt(ctx context.Context, tenantID string) (time.Time, error) {
	var at *int64
	err := tx.queryRow(ctx, `SELECT MAX(paid_at) FROM orders WHERE tenant_id = $1`, tenantID).Scan(&at)
	if err != nil || at == nil {
		return time.Time{}, err
	}
	return fromTS(*at), nil
}

// SchemaBytes is the space the database's tables and indexes take: SQLite's pages, or on
// PostgreSQL the relations of the current schema with their indexes and TOAST.
func (db *DB) SchemaBytes(ctx context.Context) (int64, error) {
	q := `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
	if db.Engine != "sqlite" {
		q = `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r'`
	}
	var n int64
	err := db.read.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}
