package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/tenure-loyalty/tenure"
)

// inList returns "$k,$k+1,..." for the values, appending them to args.
func inList(args *[]any, values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		*args = append(*args, v)
		b.WriteString("$" + itoa(len(*args)))
	}
	return b.String()
}

// chunks calls fn with slices of at most 500 values.
func chunks(values []string, fn func([]string) error) error {
	for start := 0; start < len(values); start += 500 {
		if err := fn(values[start:min(start+500, len(values))]); err != nil {
			return err
		}
	}
	return nil
}

// LoadAccounts loads the balances and open lots of many members in one wallet with two
// queries per 500 members, locking the balance rows on PostgreSQL (in member id order,
// so concurrent batches cannot deadlock on them).
func (tx *Tx) LoadAccounts(ctx context.Context, tenantID string, memberIDs []string, w tenure.Wallet) (map[string]tenure.Balance, map[string][]*tenure.Lot, error) {
	bals := make(map[string]tenure.Balance, len(memberIDs))
	lots := make(map[string][]*tenure.Lot, len(memberIDs))
	err := chunks(memberIDs, func(ids []string) error {
		args := []any{tenantID, string(w)}
		in := inList(&args, ids)
		rows, err := tx.query(ctx, `SELECT `+balanceCols+` FROM balances WHERE tenant_id = $1 AND wallet = $2 AND member_id IN (`+in+`) ORDER BY member_id`+tx.d.forUpdate, args...)
		if err != nil {
			return err
		}
		bs, err := collect(rows, scanBalance)
		if err != nil {
			return err
		}
		for _, b := range bs {
			bals[b.MemberID] = b
		}
		args = []any{string(w)}
		in = inList(&args, ids)
		rows, err = tx.query(ctx, `SELECT `+lotCols+` FROM lots WHERE wallet = $1 AND member_id IN (`+in+`) AND (pending <> 0 OR remaining <> 0) ORDER BY id`, args...)
		if err != nil {
			return err
		}
		ls, err := collect(rows, scanLot)
		if err != nil {
			return err
		}
		for _, l := range ls {
			lots[l.MemberID] = append(lots[l.MemberID], l)
		}
		return nil
	})
	return bals, lots, err
}

// AccountChange is what one ledger decision wrote for one member's wallet.
type AccountChange struct {
	Balance tenure.Balance
	Lots    []*tenure.Lot
	Entries []tenure.Entry
}

// SaveAccounts writes many decisions at once: all entries in one INSERT, all touched lots
// in one upsert, all balances in one upsert.
func (tx *Tx) SaveAccounts(ctx context.Context, tenantID string, changes []AccountChange) error {
	var entries, lots, bals [][]any
	for _, c := range changes {
		if len(c.Entries) == 0 {
			continue
		}
		for _, e := range c.Entries {
			entries = append(entries, []any{e.ID, tenantID, e.MemberID, string(e.Wallet), string(e.Kind), string(e.Bucket), e.Amount, e.LotID,
				e.CauseType, e.CauseID, e.Reason, e.Actor, ts(e.CreatedAt)})
		}
		for _, l := range c.Lots {
			lots = append(lots, []any{l.ID, tenantID, l.MemberID, string(l.Wallet), l.SourceType, l.SourceID, l.Pending, l.Remaining,
				nts(l.AvailableAt), nts(l.ExpiresAt), l.Debt, ts(l.CreatedAt)})
		}
		b := c.Balance
		bals = append(bals, []any{b.MemberID, string(b.Wallet), tenantID, b.Available, b.Pending, b.Earned, b.Spent, b.Expired, b.Reversed,
			b.Adjusted, b.TransferredIn, b.TransferredOut, nts(b.NextExpiryAt), b.NextExpiryAmount, ts(b.UpdatedAt)})
	}
	if err := tx.insertManySuffix(ctx, `INSERT INTO ledger_entries (id, tenant_id, member_id, wallet, kind, bucket, amount, lot_id, cause_type, cause_id, reason, actor, created_at) VALUES `,
		"", entries); err != nil {
		return err
	}
	if err := tx.insertManySuffix(ctx, `INSERT INTO lots (id, tenant_id, member_id, wallet, source_type, source_id, pending, remaining, available_at, expires_at, debt, created_at) VALUES `,
		` ON CONFLICT (id) DO UPDATE SET pending = excluded.pending, remaining = excluded.remaining, available_at = excluded.available_at, expires_at = excluded.expires_at`, lots); err != nil {
		return err
	}
	return tx.insertManySuffix(ctx, `INSERT INTO balances (member_id, wallet, tenant_id, available, pending, earned, spent, expired, reversed, adjusted, transferred_in, transferred_out, next_expiry_at, next_expiry_amount, updated_at) VALUES `,
		` ON CONFLICT (member_id, wallet) DO UPDATE SET available = excluded.available, pending = excluded.pending, earned = excluded.earned,
		spent = excluded.spent, expired = excluded.expired, reversed = excluded.reversed, adjusted = excluded.adjusted,
		transferred_in = excluded.transferred_in, transferred_out = excluded.transferred_out, next_expiry_at = excluded.next_expiry_at,
		next_expiry_amount = excluded.next_expiry_amount, updated_at = excluded.updated_at`, bals)
}

// OrdersByExternalID loads many orders with their lines: two queries per 500 orders.
func (tx *Tx) OrdersByExternalID(ctx context.Context, tenantID string, ids []string) (map[string]*tenure.Order, error) {
	out := make(map[string]*tenure.Order, len(ids))
	byID := map[string]*tenure.Order{}
	err := chunks(ids, func(chunk []string) error {
		args := []any{tenantID}
		in := inList(&args, chunk)
		rows, err := tx.query(ctx, `SELECT id, external_id, member_id, currency, shipping, discount, placed_at, paid_at, fulfilled_at, cancelled_at, refunds, points, created_at, updated_at
			FROM orders WHERE tenant_id = $1 AND external_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		var got []string
		for rows.Next() {
			o := &tenure.Order{}
			var placed, paid, fulfilled, cancelled sql.NullInt64
			var refunds, points string
			var created, updated int64
			if err := rows.Scan(&o.ID, &o.ExternalID, &o.MemberID, &o.Currency, &o.Shipping, &o.Discount,
				&placed, &paid, &fulfilled, &cancelled, &refunds, &points, &created, &updated); err != nil {
				rows.Close()
				return err
			}
			o.PlacedAt, o.PaidAt, o.FulfilledAt, o.CancelledAt = fromNTS(placed), fromNTS(paid), fromNTS(fulfilled), fromNTS(cancelled)
			o.CreatedAt, o.UpdatedAt = fromTS(created), fromTS(updated)
			if err := json.Unmarshal([]byte(refunds), &o.Refunds); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(points), &o.Points); err != nil {
				rows.Close()
				return err
			}
			out[o.ExternalID], byID[o.ID] = o, o
			got = append(got, o.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(got) == 0 {
			return err
		}
		args = nil
		in = inList(&args, got)
		lrows, err := tx.query(ctx, `SELECT order_id, line_id, product_id, sku, name, category, brand, quantity, unit_price, discount FROM order_lines
			WHERE order_id IN (`+in+`) ORDER BY order_id, line_no`, args...)
		if err != nil {
			return err
		}
		defer lrows.Close()
		for lrows.Next() {
			var oid string
			var l tenure.OrderLine
			if err := lrows.Scan(&oid, &l.LineID, &l.ProductID, &l.SKU, &l.Name, &l.Category, &l.Brand, &l.Quantity, &l.UnitPrice, &l.Discount); err != nil {
				return err
			}
			byID[oid].Lines = append(byID[oid].Lines, l)
		}
		return lrows.Err()
	})
	return out, err
}

// OrderWrite is an order to save: new ones are inserted, known ones updated; lines are
// written once, when first known.
type OrderWrite struct {
	Order    *tenure.Order
	IsNew    bool
	HadLines bool
}

// SaveOrders is the one write path of orders, for one or many (an event, a grouped intake,
// a history import): new orders and their lines in multi-row INSERTs prepared once per
// call, and an UPDATE per known order.
func (tx *Tx) SaveOrders(ctx context.Context, tenantID string, ws []OrderWrite) error {
	var inserts, lines [][]any
	for _, w := range ws {
		o := w.Order
		if !w.IsNew {
			if err := tx.updateOrder(ctx, o); err != nil {
				return err
			}
		} else {
			refunds, points, items, refunded := orderDocs(o)
			inserts = append(inserts, []any{o.ID, tenantID, o.ExternalID, o.MemberID, o.Currency, o.Subtotal(), o.Shipping, o.Discount,
				nts(o.PlacedAt), nts(o.PaidAt), nts(o.FulfilledAt), nts(o.CancelledAt), refunds, points, ts(o.CreatedAt), ts(o.UpdatedAt), items, refunded, orderSeq(o)})
		}
		if !w.HadLines {
			for i, l := range o.Lines {
				lines = append(lines, []any{o.ID, i + 1, l.LineID, l.ProductID, l.SKU, l.Name, l.Category, l.Brand, l.Quantity, l.UnitPrice, l.Discount})
			}
		}
	}
	if err := tx.insertRows(ctx, orderInsertHead, bulkOrderRows, inserts); err != nil {
		return err
	}
	return tx.insertRows(ctx, lineInsertHead, bulkLineRows, lines)
}

// orderSeq is the order's arrival number, given one now if it has none yet.
func orderSeq(o *tenure.Order) int64 {
	if o.Seq == 0 {
		o.Seq = tenure.NextSeq(o.CreatedAt)
	}
	return o.Seq
}

// orderDocs returns the JSON documents and totals stored beside an order.
func orderDocs(o *tenure.Order) (refunds, points string, items, refunded int64) {
	r, _ := json.Marshal(o.Refunds)
	if o.Refunds == nil {
		r = []byte("[]")
	}
	p, _ := json.Marshal(storedPoints(o.Points))
	for _, l := range o.Lines {
		items += l.Quantity
	}
	refunded, _, _ = o.Refunded()
	return string(r), string(p), items, refunded
}
