package storage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tenure-loyalty/tenure"
)

const shopCols = `id, tenant_id, platform, domain, api_url, webhook_secret, api_key, api_secret, sync_codes, status, outbox_cursor, created_at, updated_at`

// ShopRow is a stored shop connection with the bookkeeping the services need.
type ShopRow struct {
	tenure.ShopConnection
	TenantID string
	// Cursor is the id of the last outbox message the code sync has read.
	Cursor string
}

func (tx *Tx) scanShop(s interface{ Scan(...any) error }) (ShopRow, error) {
	var r ShopRow
	var created, updated int64
	err := s.Scan(&r.ID, &r.TenantID, &r.Platform, &r.Domain, &r.APIURL, &r.WebhookSecret, &r.APIKey, &r.APISecret,
		&r.SyncCode, &r.Status, &r.Cursor, &created, &updated)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = fromTS(created), fromTS(updated)
	r.WebhookPath = tenure.ShopWebhookPath(r.Platform, r.ID)
	for _, f := range []struct {
		col string
		v   *string
	}{{"webhook_secret", &r.WebhookSecret}, {"api_key", &r.APIKey}, {"api_secret", &r.APISecret}} {
		if *f.v, err = tx.unseal("shop_connections", f.col, r.ID, *f.v); err != nil {
			return r, err
		}
	}
	return r, nil
}

// SaveShop stores a connection, sealing its credentials.
func (tx *Tx) SaveShop(ctx context.Context, tenantID string, c tenure.ShopConnection, isNew bool) error {
	var sealed [3]string
	for i, f := range []struct{ col, v string }{{"webhook_secret", c.WebhookSecret}, {"api_key", c.APIKey}, {"api_secret", c.APISecret}} {
		var err error
		if sealed[i], err = tx.seal("shop_connections", f.col, c.ID, f.v); err != nil {
			return err
		}
	}
	if isNew {
		_, err := tx.exec(ctx, `INSERT INTO shop_connections (`+shopCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.ID, tenantID, string(c.Platform), c.Domain, c.APIURL, sealed[0], sealed[1], sealed[2], c.SyncCode, c.Status,
			tx.NewID(tenure.PrefixMessage), ts(c.CreatedAt), ts(c.UpdatedAt))
		if tx.db.d.uniqueViolated(err) {
			return tenure.Errorf(tenure.KindConflict, "storage.SaveShop", "this tenant already has a %s connection", c.Platform)
		}
		return err
	}
	_, err := tx.exec(ctx, `UPDATE shop_connections SET domain = $1, api_url = $2, webhook_secret = $3, api_key = $4, api_secret = $5,
		sync_codes = $6, status = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10`,
		c.Domain, c.APIURL, sealed[0], sealed[1], sealed[2], c.SyncCode, c.Status, ts(c.UpdatedAt), tenantID, c.ID)
	return err
}

// Shop loads a connection by id, whatever its tenant (webhooks arrive without a key).
func (tx *Tx) Shop(ctx context.Context, id string) (ShopRow, error) {
	r, err := tx.scanShop(tx.queryRow(ctx, `SELECT `+shopCols+` FROM shop_connections WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, tenure.NotFound("storage.Shop", "shop connection", id)
	}
	return r, err
}

// Shops lists a tenant's connections.
func (tx *Tx) Shops(ctx context.Context, tenantID string) ([]ShopRow, error) {
	rows, err := tx.query(ctx, `SELECT `+shopCols+` FROM shop_connections WHERE tenant_id = $1 ORDER BY platform`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, tx.scanShop)
}

// SyncingShops lists the active connections that mirror coupon codes, of every tenant.
func (tx *Tx) SyncingShops(ctx context.Context) ([]ShopRow, error) {
	rows, err := tx.query(ctx, `SELECT `+shopCols+` FROM shop_connections WHERE sync_codes = $1 AND status = 'active' ORDER BY id`, true)
	if err != nil {
		return nil, err
	}
	return collect(rows, tx.scanShop)
}

// DeleteShop removes a connection, its delivery log and its code mirror.
func (tx *Tx) DeleteShop(ctx context.Context, tenantID, id string) error {
	res, err := tx.exec(ctx, `DELETE FROM shop_connections WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tenure.NotFound("storage.DeleteShop", "shop connection", id)
	}
	if _, err := tx.exec(ctx, `DELETE FROM shop_deliveries WHERE connection_id = $1`, id); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `DELETE FROM shop_codes WHERE connection_id = $1`, id)
	return err
}

// SetShopCursor records the last outbox message the code sync of a connection has read.
func (tx *Tx) SetShopCursor(ctx context.Context, id, cursor string) error {
	_, err := tx.exec(ctx, `UPDATE shop_connections SET outbox_cursor = $1 WHERE id = $2`, cursor, id)
	return err
}

// ShopDeliverySeen reports whether a connection has recorded the delivery already.
func (tx *Tx) ShopDeliverySeen(ctx context.Context, connID, deliveryID string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM shop_deliveries WHERE connection_id = $1 AND delivery_id = $2`, connID, deliveryID).Scan(&n)
	return n > 0, err
}

// RecordShopDelivery stores what a webhook delivery did, unless the delivery is stored
// already (then recorded is false).
func (tx *Tx) RecordShopDelivery(ctx context.Context, connID, tenantID string, d tenure.ShopDelivery) (recorded bool, err error) {
	res, err := tx.exec(ctx, `INSERT INTO shop_deliveries (connection_id, delivery_id, tenant_id, topic, resource_id, outcome, detail, events, received_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (connection_id, delivery_id) DO NOTHING`,
		connID, d.ID, tenantID, d.Topic, d.ResourceID, d.Outcome, d.Detail, d.Events, ts(d.ReceivedAt))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ShopDeliveries lists a connection's latest deliveries, newest first; outcome filters
// when set.
func (tx *Tx) ShopDeliveries(ctx context.Context, connID, outcome string, limit int) ([]tenure.ShopDelivery, error) {
	args, filter := []any{connID, limit}, ""
	if outcome != "" {
		args, filter = append(args, outcome), ` AND outcome = $3`
	}
	rows, err := tx.query(ctx, `SELECT delivery_id, topic, resource_id, outcome, detail, events, received_at FROM shop_deliveries
		WHERE connection_id = $1`+filter+` ORDER BY received_at DESC, delivery_id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (tenure.ShopDelivery, error) {
		var d tenure.ShopDelivery
		var at int64
		err := s.Scan(&d.ID, &d.Topic, &d.ResourceID, &d.Outcome, &d.Detail, &d.Events, &at)
		d.ReceivedAt = fromTS(at)
		return d, err
	})
}

// OutboxMessage is a stored notification as the code sync reads it.
type OutboxMessage struct {
	ID, Type, Payload string
}

// OutboxAfter returns up to limit of a tenant's messages of the given types with ids
// above after and made before before, oldest first. Ids order messages by the time they
// were made, not committed: a reader that leaves the last seconds alone does not step
// past a message whose transaction is still open.
func (tx *Tx) OutboxAfter(ctx context.Context, tenantID, after string, before time.Time, types []string, limit int) ([]OutboxMessage, error) {
	args := []any{tenantID, after, idFloor(tenure.PrefixMessage, before)}
	rows, err := tx.query(ctx, `SELECT id, type, payload FROM outbox WHERE tenant_id = $1 AND id > $2 AND id < $3 AND type IN (`+inList(&args, types)+`)
		ORDER BY id LIMIT `+itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (OutboxMessage, error) {
		var m OutboxMessage
		return m, s.Scan(&m.ID, &m.Type, &m.Payload)
	})
}

// idFloor is the smallest id tenure.NewID makes at t: the time part (the first ten
// characters after the prefix) followed by zeros.
func idFloor(prefix string, t time.Time) string {
	id := tenure.NewID(prefix, t)
	return id[:len(prefix)+11] + "0000000000000000"
}

// WantShopCode asks for a coupon's code to be active (created) or disabled in a shop. A
// coupon gets one row: asking for it to be active again changes nothing, and a code once
// disabled is never asked to be active again.
func (tx *Tx) WantShopCode(ctx context.Context, tenantID, connID, couponID, code, want string) error {
	now := ts(tx.Now)
	_, err := tx.exec(ctx, `INSERT INTO shop_codes (coupon_id, tenant_id, connection_id, code, want, state, remote_id, attempts, last_error, run_at, lease_until, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'none', '', 0, '', $6, 0, $6)
		ON CONFLICT (coupon_id) DO UPDATE SET want = excluded.want, run_at = excluded.run_at, updated_at = excluded.updated_at
		WHERE shop_codes.want = 'active' AND excluded.want = 'disabled'`,
		couponID, tenantID, connID, code, want, now)
	return err
}

// ShopCodeTask is a code whose shop state differs from what is wanted, leased to one
// worker.
type ShopCodeTask struct {
	tenure.ShopCode
	TenantID     string
	ConnectionID string
}

const shopCodeCols = `coupon_id, tenant_id, connection_id, code, want, state, remote_id, attempts, last_error, updated_at`

func scanShopCode(s interface{ Scan(...any) error }) (ShopCodeTask, error) {
	var c ShopCodeTask
	var at int64
	err := s.Scan(&c.CouponID, &c.TenantID, &c.ConnectionID, &c.Code, &c.Want, &c.State, &c.RemoteID, &c.Attempts, &c.LastError, &at)
	c.UpdatedAt = fromTS(at)
	return c, err
}

// ClaimShopCodes leases up to limit due codes of a platform's connections until
// leaseUntil. A code whose lease ran out is due again; concurrent claimers on PostgreSQL
// skip each other's rows.
func (tx *Tx) ClaimShopCodes(ctx context.Context, platform tenure.Platform, leaseUntil time.Time, limit int) ([]ShopCodeTask, error) {
	rows, err := tx.query(ctx, `UPDATE shop_codes SET lease_until = $1, attempts = attempts + 1
		WHERE coupon_id IN (SELECT coupon_id FROM shop_codes WHERE state <> want AND state <> 'unsupported' AND run_at <= $2 AND lease_until <= $2
		                    AND connection_id IN (SELECT id FROM shop_connections WHERE platform = $4)
		                    ORDER BY run_at LIMIT $3`+tx.d.skipLocked+`)
		RETURNING `+shopCodeCols, ts(leaseUntil), ts(tx.Now), limit, string(platform))
	if err != nil {
		return nil, err
	}
	return collect(rows, scanShopCode)
}

// ShopCodesDue reports whether any code of a platform's connections is due now, so that
// an idle pass takes no write lock.
func (tx *Tx) ShopCodesDue(ctx context.Context, platform tenure.Platform) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM shop_codes WHERE state <> want AND state <> 'unsupported' AND run_at <= $1 AND lease_until <= $1
		AND connection_id IN (SELECT id FROM shop_connections WHERE platform = $2) LIMIT 1) due`, ts(tx.Now), string(platform)).Scan(&n)
	return n > 0, err
}

// FinishShopCode records what a worker did with a claimed code: the state the shop now
// holds and its id there, or (errMsg set) the failure and when to try again.
func (tx *Tx) FinishShopCode(ctx context.Context, couponID, state, remoteID, errMsg string, retryAt time.Time) error {
	_, err := tx.exec(ctx, `UPDATE shop_codes SET state = $1, remote_id = $2, last_error = $3, run_at = $4, lease_until = 0, updated_at = $5 WHERE coupon_id = $6`,
		state, remoteID, errMsg, ts(retryAt), ts(tx.Now), couponID)
	return err
}

// ShopCodes lists a connection's mirrored codes, most recently changed first.
func (tx *Tx) ShopCodes(ctx context.Context, connID string, limit int) ([]tenure.ShopCode, error) {
	rows, err := tx.query(ctx, `SELECT `+shopCodeCols+` FROM shop_codes WHERE connection_id = $1 ORDER BY updated_at DESC, coupon_id DESC LIMIT $2`, connID, limit)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, scanShopCode)
	codes := make([]tenure.ShopCode, len(out))
	for i, c := range out {
		codes[i] = c.ShopCode
	}
	return codes, err
}
