package storage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/subscription"
)

func docOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// SavePlan stores a subscription plan, new or changed. A second plan with the same key
// fails with a unique violation.
func (tx *Tx) SavePlan(ctx context.Context, tenantID string, p subscription.Plan, isNew bool) error {
	if isNew {
		_, err := tx.exec(ctx, `INSERT INTO subscription_plans (id, tenant_id, plan_key, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			p.ID, tenantID, p.Key, docOf(p), ts(tx.Now))
		return err
	}
	_, err := tx.exec(ctx, `UPDATE subscription_plans SET plan_key = $1, doc = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5`,
		p.Key, docOf(p), ts(tx.Now), tenantID, p.ID)
	return err
}

func scanDoc[T any](s interface{ Scan(...any) error }) (T, error) {
	var v T
	var doc string
	if err := s.Scan(&doc); err != nil {
		return v, err
	}
	return v, json.Unmarshal([]byte(doc), &v)
}

// Plan loads a tenant's plan by id or key.
func (tx *Tx) Plan(ctx context.Context, tenantID, ref string) (subscription.Plan, error) {
	p, err := scanDoc[subscription.Plan](tx.queryRow(ctx, `SELECT doc FROM subscription_plans WHERE tenant_id = $1 AND (id = $2 OR plan_key = $2)`, tenantID, ref))
	if isNoRows(err) {
		return p, tenure.NotFound("storage.Plan", "plan", ref)
	}
	return p, err
}

// Plans lists a tenant's plans in creation order.
func (tx *Tx) Plans(ctx context.Context, tenantID string) ([]subscription.Plan, error) {
	rows, err := tx.query(ctx, `SELECT doc FROM subscription_plans WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDoc[subscription.Plan])
}

// InsertSubscription stores a new subscription.
func (tx *Tx) InsertSubscription(ctx context.Context, tenantID string, s subscription.Subscription) error {
	_, err := tx.exec(ctx, `INSERT INTO subscriptions (id, tenant_id, member_id, plan_id, state, next_at, version, doc, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.ID, tenantID, s.MemberID, s.PlanID, string(s.State), ts(s.NextAt), s.Version, docOf(s), ts(s.CreatedAt), ts(s.UpdatedAt))
	return err
}

// UpdateSubscription writes a changed subscription whose stored version is prev. It
// fails with KindConflict when another writer changed it since it was read, so that two
// nodes never both act on one state.
func (tx *Tx) UpdateSubscription(ctx context.Context, tenantID string, s subscription.Subscription, prev int) error {
	res, err := tx.exec(ctx, `UPDATE subscriptions SET plan_id = $1, state = $2, next_at = $3, version = $4, doc = $5, updated_at = $6
		WHERE tenant_id = $7 AND id = $8 AND version = $9`,
		s.PlanID, string(s.State), ts(s.NextAt), s.Version, docOf(s), ts(s.UpdatedAt), tenantID, s.ID, prev)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return tenure.Errorf(tenure.KindConflict, "storage.UpdateSubscription", "subscription %s changed concurrently", s.ID)
	}
	return nil
}

// Subscription loads one of a tenant's subscriptions; with lock the row stays locked
// until the transaction ends (PostgreSQL).
func (tx *Tx) Subscription(ctx context.Context, tenantID, id string, lock bool) (subscription.Subscription, error) {
	q := `SELECT doc FROM subscriptions WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += tx.d.forUpdate
	}
	s, err := scanDoc[subscription.Subscription](tx.queryRow(ctx, q, tenantID, id))
	if isNoRows(err) {
		return s, tenure.NotFound("storage.Subscription", "subscription", id)
	}
	return s, err
}

// SubscriptionFilter selects subscriptions to list.
type SubscriptionFilter struct {
	MemberID string
	State    string
	After    string // id cursor
	Limit    int    // 0: all
}

// Subscriptions lists a tenant's subscriptions in id order.
func (tx *Tx) Subscriptions(ctx context.Context, tenantID string, f SubscriptionFilter) ([]subscription.Subscription, error) {
	q := `SELECT doc FROM subscriptions WHERE tenant_id = $1 AND id > $2`
	args := []any{tenantID, f.After}
	if f.MemberID != "" {
		args = append(args, f.MemberID)
		q += ` AND member_id = $` + itoa(len(args))
	}
	if f.State != "" {
		args = append(args, f.State)
		q += ` AND state = $` + itoa(len(args))
	}
	q += ` ORDER BY id`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += ` LIMIT $` + itoa(len(args))
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDoc[subscription.Subscription])
}

// AddTransition appends one entry to a subscription's timeline.
func (tx *Tx) AddTransition(ctx context.Context, tenantID string, r subscription.TransitionRecord) error {
	if r.ID == "" {
		r.ID = tx.NewID("str")
	}
	detail := "{}"
	if r.Detail != nil {
		detail = docOf(r.Detail)
	}
	_, err := tx.exec(ctx, `INSERT INTO subscription_transitions (id, tenant_id, subscription_id, from_state, to_state, event, actor, mrr, detail, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, tenantID, r.SubscriptionID, string(r.From), string(r.To), r.Event, r.Actor, r.MRR, detail, ts(tx.Now))
	return err
}

// Transitions returns a subscription's timeline, oldest first.
func (tx *Tx) Transitions(ctx context.Context, tenantID, subscriptionID string) ([]subscription.TransitionRecord, error) {
	rows, err := tx.query(ctx, `SELECT id, subscription_id, from_state, to_state, event, actor, mrr, detail, at FROM subscription_transitions
		WHERE tenant_id = $1 AND subscription_id = $2 ORDER BY id`, tenantID, subscriptionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (subscription.TransitionRecord, error) {
		var r subscription.TransitionRecord
		var from, to, detail string
		var at int64
		if err := s.Scan(&r.ID, &r.SubscriptionID, &from, &to, &r.Event, &r.Actor, &r.MRR, &detail, &at); err != nil {
			return r, err
		}
		r.From, r.To, r.At = subscription.State(from), subscription.State(to), fromTS(at)
		return r, json.Unmarshal([]byte(detail), &r.Detail)
	})
}

// MRRChanges returns every stored MRR value of the tenant's subscriptions up to `to`, in
// time order: the input of subscription.Movements.
func (tx *Tx) MRRChanges(ctx context.Context, tenantID string, to time.Time) ([]subscription.MRRChange, error) {
	rows, err := tx.query(ctx, `SELECT subscription_id, at, mrr FROM subscription_transitions WHERE tenant_id = $1 AND at < $2 ORDER BY at, id`,
		tenantID, ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (subscription.MRRChange, error) {
		var c subscription.MRRChange
		var at int64
		err := s.Scan(&c.Subscription, &at, &c.MRR)
		c.At = fromTS(at)
		return c, err
	})
}

// InsertRenewal stores a renewal unless the subscription already has one for that period
// start; created is false then, and nothing is written. This is what makes a renewal
// happen exactly once whichever node or restart gets to it.
func (tx *Tx) InsertRenewal(ctx context.Context, tenantID string, r subscription.Renewal) (created bool, err error) {
	res, err := tx.exec(ctx, `INSERT INTO subscription_renewals (id, tenant_id, subscription_id, due_at, status, reason, amount, attempts, order_id, doc, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT (subscription_id, due_at) DO NOTHING`,
		r.ID, tenantID, r.SubscriptionID, ts(r.DueAt), r.Status, r.Reason, r.Quote.Total, r.Attempts, r.OrderID, docOf(r), ts(tx.Now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UpdateRenewal rewrites a renewal's status, attempts, order and document.
func (tx *Tx) UpdateRenewal(ctx context.Context, tenantID string, r subscription.Renewal) error {
	_, err := tx.exec(ctx, `UPDATE subscription_renewals SET status = $1, reason = $2, amount = $3, attempts = $4, order_id = $5, doc = $6, updated_at = $7
		WHERE tenant_id = $8 AND id = $9`,
		r.Status, r.Reason, r.Quote.Total, r.Attempts, r.OrderID, docOf(r), ts(tx.Now), tenantID, r.ID)
	return err
}

// Renewal loads one renewal.
func (tx *Tx) Renewal(ctx context.Context, tenantID, id string) (subscription.Renewal, error) {
	r, err := scanDoc[subscription.Renewal](tx.queryRow(ctx, `SELECT doc FROM subscription_renewals WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if isNoRows(err) {
		return r, tenure.NotFound("storage.Renewal", "renewal", id)
	}
	return r, err
}

// Renewals lists a subscription's renewals by period start.
func (tx *Tx) Renewals(ctx context.Context, tenantID, subscriptionID string) ([]subscription.Renewal, error) {
	rows, err := tx.query(ctx, `SELECT doc FROM subscription_renewals WHERE tenant_id = $1 AND subscription_id = $2 ORDER BY due_at`, tenantID, subscriptionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDoc[subscription.Renewal])
}

// RenewalsByStatus lists a tenant's renewals in a status (the dunning queue: failed),
// by period start.
func (tx *Tx) RenewalsByStatus(ctx context.Context, tenantID, status string, limit int) ([]subscription.Renewal, error) {
	rows, err := tx.query(ctx, `SELECT doc FROM subscription_renewals WHERE tenant_id = $1 AND status = $2 ORDER BY due_at LIMIT $3`, tenantID, status, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDoc[subscription.Renewal])
}

// InsertCharge stores a charge attempt. A second attempt with the same number for the
// same renewal fails with a unique violation.
func (tx *Tx) InsertCharge(ctx context.Context, tenantID string, c subscription.Charge) error {
	_, err := tx.exec(ctx, `INSERT INTO subscription_charges (id, tenant_id, renewal_id, attempt, provider, idem_key, status, provider_ref, error, amount, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
		c.ID, tenantID, c.RenewalID, c.Attempt, c.Provider, c.IdempotencyKey, c.Status, c.ProviderRef, c.Error, c.Amount, ts(tx.Now))
	return err
}

// UpdateCharge records a charge's outcome.
func (tx *Tx) UpdateCharge(ctx context.Context, tenantID string, c subscription.Charge) error {
	_, err := tx.exec(ctx, `UPDATE subscription_charges SET status = $1, provider_ref = $2, error = $3, updated_at = $4 WHERE tenant_id = $5 AND id = $6`,
		c.Status, c.ProviderRef, c.Error, ts(tx.Now), tenantID, c.ID)
	return err
}

// ChargeByRef finds the latest charge awaiting a provider's reference (the external
// provider's payment id, or the idempotency key).
func (tx *Tx) ChargeByRef(ctx context.Context, tenantID, ref string) (subscription.Charge, error) {
	rows, err := tx.query(ctx, `SELECT `+chargeCols+` FROM subscription_charges WHERE tenant_id = $1 AND (idem_key = $2 OR provider_ref = $2 OR renewal_id = $2)
		ORDER BY attempt DESC LIMIT 1`, tenantID, ref)
	if err != nil {
		return subscription.Charge{}, err
	}
	cs, err := collect(rows, scanCharge)
	if err != nil {
		return subscription.Charge{}, err
	}
	if len(cs) == 0 {
		return subscription.Charge{}, tenure.NotFound("storage.ChargeByRef", "charge", ref)
	}
	return cs[0], nil
}

// Charges lists a renewal's charge attempts in order.
func (tx *Tx) Charges(ctx context.Context, tenantID, renewalID string) ([]subscription.Charge, error) {
	rows, err := tx.query(ctx, `SELECT `+chargeCols+` FROM subscription_charges WHERE tenant_id = $1 AND renewal_id = $2 ORDER BY attempt`, tenantID, renewalID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCharge)
}

const chargeCols = `id, renewal_id, attempt, provider, idem_key, status, provider_ref, error, amount, created_at, updated_at`

func scanCharge(s interface{ Scan(...any) error }) (subscription.Charge, error) {
	var c subscription.Charge
	var created, updated int64
	err := s.Scan(&c.ID, &c.RenewalID, &c.Attempt, &c.Provider, &c.IdempotencyKey, &c.Status, &c.ProviderRef, &c.Error, &c.Amount, &created, &updated)
	c.CreatedAt, c.UpdatedAt = fromTS(created), fromTS(updated)
	return c, err
}

// SaveSaveRecord stores a cancel flow, new or decided.
func (tx *Tx) SaveSaveRecord(ctx context.Context, tenantID string, r subscription.SaveRecord, isNew bool) error {
	kind := ""
	if r.Accepted != nil {
		kind = r.Accepted.Kind
	}
	if isNew {
		_, err := tx.exec(ctx, `INSERT INTO subscription_saves (id, tenant_id, subscription_id, reason, outcome, offer_kind, doc, created_at, decided_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.ID, tenantID, r.SubscriptionID, r.Reason, r.Outcome, kind, docOf(r), ts(r.CreatedAt), nts(r.DecidedAt))
		return err
	}
	_, err := tx.exec(ctx, `UPDATE subscription_saves SET outcome = $1, offer_kind = $2, doc = $3, decided_at = $4 WHERE tenant_id = $5 AND id = $6`,
		r.Outcome, kind, docOf(r), nts(r.DecidedAt), tenantID, r.ID)
	return err
}

// SaveRecord loads a cancel flow.
func (tx *Tx) SaveRecord(ctx context.Context, tenantID, id string) (subscription.SaveRecord, error) {
	r, err := scanDoc[subscription.SaveRecord](tx.queryRow(ctx, `SELECT doc FROM subscription_saves WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if isNoRows(err) {
		return r, tenure.NotFound("storage.SaveRecord", "save flow", id)
	}
	return r, err
}

// SaveCounts counts a tenant's cancel flows begun in [from, to) by reason, accepted
// offer and outcome.
func (tx *Tx) SaveCounts(ctx context.Context, tenantID string, from, to time.Time) ([]subscription.SaveCount, error) {
	rows, err := tx.query(ctx, `SELECT reason, offer_kind, outcome, COUNT(*) FROM subscription_saves
		WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY reason, offer_kind, outcome ORDER BY reason, offer_kind, outcome`,
		tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (subscription.SaveCount, error) {
		var c subscription.SaveCount
		err := s.Scan(&c.Reason, &c.Offer, &c.Outcome, &c.Count)
		return c, err
	})
}

// RenewalCounts counts a tenant's renewals due in [from, to) by status.
func (tx *Tx) RenewalCounts(ctx context.Context, tenantID string, from, to time.Time) ([]subscription.RenewalCount, error) {
	rows, err := tx.query(ctx, `SELECT status, COUNT(*) FROM subscription_renewals WHERE tenant_id = $1 AND due_at >= $2 AND due_at < $3 GROUP BY status ORDER BY status`,
		tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (subscription.RenewalCount, error) {
		var c subscription.RenewalCount
		err := s.Scan(&c.Status, &c.Count)
		return c, err
	})
}

// TransitionCounts counts a tenant's transitions in [from, to) by event and the state
// they left: the trial conversions and dunning outcomes of the metrics.
func (tx *Tx) TransitionCounts(ctx context.Context, tenantID string, from, to time.Time) (map[string]int, error) {
	rows, err := tx.query(ctx, `SELECT from_state, event, COUNT(*) FROM subscription_transitions WHERE tenant_id = $1 AND at >= $2 AND at < $3 GROUP BY from_state, event`,
		tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var st, ev string
		var n int
		err := s.Scan(&st, &ev, &n)
		out[st+"/"+ev] += n
		return struct{}{}, err
	})
	return out, err
}

// SubscriptionSettings loads a tenant's save flow (found false: none stored).
func (tx *Tx) SubscriptionSettings(ctx context.Context, tenantID string) (f subscription.SaveFlow, found bool, err error) {
	f, err = scanDoc[subscription.SaveFlow](tx.queryRow(ctx, `SELECT doc FROM subscription_settings WHERE tenant_id = $1`, tenantID))
	if isNoRows(err) {
		return nil, false, nil
	}
	return f, err == nil, err
}

// SetSubscriptionSettings stores a tenant's save flow.
func (tx *Tx) SetSubscriptionSettings(ctx context.Context, tenantID string, f subscription.SaveFlow) error {
	_, err := tx.exec(ctx, `INSERT INTO subscription_settings (tenant_id, doc, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`, tenantID, docOf(f), ts(tx.Now))
	return err
}
