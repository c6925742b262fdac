package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Order loads an order with its lines by Tenure id or the store's order id; found is false
// when there is none.
func (tx *Tx) Order(ctx context.Context, tenantID, id string) (o *tenure.Order, found bool, err error) {
	col := "external_id"
	if tenure.HasPrefix(id, tenure.PrefixOrder) {
		col = "id"
	}
	o = &tenure.Order{}
	var placed, paid, fulfilled, cancelled sql.NullInt64
	var refunds, points string
	var created, updated, subtotal int64
	err = tx.queryRow(ctx, `SELECT id, external_id, member_id, currency, subtotal, shipping, discount, placed_at, paid_at, fulfilled_at, cancelled_at, refunds, points, created_at, updated_at
		FROM orders WHERE tenant_id = $1 AND `+col+` = $2`, tenantID, id).Scan(
		&o.ID, &o.ExternalID, &o.MemberID, &o.Currency, &subtotal, &o.Shipping, &o.Discount,
		&placed, &paid, &fulfilled, &cancelled, &refunds, &points, &created, &updated)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	o.PlacedAt, o.PaidAt, o.FulfilledAt, o.CancelledAt = fromNTS(placed), fromNTS(paid), fromNTS(fulfilled), fromNTS(cancelled)
	o.CreatedAt, o.UpdatedAt = fromTS(created), fromTS(updated)
	if err := json.Unmarshal([]byte(refunds), &o.Refunds); err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal([]byte(points), &o.Points); err != nil {
		return nil, false, err
	}
	rows, err := tx.query(ctx, `SELECT line_id, product_id, sku, name, category, brand, quantity, unit_price, discount FROM order_lines WHERE order_id = $1 ORDER BY line_no`, o.ID)
	if err != nil {
		return nil, false, err
	}
	o.Lines, err = collect(rows, func(s interface{ Scan(...any) error }) (tenure.OrderLine, error) {
		var l tenure.OrderLine
		err := s.Scan(&l.LineID, &l.ProductID, &l.SKU, &l.Name, &l.Category, &l.Brand, &l.Quantity, &l.UnitPrice, &l.Discount)
		return l, err
	})
	return o, err == nil, err
}

// updateOrder writes the changing state of a known order (its lines never change).
// SaveOrders is the one write path of orders; it updates known ones through this.
func (tx *Tx) updateOrder(ctx context.Context, o *tenure.Order) error {
	refunds, points, items, refunded := orderDocs(o)
	_, err := tx.exec(ctx, `UPDATE orders SET currency = $1, subtotal = $2, shipping = $3, discount = $4, placed_at = $5, paid_at = $6, fulfilled_at = $7, cancelled_at = $8, refunds = $9, points = $10, updated_at = $11, items = $12, refunded = $13
		WHERE id = $14`, o.Currency, o.Subtotal(), o.Shipping, o.Discount,
		nts(o.PlacedAt), nts(o.PaidAt), nts(o.FulfilledAt), nts(o.CancelledAt), refunds, points, ts(o.UpdatedAt), items, refunded, o.ID)
	return err
}

// MemberOrders lists a member's orders, newest first (without lines).
func (tx *Tx) MemberOrderIDs(ctx context.Context, tenantID, memberID string) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT external_id FROM orders WHERE tenant_id = $1 AND member_id = $2 ORDER BY seq DESC, id DESC`, tenantID, memberID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, s.Scan(&id)
	})
}

// EachPaidOrder streams the tenant's orders paid in [from, to), oldest payment first,
// with their lines and points account, calling fn for each. Memory stays bounded by one
// order.
func (tx *Tx) EachPaidOrder(ctx context.Context, tenantID string, from, to time.Time, fn func(o *tenure.Order) error) error {
	rows, err := tx.query(ctx, `SELECT o.id, o.external_id, o.member_id, o.currency, o.shipping, o.discount, o.paid_at, o.cancelled_at, o.points,
			l.line_id, l.product_id, l.sku, l.name, l.category, l.brand, l.quantity, l.unit_price, l.discount
		FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.tenant_id = $1 AND o.paid_at >= $2 AND o.paid_at < $3
		ORDER BY o.paid_at, o.id, l.line_no`, tenantID, ts(from), ts(to))
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *tenure.Order
	for rows.Next() {
		var id, ext, member, currency string
		var shipping, discount int64
		var paid int64
		var cancelled sql.NullInt64
		var points string
		var l tenure.OrderLine
		if err := rows.Scan(&id, &ext, &member, &currency, &shipping, &discount, &paid, &cancelled, &points,
			&l.LineID, &l.ProductID, &l.SKU, &l.Name, &l.Category, &l.Brand, &l.Quantity, &l.UnitPrice, &l.Discount); err != nil {
			return err
		}
		if cur == nil || cur.ID != id {
			if cur != nil {
				if err := fn(cur); err != nil {
					return err
				}
			}
			p := fromTS(paid)
			cur = &tenure.Order{ID: id, ExternalID: ext, MemberID: member, Currency: currency, Shipping: shipping, Discount: discount,
				PaidAt: &p, CancelledAt: fromNTS(cancelled)}
			if err := json.Unmarshal([]byte(points), &cur.Points); err != nil {
				return err
			}
		}
		cur.Lines = append(cur.Lines, l)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if cur != nil {
		return fn(cur)
	}
	return nil
}

// OrderFact is one paid, uncancelled order as the analytics read it.
type OrderFact struct {
	MemberID string
	PaidAt   time.Time
	Net      int64 // subtotal minus refunded goods, minor units
	Items    int64
}

// EachOrderFact streams the tenant's paid, uncancelled orders by member, then payment
// time, then arrival (Order.Seq, then id for orders stored before there was one), reading
// only the covering index orders_member (tenant, member, paid_at, seq, id, …): nothing is
// sorted or held in memory, by the engine or here, beyond one row.
func (tx *Tx) EachOrderFact(ctx context.Context, tenantID string, fn func(OrderFact) error) error {
	rows, err := tx.query(ctx, `SELECT member_id, paid_at, subtotal - refunded, items FROM orders
		WHERE tenant_id = $1 AND paid_at IS NOT NULL AND cancelled_at IS NULL ORDER BY member_id, paid_at, seq, id`, tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f OrderFact
		var paid int64
		if err := rows.Scan(&f.MemberID, &paid, &f.Net, &f.Items); err != nil {
			return err
		}
		f.PaidAt = fromTS(paid)
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Outstanding sums a tenant's balances in one wallet: available and pending.
func (tx *Tx) Outstanding(ctx context.Context, tenantID string, w tenure.Wallet) (available, pending, holders int64, err error) {
	err = tx.queryRow(ctx, `SELECT COALESCE(SUM(available), 0), COALESCE(SUM(pending), 0), COUNT(CASE WHEN available > 0 THEN 1 END) FROM balances WHERE tenant_id = $1 AND wallet = $2`,
		tenantID, string(w)).Scan(&available, &pending, &holders)
	return available, pending, holders, err
}
