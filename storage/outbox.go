package storage

import (
	"context"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
)

// Emit writes a notification to the outbox and a pending delivery for every active
// endpoint of the tenant that subscribes to its type, in the current transaction: if the
// business change commits, so does the notification. Rows are buffered and written with
// one multi-row INSERT each just before the commit.
func (tx *Tx) Emit(ctx context.Context, tenantID, typ, memberID string, data any) (string, error) {
	body, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	id := tx.NewID(tenure.PrefixMessage)
	tx.outbox = append(tx.outbox, []any{id, tenantID, typ, memberID, string(body), ts(tx.Now)})
	hooks, err := tx.activeWebhooks(ctx, tenantID)
	if err != nil {
		return "", err
	}
	for _, h := range hooks {
		if h.Wants(typ) {
			now := ts(tx.Now)
			tx.deliveries = append(tx.deliveries, []any{tx.NewID(tenure.PrefixDelivery), tenantID, h.ID, id, "pending", 0, now, now, now})
		}
	}
	return id, nil
}

// flushBuffered writes the rows buffered by Emit and Schedule.
func (tx *Tx) flushBuffered(ctx context.Context) error {
	rows := func(head string, buf [][]any) error {
		if len(buf) == 0 {
			return nil
		}
		return tx.insertMany(ctx, head, len(buf), len(buf[0]), func(i int, args []any) []any { return append(args, buf[i]...) })
	}
	if err := rows(`INSERT INTO outbox (id, tenant_id, type, member_id, payload, created_at) VALUES `, tx.outbox); err != nil {
		return err
	}
	if err := rows(`INSERT INTO deliveries (id, tenant_id, webhook_id, message_id, state, attempts, run_at, created_at, updated_at) VALUES `, tx.deliveries); err != nil {
		return err
	}
	if len(tx.deliveries) > 0 {
		tx.notifyDeliveries()
	}
	if err := tx.insertManySuffix(ctx, `INSERT INTO jobs (id, tenant_id, kind, job_key, payload, state, attempts, run_at, created_at) VALUES `,
		` ON CONFLICT (tenant_id, kind, job_key) DO NOTHING`, tx.jobs); err != nil {
		return err
	}
	tx.outbox, tx.deliveries, tx.jobs = nil, nil, nil
	return tx.flushRules(ctx)
}

func (tx *Tx) activeWebhooks(ctx context.Context, tenantID string) ([]tenure.Webhook, error) {
	if hooks, ok := tx.webhooks[tenantID]; ok {
		return hooks, nil
	}
	all, err := tx.Webhooks(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if tx.webhooks == nil {
		tx.webhooks = map[string][]tenure.Webhook{}
	}
	tx.webhooks[tenantID] = all
	return all, nil
}

const webhookCols = `id, url, secret, event_types, description, active, created_at, updated_at`

func scanWebhook(s interface{ Scan(...any) error }) (tenure.Webhook, error) {
	var w tenure.Webhook
	var types string
	var created, updated int64
	if err := s.Scan(&w.ID, &w.URL, &w.Secret, &types, &w.Description, &w.Active, &created, &updated); err != nil {
		return w, err
	}
	w.CreatedAt, w.UpdatedAt = fromTS(created), fromTS(updated)
	return w, json.Unmarshal([]byte(types), &w.EventTypes)
}

// scanWebhook reads an endpoint and opens its sealed secret.
func (tx *Tx) scanWebhook(s interface{ Scan(...any) error }) (tenure.Webhook, error) {
	w, err := scanWebhook(s)
	if err == nil {
		w.Secret, err = tx.unseal("webhooks", "secret", w.ID, w.Secret)
	}
	return w, err
}

// Webhooks lists a tenant's endpoints (not deleted).
func (tx *Tx) Webhooks(ctx context.Context, tenantID string) ([]tenure.Webhook, error) {
	rows, err := tx.query(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, tx.scanWebhook)
}

// Webhook loads one endpoint.
func (tx *Tx) Webhook(ctx context.Context, tenantID, id string) (tenure.Webhook, error) {
	w, err := tx.scanWebhook(tx.queryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, tenantID, id))
	if isNoRows(err) {
		return w, tenure.NotFound("storage.Webhook", "webhook", id)
	}
	return w, err
}

// SaveWebhook inserts or updates an endpoint.
func (tx *Tx) SaveWebhook(ctx context.Context, tenantID string, w tenure.Webhook, isNew bool) error {
	types, _ := json.Marshal(w.EventTypes)
	if w.EventTypes == nil {
		types = []byte("[]")
	}
	var err error
	if isNew {
		var sealed string
		if sealed, err = tx.seal("webhooks", "secret", w.ID, w.Secret); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO webhooks (id, tenant_id, url, secret, event_types, description, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			w.ID, tenantID, w.URL, sealed, string(types), w.Description, w.Active, ts(w.CreatedAt), ts(w.UpdatedAt))
	} else {
		_, err = tx.exec(ctx, `UPDATE webhooks SET url = $1, event_types = $2, description = $3, active = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7`,
			w.URL, string(types), w.Description, w.Active, ts(w.UpdatedAt), tenantID, w.ID)
	}
	delete(tx.webhooks, tenantID)
	return err
}

// DeleteWebhook removes an endpoint; its pending deliveries are dropped as dead.
func (tx *Tx) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	res, err := tx.exec(ctx, `UPDATE webhooks SET deleted_at = $1, active = $2 WHERE tenant_id = $3 AND id = $4 AND deleted_at IS NULL`, ts(tx.Now), false, tenantID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tenure.NotFound("storage.DeleteWebhook", "webhook", id)
	}
	delete(tx.webhooks, tenantID)
	_, err = tx.exec(ctx, `UPDATE deliveries SET state = 'dead', last_error = 'endpoint deleted', updated_at = $1 WHERE webhook_id = $2 AND state IN ('pending', 'running')`, ts(tx.Now), id)
	return err
}

// Message loads an outbox message.
func (tx *Tx) Message(ctx context.Context, tenantID, id string) (tenure.Message, error) {
	var m tenure.Message
	var payload string
	var created int64
	err := tx.queryRow(ctx, `SELECT id, type, member_id, payload, created_at FROM outbox WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&m.ID, &m.Type, &m.MemberID, &payload, &created)
	if isNoRows(err) {
		return m, tenure.NotFound("storage.Message", "message", id)
	}
	m.Data, m.CreatedAt = json.RawMessage(payload), fromTS(created)
	return m, err
}

const deliveryCols = `id, webhook_id, message_id, state, attempts, run_at, last_status, last_error, created_at, updated_at`

func scanDelivery(s interface{ Scan(...any) error }) (tenure.Delivery, error) {
	var d tenure.Delivery
	var runAt, created, updated int64
	err := s.Scan(&d.ID, &d.WebhookID, &d.MessageID, &d.State, &d.Attempts, &runAt, &d.LastStatus, &d.LastError, &created, &updated)
	d.CreatedAt, d.UpdatedAt = fromTS(created), fromTS(updated)
	if d.State == "pending" || d.State == "running" {
		t := fromTS(runAt)
		d.NextTryAt = &t
	}
	return d, err
}

// Deliveries lists an endpoint's deliveries, newest first, optionally by state.
func (tx *Tx) Deliveries(ctx context.Context, tenantID, webhookID, state, before string, limit int) ([]tenure.Delivery, error) {
	if before == "" {
		before = "~"
	}
	rows, err := tx.query(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND id < $3 AND ($4 = '' OR state = $4)
		ORDER BY id DESC LIMIT $5`, tenantID, webhookID, before, state, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDelivery)
}

// Delivery loads one delivery with its attempt log.
func (tx *Tx) Delivery(ctx context.Context, tenantID, id string) (tenure.Delivery, error) {
	d, err := scanDelivery(tx.queryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if isNoRows(err) {
		return d, tenure.NotFound("storage.Delivery", "delivery", id)
	}
	if err != nil {
		return d, err
	}
	rows, err := tx.query(ctx, `SELECT attempt, at, status_code, duration_us, error, node FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return d, err
	}
	d.Log, err = collect(rows, func(s interface{ Scan(...any) error }) (tenure.Attempt, error) {
		var a tenure.Attempt
		var at, us int64
		err := s.Scan(&a.Attempt, &at, &a.StatusCode, &us, &a.Error, &a.Node)
		a.At, a.DurationMS = fromTS(at), float64(us)/1000
		return a, err
	})
	return d, err
}

// ReplayDelivery queues a new delivery of the same message to the same endpoint. The
// message id is unchanged, so a receiver that already has it can deduplicate.
func (tx *Tx) ReplayDelivery(ctx context.Context, tenantID, id string) (tenure.Delivery, error) {
	d, err := tx.Delivery(ctx, tenantID, id)
	if err != nil {
		return d, err
	}
	if _, err := tx.Webhook(ctx, tenantID, d.WebhookID); err != nil {
		return d, err
	}
	newID := tx.NewID(tenure.PrefixDelivery)
	if _, err := tx.exec(ctx, `INSERT INTO deliveries (id, tenant_id, webhook_id, message_id, state, attempts, run_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)`, newID, tenantID, d.WebhookID, d.MessageID, ts(tx.Now)); err != nil {
		return d, err
	}
	tx.notifyDeliveries()
	return tx.Delivery(ctx, tenantID, newID)
}

// ClaimedDelivery is a delivery leased to one worker, with what it needs to send it.
type ClaimedDelivery struct {
	ID, TenantID, WebhookID, MessageID string
	Attempt                            int
}

// FinishDelivery records an attempt and the delivery's next state ("succeeded", "pending"
// with a retry time, or "dead"), if owner still holds the lease.
func (tx *Tx) FinishDelivery(ctx context.Context, c ClaimedDelivery, owner, state string, retryAt int64, a tenure.Attempt) error {
	if _, err := tx.exec(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt, tenant_id, at, status_code, duration_us, error, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (delivery_id, attempt) DO NOTHING`,
		c.ID, c.Attempt, c.TenantID, ts(a.At), a.StatusCode, int64(a.DurationMS*1000), a.Error, owner); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `UPDATE deliveries SET state = $1, run_at = $2, last_status = $3, last_error = $4, lease_owner = '', lease_until = 0, updated_at = $5
		WHERE id = $6 AND lease_owner = $7`, state, retryAt, a.StatusCode, a.Error, ts(tx.Now), c.ID, owner)
	return err
}

// DeliveryCounts counts deliveries by state, for metrics.
func (tx *Tx) DeliveryCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT state, COUNT(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var st string
		var n int64
		err := s.Scan(&st, &n)
		out[st] = n
		return struct{}{}, err
	})
	return out, err
}
