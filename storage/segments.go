package storage

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/segments"
)

// SegmentRecord is a stored segment; see [segments.Segment].
type SegmentRecord = segments.Segment

// SaveSegment inserts or replaces a definition.
func (tx *Tx) SaveSegment(ctx context.Context, tenantID string, d segments.Definition) error {
	doc, _ := json.Marshal(d)
	_, err := tx.exec(ctx, `INSERT INTO segment_defs (tenant_id, seg_key, doc, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, seg_key) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`, tenantID, d.Key, string(doc), ts(tx.Now))
	return err
}

// DeleteSegment removes a definition and its members; KindNotFound if absent.
func (tx *Tx) DeleteSegment(ctx context.Context, tenantID, key string) error {
	res, err := tx.exec(ctx, `DELETE FROM segment_defs WHERE tenant_id = $1 AND seg_key = $2`, tenantID, key)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tenure.NotFound("storage.DeleteSegment", "segment", key)
	}
	_, err = tx.exec(ctx, `DELETE FROM segment_members WHERE tenant_id = $1 AND seg_key = $2`, tenantID, key)
	return err
}

// Segments lists a tenant's segments by key.
func (tx *Tx) Segments(ctx context.Context, tenantID string) ([]SegmentRecord, error) {
	rows, err := tx.query(ctx, `SELECT doc, members, refreshed_at, updated_at FROM segment_defs WHERE tenant_id = $1 ORDER BY seg_key`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (SegmentRecord, error) {
		var r SegmentRecord
		var doc string
		var refreshed sql.NullInt64
		var updated int64
		if err := s.Scan(&doc, &r.Members, &refreshed, &updated); err != nil {
			return r, err
		}
		r.RefreshedAt, r.UpdatedAt = fromNTS(refreshed), fromTS(updated)
		return r, json.Unmarshal([]byte(doc), &r.Definition)
	})
}

// ReplaceSegmentMembers stores a refresh's result: the members of each segment.
func (tx *Tx) ReplaceSegmentMembers(ctx context.Context, tenantID string, members map[string][]string) error {
	if _, err := tx.exec(ctx, `DELETE FROM segment_members WHERE tenant_id = $1`, tenantID); err != nil {
		return err
	}
	for key, ids := range members {
		if err := tx.insertMany(ctx, `INSERT INTO segment_members (tenant_id, seg_key, member_id) VALUES `, len(ids), 3, func(i int, args []any) []any {
			return append(args, tenantID, key, ids[i])
		}); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE segment_defs SET members = $1, refreshed_at = $2 WHERE tenant_id = $3 AND seg_key = $4`, len(ids), ts(tx.Now), tenantID, key); err != nil {
			return err
		}
	}
	return nil
}

// SegmentMembers lists a segment's member ids in order, after a cursor.
func (tx *Tx) SegmentMembers(ctx context.Context, tenantID, key, after string, limit int) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT member_id FROM segment_members WHERE tenant_id = $1 AND seg_key = $2 AND member_id > $3 ORDER BY member_id LIMIT $4`, tenantID, key, after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, s.Scan(&id)
	})
}

// MemberSegments returns the keys of the segments a member is in.
func (tx *Tx) MemberSegments(ctx context.Context, memberID string) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT seg_key FROM segment_members WHERE member_id = $1 ORDER BY seg_key`, memberID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (string, error) {
		var k string
		return k, s.Scan(&k)
	})
}

// EachMember streams a tenant's members in id order.
func (tx *Tx) EachMember(ctx context.Context, tenantID string, fn func(tenure.Member) error) error {
	rows, err := tx.query(ctx, `SELECT doc FROM members WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MemberCategories returns the categories each member has bought (paid orders).
func (tx *Tx) MemberCategories(ctx context.Context, tenantID string) (map[string][]string, error) {
	rows, err := tx.query(ctx, `SELECT DISTINCT o.member_id, l.category FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.tenant_id = $1 AND o.paid_at IS NOT NULL AND l.category <> ''`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var m, c string
		if err := rows.Scan(&m, &c); err != nil {
			return nil, err
		}
		out[m] = append(out[m], c)
	}
	return out, rows.Err()
}

// PointsBalances returns every member's available points.
func (tx *Tx) PointsBalances(ctx context.Context, tenantID string) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT member_id, available FROM balances WHERE tenant_id = $1 AND wallet = 'points'`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var m string
		var n int64
		if err := rows.Scan(&m, &n); err != nil {
			return nil, err
		}
		out[m] = n
	}
	return out, rows.Err()
}
