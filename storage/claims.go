package storage

import (
	"context"
	"sort"

	"github.com/tenure-loyalty/tenure"
)

// Webhook deliveries are claimed per endpoint, as many as the claiming node will send at
// once, under a lease the node renews while it sends. A delivery is due when it is pending
// and its run_at has come, or running under a lease that lapsed (its node died). run_at of
// a running delivery is the time it became due, so both cases read the partial index on
// (webhook_id, run_at).

const dueDelivery = `d.state IN ('pending', 'running') AND d.run_at <= $1 AND (d.state = 'pending' OR d.lease_until <= $1)`

// DueEndpoint is an endpoint with deliveries due now. Probe is set when its circuit is
// open (or half-open) and its wait is over: a claim may send one delivery to test it.
type DueEndpoint struct {
	WebhookID, TenantID string
	Probe               bool
}

// DueEndpoints lists up to limit endpoints that have due deliveries and whose circuit
// lets a claim through, in id order.
func (tx *Tx) DueEndpoints(ctx context.Context, limit int) ([]DueEndpoint, error) {
	rows, err := tx.query(ctx, `SELECT w.id, w.tenant_id, COALESCE(c.state, 'closed') FROM webhooks w
		LEFT JOIN webhook_circuits c ON c.webhook_id = w.id
		WHERE w.deleted_at IS NULL AND (c.webhook_id IS NULL OR c.state = 'closed' OR c.retry_at <= $1)
		  AND EXISTS (SELECT 1 FROM deliveries d WHERE d.webhook_id = w.id AND `+dueDelivery+`)
		ORDER BY w.id LIMIT $2`, ts(tx.Now), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (DueEndpoint, error) {
		var e DueEndpoint
		var state string
		err := s.Scan(&e.WebhookID, &e.TenantID, &state)
		e.Probe = state != tenure.CircuitClosed
		return e, err
	})
}

// ClaimEndpoint leases up to limit of the endpoint's due deliveries, oldest first, to owner
// until leaseUntil, counting an attempt for each. For a probe it first moves the circuit
// to half-open until leaseUntil, which only one claimer can do, and claims one delivery;
// otherwise it claims nothing if another node opened the circuit meanwhile. On PostgreSQL
// concurrent claimers skip each other's rows.
func (tx *Tx) ClaimEndpoint(ctx context.Context, e DueEndpoint, owner string, leaseUntil int64, limit int) ([]ClaimedDelivery, error) {
	now := ts(tx.Now)
	if e.Probe {
		res, err := tx.exec(ctx, `UPDATE webhook_circuits SET state = 'half_open', since = $1, retry_at = $2, updated_at = $1
			WHERE webhook_id = $3 AND state <> 'closed' AND retry_at <= $1`, now, leaseUntil, e.WebhookID)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		limit = 1
	} else {
		var open int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM webhook_circuits WHERE webhook_id = $1 AND state <> 'closed'`, e.WebhookID).Scan(&open); err != nil {
			return nil, err
		}
		if open > 0 {
			return nil, nil
		}
	}
	rows, err := tx.query(ctx, `UPDATE deliveries SET state = 'running', lease_owner = $2, lease_until = $3, attempts = attempts + 1, updated_at = $1
		WHERE id IN (SELECT d.id FROM deliveries d WHERE d.webhook_id = $4 AND `+dueDelivery+`
		             ORDER BY d.run_at LIMIT $5`+tx.d.skipLocked+`)
		RETURNING id, tenant_id, webhook_id, message_id, attempts`, now, owner, leaseUntil, e.WebhookID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (ClaimedDelivery, error) {
		var c ClaimedDelivery
		return c, s.Scan(&c.ID, &c.TenantID, &c.WebhookID, &c.MessageID, &c.Attempt)
	})
}

// RenewLeases extends owner's leases on the given running deliveries to leaseUntil and
// returns how many it still held.
func (tx *Tx) RenewLeases(ctx context.Context, owner string, ids []string, leaseUntil int64) (int, error) {
	held := 0
	err := chunks(ids, func(part []string) error {
		args := []any{leaseUntil, owner}
		res, err := tx.exec(ctx, `UPDATE deliveries SET lease_until = $1 WHERE lease_owner = $2 AND state = 'running' AND id IN (`+inList(&args, part)+`)`, args...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		held += int(n)
		return nil
	})
	return held, err
}

// ReleaseClaims hands owner's claimed deliveries back unsent (a node shutting down): they
// are due again at once, and the attempt their claim counted is taken back.
func (tx *Tx) ReleaseClaims(ctx context.Context, owner string, ids []string) error {
	return chunks(ids, func(part []string) error {
		args := []any{ts(tx.Now), owner}
		_, err := tx.exec(ctx, `UPDATE deliveries SET state = 'pending', attempts = attempts - 1, lease_owner = '', lease_until = 0, updated_at = $1
			WHERE lease_owner = $2 AND state = 'running' AND id IN (`+inList(&args, part)+`)`, args...)
		return err
	})
}

// Finished is the outcome of one claimed delivery's attempt.
type Finished struct {
	Claim   ClaimedDelivery
	State   string // "succeeded", "pending" (retry at RetryAt) or "dead"
	RetryAt int64
	Attempt tenure.Attempt
	// Endpoint is set when the outcome says something about the endpoint (it answered,
	// or failed to); it is false when the endpoint or message was gone.
	Endpoint bool
}

// FinishDeliveries records the attempts, moves each delivery to its next state where owner
// still holds its lease, and updates each endpoint's circuit with its outcomes in order.
func (tx *Tx) FinishDeliveries(ctx context.Context, owner string, fs []Finished, p tenure.BreakerPolicy) error {
	outcomes := map[string][]Finished{}
	for _, f := range fs {
		if err := tx.FinishDelivery(ctx, f.Claim, owner, f.State, f.RetryAt, f.Attempt); err != nil {
			return err
		}
		if f.Endpoint {
			outcomes[f.Claim.WebhookID] = append(outcomes[f.Claim.WebhookID], f)
		}
	}
	hooks := make([]string, 0, len(outcomes))
	for h := range outcomes {
		hooks = append(hooks, h)
	}
	sort.Strings(hooks) // a fixed lock order across nodes
	for _, h := range hooks {
		if err := tx.recordCircuit(ctx, outcomes[h], p); err != nil {
			return err
		}
	}
	return nil
}

const circuitCols = `webhook_id, state, failures, opened, since, retry_at, last_error, failed_at`

func scanCircuit(s interface{ Scan(...any) error }) (tenure.Circuit, error) {
	var c tenure.Circuit
	var since, retry, failed int64
	err := s.Scan(&c.WebhookID, &c.State, &c.Failures, &c.Opened, &since, &retry, &c.LastError, &failed)
	c.Since, c.RetryAt, c.FailedAt = fromTS(since), fromTS(retry), fromTS(failed)
	return c, err
}

func (tx *Tx) recordCircuit(ctx context.Context, fs []Finished, p tenure.BreakerPolicy) error {
	hook, tenant := fs[0].Claim.WebhookID, fs[0].Claim.TenantID
	c, err := scanCircuit(tx.queryRow(ctx, `SELECT `+circuitCols+` FROM webhook_circuits WHERE webhook_id = $1`+tx.d.forUpdate, hook))
	exists := err == nil
	if err != nil && !isNoRows(err) {
		return err
	}
	if !exists {
		c = tenure.Circuit{WebhookID: hook, State: tenure.CircuitClosed, Since: tx.Now}
	}
	before := c
	for _, f := range fs {
		c = c.Record(f.State == "succeeded", f.Attempt.Error, tx.Now, p)
	}
	if c == before || (!exists && c.State == tenure.CircuitClosed && c.Failures == 0) {
		return nil // the common case: a healthy endpoint stays healthy, with no write
	}
	_, err = tx.exec(ctx, `INSERT INTO webhook_circuits (webhook_id, tenant_id, state, failures, opened, since, retry_at, last_error, failed_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (webhook_id) DO UPDATE SET state = excluded.state, failures = excluded.failures, opened = excluded.opened, since = excluded.since,
			retry_at = excluded.retry_at, last_error = excluded.last_error, failed_at = excluded.failed_at, updated_at = excluded.updated_at`,
		hook, tenant, c.State, c.Failures, c.Opened, ts(c.Since), ts(c.RetryAt), c.LastError, ts(c.FailedAt), ts(tx.Now))
	return err
}

// Circuits returns the breaker state of a tenant's endpoints that have one (an endpoint
// that never failed has none: it is closed).
func (tx *Tx) Circuits(ctx context.Context, tenantID string) (map[string]tenure.Circuit, error) {
	rows, err := tx.query(ctx, `SELECT `+circuitCols+` FROM webhook_circuits WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanCircuit)
	out := make(map[string]tenure.Circuit, len(cs))
	for _, c := range cs {
		out[c.WebhookID] = c
	}
	return out, err
}
