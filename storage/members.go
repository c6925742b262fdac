package storage

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tenure-loyalty/tenure"
)

const memberCols = `doc`

func scanMember(s interface{ Scan(...any) error }) (tenure.Member, error) {
	var m tenure.Member
	var doc string
	if err := s.Scan(&doc); err != nil {
		return m, err
	}
	return m, json.Unmarshal([]byte(doc), &m)
}

// InsertMember stores a new member with its tags and an empty balance per wallet.
func (tx *Tx) InsertMember(ctx context.Context, tenantID string, m *tenure.Member) error {
	doc, _ := json.Marshal(m)
	if _, err := tx.exec(ctx, `INSERT INTO members (id, tenant_id, external_id, email, doc, enrolled_at, created_at, updated_at, birthday_md, birthday_since)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		m.ID, tenantID, m.ExternalID, m.Email, string(doc), ts(m.EnrolledAt), ts(m.CreatedAt), ts(m.UpdatedAt), BirthdayMonthDay(m.Birthday), ts(tx.Now)); err != nil {
		// A unique violation here is a race with a concurrent enrolment of the same customer:
		// DB.Write retries the transaction, which then finds the member.
		return err
	}
	for _, w := range []tenure.Wallet{tenure.Points, tenure.Credit} {
		if _, err := tx.exec(ctx, `INSERT INTO balances (member_id, wallet, tenant_id, available, pending, earned, spent, expired, reversed, adjusted, transferred_in, transferred_out, next_expiry_amount, updated_at)
			VALUES ($1, $2, $3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, $4)`, m.ID, string(w), tenantID, ts(tx.Now)); err != nil {
			return err
		}
	}
	return tx.writeTags(ctx, tenantID, m.ID, m.Tags)
}

// UpdateMember rewrites a member's document and tags. A changed birthday is dated at
// the transaction's time (the notice member.birthday requires counts from then).
func (tx *Tx) UpdateMember(ctx context.Context, tenantID string, m *tenure.Member) error {
	doc, _ := json.Marshal(m)
	if _, err := tx.exec(ctx, `UPDATE members SET email = $1, doc = $2, updated_at = $3,
			birthday_since = CASE WHEN birthday_md = $6 THEN birthday_since ELSE $7 END, birthday_md = $6
		WHERE tenant_id = $4 AND id = $5`,
		m.Email, string(doc), ts(m.UpdatedAt), tenantID, m.ID, BirthdayMonthDay(m.Birthday), ts(tx.Now)); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM member_tags WHERE tenant_id = $1 AND member_id = $2`, tenantID, m.ID); err != nil {
		return err
	}
	return tx.writeTags(ctx, tenantID, m.ID, m.Tags)
}

func (tx *Tx) writeTags(ctx context.Context, tenantID, memberID string, tags []string) error {
	for _, t := range tags {
		if _, err := tx.exec(ctx, `INSERT INTO member_tags (tenant_id, tag, member_id) VALUES ($1, $2, $3)`, tenantID, t, memberID); err != nil {
			return err
		}
	}
	return nil
}

// Member loads a member by Tenure id ("mem_...") or, failing that, by the store's id.
// With lock it also locks the row until the transaction ends (PostgreSQL), which
// serialises all work on one member across nodes.
func (tx *Tx) Member(ctx context.Context, tenantID, id string, lock bool) (tenure.Member, error) {
	q := `SELECT ` + memberCols + ` FROM members WHERE tenant_id = $1 AND `
	if tenure.HasPrefix(id, tenure.PrefixMember) {
		q += `id = $2`
	} else {
		q += `external_id = $2`
	}
	if lock {
		q += tx.d.forUpdate
	}
	m, err := scanMember(tx.queryRow(ctx, q, tenantID, id))
	if isNoRows(err) {
		return m, tenure.NotFound("storage.Member", "member", id)
	}
	return m, err
}

// MembersByExternalID loads and (with lock) locks the members with the given store ids, in
// id order so that concurrent batches cannot deadlock. Missing ids are absent from the map.
func (tx *Tx) MembersByExternalID(ctx context.Context, tenantID string, ids []string, lock bool) (map[string]tenure.Member, error) {
	out := make(map[string]tenure.Member, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, tenantID)
		var in strings.Builder
		for i, id := range chunk {
			if i > 0 {
				in.WriteByte(',')
			}
			in.WriteString("$" + itoa(i+2))
			args = append(args, id)
		}
		q := `SELECT ` + memberCols + ` FROM members WHERE tenant_id = $1 AND external_id IN (` + in.String() + `)`
		if lock && tx.d.forUpdate != "" {
			// Rows are locked in the order they are returned. Only where there is a lock to
			// take: SQLite would walk the tenant's members in id order (members_list) to
			// avoid the sort, instead of looking each store id up.
			q += ` ORDER BY id` + tx.d.forUpdate
		}
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		ms, err := collect(rows, scanMember)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out[m.ExternalID] = m
		}
	}
	return out, nil
}

// MemberFilter selects members; see [tenure.MemberFilter].
type MemberFilter = tenure.MemberFilter

// Members lists members in id order (creation order), filtered.
func (tx *Tx) Members(ctx context.Context, tenantID string, f MemberFilter) ([]tenure.Member, error) {
	args := []any{tenantID, f.After}
	q := `SELECT m.doc FROM members m`
	where := ` WHERE m.tenant_id = $1 AND m.id > $2`
	if f.Tag != "" {
		q += ` JOIN member_tags t ON t.member_id = m.id AND t.tenant_id = m.tenant_id`
		args = append(args, strings.ToLower(f.Tag))
		where += ` AND t.tag = $` + itoa(len(args))
	}
	if f.Tier != "" {
		args = append(args, f.Tier)
		q += ` JOIN tier_states ts ON ts.member_id = m.id AND ts.tenant_id = m.tenant_id AND ts.tier = $` + itoa(len(args))
	}
	if f.Segment != "" {
		args = append(args, f.Segment)
		q += ` JOIN segment_members sm ON sm.member_id = m.id AND sm.tenant_id = m.tenant_id AND sm.seg_key = $` + itoa(len(args))
	}
	if f.Email != "" {
		args = append(args, strings.ToLower(f.Email))
		where += ` AND m.email = $` + itoa(len(args))
	}
	if f.ExternalID != "" {
		args = append(args, f.ExternalID)
		where += ` AND m.external_id = $` + itoa(len(args))
	}
	args = append(args, f.Limit)
	rows, err := tx.query(ctx, q+where+` ORDER BY m.id LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMember)
}

// CountMembers counts a tenant's members.
func (tx *Tx) CountMembers(ctx context.Context, tenantID string) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM members WHERE tenant_id = $1`, tenantID).Scan(&n)
	return n, err
}
