package storage

import (
	"context"
	"encoding/json"
	"sort"
	"time"

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
	}
	// Unless this is the probe, a circuit opened by another node since DueEndpoints stops
	// the claim.
	rows, err := tx.query(ctx, `UPDATE deliveries SET state = 'running', lease_owner = $2, lease_until = $3, attempts = attempts + 1, updated_at = $1
		WHERE id IN (SELECT d.id FROM deliveries d WHERE d.webhook_id = $4 AND `+dueDelivery+`
		               AND ($6 OR NOT EXISTS (SELECT 1 FROM webhook_circuits c WHERE c.webhook_id = $4 AND c.state <> 'closed'))
		             ORDER BY d.run_at LIMIT $5`+tx.d.skipLocked+`)
		RETURNING id, tenant_id, webhook_id, message_id, attempts`, now, owner, leaseUntil, e.WebhookID, limit, e.Probe)
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

// Contents loads what sending the claimed deliveries needs: their endpoints (not deleted)
// and messages, with two queries for any number of claims. Maps are keyed by tenant id
// and id ("tenant/id"); what is gone is missing.
func (tx *Tx) Contents(ctx context.Context, cs []ClaimedDelivery) (hooks map[string]tenure.Webhook, msgs map[string]tenure.Message, err error) {
	hookIDs, msgIDs := make([]string, 0, len(cs)), make([]string, 0, len(cs))
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.WebhookID] {
			seen[c.WebhookID] = true
			hookIDs = append(hookIDs, c.WebhookID)
		}
		msgIDs = append(msgIDs, c.MessageID)
	}
	hooks, msgs = map[string]tenure.Webhook{}, map[string]tenure.Message{}
	err = chunks(hookIDs, func(part []string) error {
		var args []any
		rows, err := tx.query(ctx, `SELECT tenant_id, `+webhookCols+` FROM webhooks WHERE deleted_at IS NULL AND id IN (`+inList(&args, part)+`)`, args...)
		if err != nil {
			return err
		}
		_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
			var tenant string
			w, err := tx.scanWebhook(prefixScanner{s, &tenant})
			hooks[tenant+"/"+w.ID] = w
			return struct{}{}, err
		})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	err = chunks(msgIDs, func(part []string) error {
		var args []any
		rows, err := tx.query(ctx, `SELECT tenant_id, id, type, member_id, payload, created_at FROM outbox WHERE id IN (`+inList(&args, part)+`)`, args...)
		if err != nil {
			return err
		}
		_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
			var m tenure.Message
			var tenant, payload string
			var created int64
			err := s.Scan(&tenant, &m.ID, &m.Type, &m.MemberID, &payload, &created)
			m.Data, m.CreatedAt = json.RawMessage(payload), fromTS(created)
			msgs[tenant+"/"+m.ID] = m
			return struct{}{}, err
		})
		return err
	})
	return hooks, msgs, err
}

// prefixScanner scans one leading column into first, then the rest as s would.
type prefixScanner struct {
	s     interface{ Scan(...any) error }
	first any
}

func (p prefixScanner) Scan(dst ...any) error { return p.s.Scan(append([]any{p.first}, dst...)...) }

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
	attempts := make([][]any, len(fs))
	succeeded := map[int][]string{} // by status code: one UPDATE each
	outcomes := map[string][]Finished{}
	for i, f := range fs {
		a := f.Attempt
		attempts[i] = []any{f.Claim.ID, f.Claim.Attempt, f.Claim.TenantID, ts(a.At), a.StatusCode, int64(a.DurationMS * 1000), a.Error, owner}
		if f.State == "succeeded" {
			succeeded[a.StatusCode] = append(succeeded[a.StatusCode], f.Claim.ID)
		} else if _, err := tx.exec(ctx, `UPDATE deliveries SET state = $1, run_at = $2, last_status = $3, last_error = $4, lease_owner = '', lease_until = 0, updated_at = $5
			WHERE id = $6 AND lease_owner = $7`, f.State, f.RetryAt, a.StatusCode, a.Error, ts(tx.Now), f.Claim.ID, owner); err != nil {
			return err
		}
		if f.Endpoint {
			outcomes[f.Claim.WebhookID] = append(outcomes[f.Claim.WebhookID], f)
		}
	}
	if err := tx.insertManySuffix(ctx, `INSERT INTO delivery_attempts (delivery_id, attempt, tenant_id, at, status_code, duration_us, error, node) VALUES `,
		` ON CONFLICT (delivery_id, attempt) DO NOTHING`, attempts); err != nil {
		return err
	}
	for status, ids := range succeeded {
		if err := chunks(ids, func(part []string) error {
			args := []any{ts(tx.Now), status, owner}
			_, err := tx.exec(ctx, `UPDATE deliveries SET state = 'succeeded', run_at = $1, last_status = $2, last_error = '', lease_owner = '', lease_until = 0, updated_at = $1
				WHERE lease_owner = $3 AND id IN (`+inList(&args, part)+`)`, args...)
			return err
		}); err != nil {
			return err
		}
	}
	return tx.recordCircuits(ctx, outcomes, p)
}

const circuitCols = `webhook_id, state, failures, opened, since, retry_at, last_error, failed_at`

func scanCircuit(s interface{ Scan(...any) error }) (tenure.Circuit, error) {
	var c tenure.Circuit
	var since, retry, failed int64
	err := s.Scan(&c.WebhookID, &c.State, &c.Failures, &c.Opened, &since, &retry, &c.LastError, &failed)
	c.Since, c.RetryAt, c.FailedAt = optTS(since), optTS(retry), optTS(failed)
	return c, err
}

// optTS and tsOpt map a zero time to 0 and back, for times a circuit may not have.
func optTS(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromTS(us)
}

func tsOpt(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ts(t)
}

// recordCircuits applies each endpoint's outcomes, in order, to its circuit. Endpoints
// with a failure get a row first, so that the rows can be locked (in id order, the same on
// every node) before they are read: two nodes recording first failures at once must not
// both start from zero. A healthy endpoint that stays healthy costs one read and no write.
func (tx *Tx) recordCircuits(ctx context.Context, outcomes map[string][]Finished, p tenure.BreakerPolicy) error {
	hooks := make([]string, 0, len(outcomes))
	for h := range outcomes {
		hooks = append(hooks, h)
	}
	if len(hooks) == 0 {
		return nil
	}
	sort.Strings(hooks)
	for _, h := range hooks {
		for _, f := range outcomes[h] {
			if f.State != "succeeded" {
				if _, err := tx.exec(ctx, `INSERT INTO webhook_circuits (webhook_id, tenant_id, state, failures, opened, since, retry_at, last_error, failed_at, updated_at)
					VALUES ($1, $2, 'closed', 0, 0, $3, 0, '', 0, $3) ON CONFLICT (webhook_id) DO NOTHING`, h, f.Claim.TenantID, ts(tx.Now)); err != nil {
					return err
				}
				break
			}
		}
	}
	var args []any
	rows, err := tx.query(ctx, `SELECT `+circuitCols+` FROM webhook_circuits WHERE webhook_id IN (`+inList(&args, hooks)+`) ORDER BY webhook_id`+tx.d.forUpdate, args...)
	if err != nil {
		return err
	}
	cs, err := collect(rows, scanCircuit)
	if err != nil {
		return err
	}
	for _, c := range cs {
		before := c
		for _, f := range outcomes[c.WebhookID] {
			c = c.Record(f.State == "succeeded", f.Attempt.Error, tx.Now, p)
		}
		if c == before {
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE webhook_circuits SET state = $1, failures = $2, opened = $3, since = $4, retry_at = $5, last_error = $6, failed_at = $7, updated_at = $8
			WHERE webhook_id = $9`, c.State, c.Failures, c.Opened, tsOpt(c.Since), tsOpt(c.RetryAt), c.LastError, tsOpt(c.FailedAt), ts(tx.Now), c.WebhookID); err != nil {
			return err
		}
	}
	return nil
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
