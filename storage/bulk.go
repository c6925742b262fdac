package storage

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Bulk writes for imports of history: many new rows per statement, each statement shape
// prepared once per transaction, so that the engine spends its time storing rows rather
// than parsing SQL.

// Rows per statement of the bulk writes: under both engines' parameter limits, and large
// enough that a statement's fixed cost is spread over many rows.
const (
	bulkOrderRows  = 64
	bulkLineRows   = 128
	bulkMemberRows = 128
)

const (
	orderInsertHead   = `INSERT INTO orders (id, tenant_id, external_id, member_id, currency, subtotal, shipping, discount, placed_at, paid_at, fulfilled_at, cancelled_at, refunds, points, created_at, updated_at, items, refunded, seq) VALUES `
	lineInsertHead    = `INSERT INTO order_lines (order_id, line_no, line_id, product_id, sku, name, category, brand, quantity, unit_price, discount) VALUES `
	memberInsertHead  = `INSERT INTO members (id, tenant_id, external_id, email, doc, enrolled_at, created_at, updated_at, birthday_md, birthday_since) VALUES `
	balanceInsertHead = `INSERT INTO balances (member_id, wallet, tenant_id, available, pending, earned, spent, expired, reversed, adjusted, transferred_in, transferred_out, next_expiry_amount, updated_at) VALUES `
)

// InsertMembers inserts new members with their empty balances and their tags, as
// InsertMember does for one.
func (tx *Tx) InsertMembers(ctx context.Context, tenantID string, ms []*tenure.Member) error {
	members := make([][]any, 0, len(ms))
	balances := make([][]any, 0, 2*len(ms))
	now := ts(tx.Now)
	for _, m := range ms {
		doc, _ := json.Marshal(m)
		members = append(members, []any{m.ID, tenantID, m.ExternalID, m.Email, string(doc), ts(m.EnrolledAt), ts(m.CreatedAt), ts(m.UpdatedAt), BirthdayMonthDay(m.Birthday), now})
		for _, w := range []tenure.Wallet{tenure.Points, tenure.Credit} {
			balances = append(balances, []any{m.ID, string(w), tenantID, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, now})
		}
	}
	if err := tx.insertRows(ctx, memberInsertHead, bulkMemberRows, members); err != nil {
		return err
	}
	if err := tx.insertRows(ctx, balanceInsertHead, bulkMemberRows, balances); err != nil {
		return err
	}
	for _, m := range ms {
		if err := tx.writeTags(ctx, tenantID, m.ID, m.Tags); err != nil {
			return err
		}
	}
	return nil
}

// insertRows inserts rows (all of one width) per statements of per rows, preparing that
// statement once; the remainder goes through insertManySuffix.
func (tx *Tx) insertRows(ctx context.Context, head string, per int, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	full := len(rows) / per * per
	if full > 0 {
		cols := len(rows[0])
		q := head + tx.valuesList(per, cols)
		ctx := tx.c(ctx)
		st, err := tx.tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		args := make([]any, 0, per*cols)
		for start := 0; start < full; start += per {
			args = args[:0]
			for _, r := range rows[start : start+per] {
				args = append(args, r...)
			}
			if tx.db.trace != nil {
				tx.db.trace(q, args)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
	}
	return tx.insertManySuffix(ctx, head, "", rows[full:])
}

// valuesList is "(p1,…,pcols),(…)" for rows rows in the engine's placeholders.
func (tx *Tx) valuesList(rows, cols int) string {
	var b strings.Builder
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			n++
			b.WriteString(tx.d.placeholder(n))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// ObjectBytes is the space each table and each index of the database takes, by name:
// SQLite's pages (dbstat: every page of the b-tree, used or free inside), PostgreSQL's
// relation sizes (a table's with its TOAST, an index's own) in the current schema.
func (db *DB) ObjectBytes(ctx context.Context) (map[string]int64, error) {
	q := `SELECT name, SUM(pgsize) FROM dbstat GROUP BY name`
	if db.Engine != "sqlite" {
		q = `SELECT c.relname, CASE WHEN c.relkind = 'r' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}

// storedPoints is an order's points account as stored: the fields of tenure.OrderPoints,
// zero values left out (they read back as zero). An imported order's account is
// {"evaluated":true,"rule_version":-1} instead of 90 bytes.
type storedPoints struct {
	Base        int64               `json:"base,omitempty"`
	Evaluated   bool                `json:"evaluated,omitempty"`
	RuleVersion int64               `json:"rule_version,omitempty"`
	Credited    int64               `json:"credited,omitempty"`
	WrittenOff  int64               `json:"written_off,omitempty"`
	LotID       string              `json:"lot_id,omitempty"`
	Pending     bool                `json:"pending,omitempty"`
	AvailableAt *time.Time          `json:"available_at,omitempty"`
	Basis       *tenure.MemberBasis `json:"basis,omitempty"`
}
