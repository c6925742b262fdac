package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/subscription"
)

// maxCatchUp bounds how many overdue periods one renewal job settles (a server that was
// down for months bills each missed period once, a few hundred at most).
const maxCatchUp = 400

func (s *subs) runSubscriptionJob(ctx context.Context, tx *storage.Tx, j storage.Job) (bool, error) {
	switch j.Kind {
	case jobSubRenew:
		_, due, _ := strings.Cut(j.Key, "@")
		due, _, _ = strings.Cut(due, "/")
		t, err := time.Parse(time.RFC3339Nano, due)
		if err != nil {
			return true, err
		}
		_, err = s.renew(ctx, tx, j.TenantID, j.Payload, t)
		return true, err
	case jobSubRetry:
		return true, s.retry(ctx, tx, j.TenantID, j.Payload)
	case jobSubResume:
		return true, s.resumeDue(ctx, tx, j.TenantID, j.Payload, j.Key)
	case jobSubNotice:
		return true, s.notice(ctx, tx, j.TenantID, j.Payload, j.Key)
	}
	return false, nil
}

// renewalID is derived from the subscription and the period start, so the same period
// always gets the same id (and its charges the same idempotency keys) on every node.
func renewalID(subID string, due time.Time) string {
	return "ren_" + strings.TrimPrefix(subID, "sub_") + "_" + strconv.FormatInt(due.UnixMicro(), 36)
}

// renew settles the subscription's period starting at due, and any later periods that
// are due too: each is billed, skipped, or ends the subscription, exactly once (the
// renewal row is unique per subscription and period start, and the subscription's
// version guards against a second writer). A stale job (the subscription moved on)
// does nothing.
func (s *subs) renew(ctx context.Context, tx *storage.Tx, tenantID, subID string, due time.Time) (subscription.Subscription, error) {
	sub, err := tx.Subscription(ctx, tenantID, subID, true)
	if err != nil || !sub.NextAt.Equal(due) {
		return sub, err
	}
	prev := sub.Version
	p, err := tx.Plan(ctx, tenantID, sub.PlanID)
	if err != nil {
		return sub, err
	}
	changed := false
loop:
	for range maxCatchUp {
		action, reason := subscription.Due(sub, p, tx.Now)
		switch action {
		case subscription.DueNone, subscription.DueWait:
			break loop
		case subscription.DueEnd, subscription.DueExpire:
			ev := subscription.EvEnd
			if action == subscription.DueExpire {
				ev = subscription.EvExpire
			}
			var tr subscription.Transition
			if sub, tr, err = subscription.Apply(sub, subscription.Event{Kind: ev}, tx.Now); err != nil {
				return sub, err
			}
			changed = true
			if err := s.record(ctx, tx, tenantID, "system", sub, p, tr, map[string]any{"reason": reason}); err != nil {
				return sub, err
			}
			break loop
		case subscription.DueSkip:
			r := subscription.Renewal{ID: renewalID(sub.ID, sub.NextAt), SubscriptionID: sub.ID, DueAt: sub.NextAt,
				PeriodEnd: sub.Schedule.Start(sub.Cycle + 1), Status: subscription.RenewalSkipped, Reason: reason, CreatedAt: tx.Now, UpdatedAt: tx.Now}
			if err := s.insertRenewal(ctx, tx, tenantID, r); err != nil {
				return sub, err
			}
			sub, changed = subscription.Advance(sub), true
			if _, err := tx.Emit(ctx, tenantID, "subscription.renewal_skipped", sub.MemberID, r); err != nil {
				return sub, err
			}
		case subscription.DueBill:
			if sub.Pending != nil {
				sub = subscription.ApplyPending(sub)
				if p, err = tx.Plan(ctx, tenantID, sub.PlanID); err != nil {
					return sub, err
				}
			}
			r := subscription.Renewal{ID: renewalID(sub.ID, sub.NextAt), SubscriptionID: sub.ID, DueAt: sub.NextAt,
				PeriodEnd: sub.Schedule.Start(sub.Cycle + 1), Status: subscription.RenewalPending, Quote: subscription.Price(sub, p),
				CreatedAt: tx.Now, UpdatedAt: tx.Now}
			if err := s.insertRenewal(ctx, tx, tenantID, r); err != nil {
				return sub, err
			}
			sub, changed = subscription.Advance(sub), true
			if sub, err = s.attempt(ctx, tx, tenantID, sub, p, r, 1); err != nil {
				return sub, err
			}
		}
	}
	if !changed {
		return sub, nil
	}
	sub.UpdatedAt = tx.Now
	if err := saveSub(ctx, tx, tenantID, &sub, prev); err != nil {
		return sub, err
	}
	return sub, s.scheduleNext(ctx, tx, tenantID, sub, p)
}

func (s *subs) insertRenewal(ctx context.Context, tx *storage.Tx, tenantID string, r subscription.Renewal) error {
	created, err := tx.InsertRenewal(ctx, tenantID, r)
	if err != nil {
		return err
	}
	if !created {
		// Another writer settled this period first: roll back, the job is done elsewhere.
		return tenure.Errorf(tenure.KindConflict, "service.renew", "renewal %s exists", r.ID)
	}
	return nil
}

// saveSub writes sub over the stored version prev, as version prev+1.
func saveSub(ctx context.Context, tx *storage.Tx, tenantID string, sub *subscription.Subscription, prev int) error {
	sub.Version = prev + 1
	return tx.UpdateSubscription(ctx, tenantID, *sub, prev)
}

// billStub charges the stub period before a fixed-day anchor, at subscribe.
func (s *subs) billStub(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, p subscription.Plan, amount int64) (subscription.Subscription, error) {
	prev := sub.Version
	q := subscription.Quote{Base: amount, SetupFee: p.SetupFee, Total: amount + p.SetupFee}
	r := subscription.Renewal{ID: renewalID(sub.ID, tx.Now), SubscriptionID: sub.ID, DueAt: tx.Now, PeriodEnd: sub.NextAt,
		Status: subscription.RenewalPending, Quote: q, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	if err := s.insertRenewal(ctx, tx, tenantID, r); err != nil {
		return sub, err
	}
	sub, err := s.attempt(ctx, tx, tenantID, sub, p, r, 1)
	if err != nil {
		return sub, err
	}
	return sub, saveSub(ctx, tx, tenantID, &sub, prev)
}

// attempt makes charge attempt n of renewal r and applies its outcome to sub (which the
// caller saves). A zero total is paid without asking the provider.
func (s *subs) attempt(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, p subscription.Plan,
	r subscription.Renewal, n int) (subscription.Subscription, error) {
	prov, ok := s.Providers[sub.Provider]
	if !ok {
		return sub, tenure.Internal("service.attempt", fmt.Errorf("payment provider %q is not configured", sub.Provider))
	}
	c := subscription.Charge{ID: tx.NewID("chg"), RenewalID: r.ID, Attempt: n, Provider: prov.Name(),
		IdempotencyKey: r.ID + "-" + strconv.Itoa(n), Amount: r.Quote.Total, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	res := ChargeResult{Status: subscription.ChargeSucceeded, Ref: "free"}
	if r.Quote.Total > 0 {
		var err error
		res, err = prov.Charge(ctx, ChargeRequest{TenantID: tenantID, SubscriptionID: sub.ID, RenewalID: r.ID, CustomerID: sub.CustomerID,
			PaymentMethod: sub.PaymentMethod, Currency: sub.Currency, Amount: r.Quote.Total, Attempt: n, IdempotencyKey: c.IdempotencyKey})
		if err != nil {
			return sub, fmt.Errorf("charge %s: %w", c.IdempotencyKey, err)
		}
	}
	c.Status, c.ProviderRef, c.Error = res.Status, res.Ref, res.Error
	if err := tx.InsertCharge(ctx, tenantID, c); err != nil {
		return sub, err
	}
	r.Attempts, r.UpdatedAt = n, tx.Now
	var err error
	switch res.Status {
	case subscription.ChargeSucceeded:
		sub, err = s.paid(ctx, tx, tenantID, sub, p, &r, c)
	case subscription.ChargeAwaiting:
		r.Status, r.NextAttemptAt = subscription.RenewalPending, nil
		_, err = tx.Emit(ctx, tenantID, "subscription.renewal_due", sub.MemberID, renewalDue{Renewal: r, SubscriptionID: sub.ID,
			CustomerID: sub.CustomerID, Currency: sub.Currency, Amount: r.Quote.Total, IdempotencyKey: c.IdempotencyKey, Attempt: n})
	default:
		sub, err = s.failed(ctx, tx, tenantID, sub, p, &r, c)
	}
	if err != nil {
		return sub, err
	}
	return sub, tx.UpdateRenewal(ctx, tenantID, r)
}

// renewalDue is the body of subscription.renewal_due: what the store's payment system
// must collect, with the key that makes its charge idempotent.
type renewalDue struct {
	Renewal        subscription.Renewal `json:"renewal"`
	SubscriptionID string               `json:"subscription_id"`
	CustomerID     string               `json:"customer_id"`
	Currency       string               `json:"currency"`
	Amount         int64                `json:"amount"`
	IdempotencyKey string               `json:"idempotency_key"`
	Attempt        int                  `json:"attempt"`
}

// paid books a paid renewal: the subscription becomes active (the anchor is kept), the
// renewal is booked as an order through the intake so the earning rules judge it, and
// a milestone bonus is credited when the paid count reaches one.
func (s *subs) paid(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, p subscription.Plan,
	r *subscription.Renewal, c subscription.Charge) (subscription.Subscription, error) {
	r.Status, r.PaidAt, r.NextAttemptAt, r.Reason = subscription.RenewalPaid, &tx.Now, nil, ""
	sub, tr, err := subscription.Apply(sub, subscription.Event{Kind: subscription.EvPaid, Amount: r.Quote.Total, PeriodStart: r.DueAt, PeriodEnd: r.PeriodEnd}, tx.Now)
	if err != nil {
		return sub, err
	}
	if sub.TrialEnd != nil && sub.Paid == 1 {
		tr.Event = "converted"
	}
	if err := s.record(ctx, tx, tenantID, "system", sub, p, tr, map[string]any{"renewal_id": r.ID, "amount": r.Quote.Total, "attempt": c.Attempt}); err != nil {
		return sub, err
	}
	if r.Quote.Total > 0 {
		r.OrderID = "subscription-" + r.ID
		if err := s.bookOrder(ctx, tx, tenantID, sub, p, *r); err != nil {
			return sub, err
		}
	}
	if pts := p.MilestonePoints(sub.Paid); pts > 0 {
		reason := fmt.Sprintf("subscription milestone: paid renewal %d of %s", sub.Paid, p.Name)
		if _, err := s.applyLedgerOp(ctx, tx, tenantID, "system", sub.MemberID, LedgerOp{Wallet: tenure.Points, Amount: pts, Reason: reason, Reference: sub.ID}, "adjusted",
			func(u *unit, b *ledger.Book, cause ledger.Cause) error {
				return b.Adjust(pts, u.prog.ExpiresAt(tx.Now), cause)
			}); err != nil {
			return sub, err
		}
		if _, err := tx.Emit(ctx, tenantID, "subscription.milestone", sub.MemberID, map[string]any{"subscription_id": sub.ID, "paid_renewals": sub.Paid, "points": pts}); err != nil {
			return sub, err
		}
	}
	return sub, nil
}

// bookOrder sends the paid renewal through the order intake as an order.paid event, so
// the earning rules apply (order.subscription is true for it) and a refund claws back
// like any order's.
func (s *subs) bookOrder(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, p subscription.Plan, r subscription.Renewal) error {
	name, product := p.Name, sub.Product
	if product == "" {
		product = p.Key
	}
	lines := []tenure.LineData{{ID: "1", ProductID: product, SKU: p.Key, Name: name, Category: "subscription", Quantity: int64(max(sub.Quantity, 1)),
		UnitPrice: r.Quote.Base / int64(max(sub.Quantity, 1)), Discount: r.Quote.Discount}}
	if r.Quote.Base%int64(max(sub.Quantity, 1)) != 0 { // a prorated stub: one line at its amount
		lines[0].Quantity, lines[0].UnitPrice = 1, r.Quote.Base
	}
	if r.Quote.SetupFee > 0 {
		lines = append(lines, tenure.LineData{ID: "2", ProductID: p.Key + "-setup", SKU: p.Key + "-setup", Name: name + " setup fee", Category: "subscription", Quantity: 1, UnitPrice: r.Quote.SetupFee})
	}
	ev := tenure.Event{ID: "subscription:" + r.ID, Type: tenure.OrderPaid, CustomerID: sub.CustomerID, OccurredAt: tx.Now,
		Order:      &tenure.OrderData{ID: r.OrderID, Currency: sub.Currency, Lines: lines},
		Properties: map[string]any{"subscription_id": sub.ID, "plan": p.Key, "renewal_id": r.ID, "paid_renewals": sub.Paid}}
	_, err := s.ingestTx(ctx, tx, tenantID, []tenure.Event{ev})
	return err
}

// failed records a failed (or authentication-needing) attempt: the subscription goes
// past due, and the ladder schedules the next attempt with a reminder, or, when it is
// exhausted, the plan's final action is taken.
func (s *subs) failed(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, p subscription.Plan,
	r *subscription.Renewal, c subscription.Charge) (subscription.Subscription, error) {
	r.Status, r.Reason = subscription.RenewalFailed, c.Error
	if c.Status == subscription.ChargeAction {
		r.Status = subscription.RenewalAction
	}
	sub, tr, err := subscription.Apply(sub, subscription.Event{Kind: subscription.EvFailed}, tx.Now)
	if err != nil {
		return sub, err
	}
	if err := s.record(ctx, tx, tenantID, "system", sub, p, tr, map[string]any{"renewal_id": r.ID, "attempt": c.Attempt, "error": c.Error}); err != nil {
		return sub, err
	}
	next, ok := subscription.NextRetry(p.Dunning, c.Attempt, tx.Now)
	if ok {
		r.NextAttemptAt = &next
		if err := tx.Schedule(ctx, tenantID, jobSubRetry, r.ID+"#"+strconv.Itoa(c.Attempt+1), r.ID, next); err != nil {
			return sub, err
		}
		_, err := tx.Emit(ctx, tenantID, "subscription.dunning_reminder", sub.MemberID, map[string]any{"subscription_id": sub.ID,
			"customer_id": sub.CustomerID, "renewal_id": r.ID, "attempt": c.Attempt, "amount": r.Quote.Total, "next_attempt_at": next, "reason": c.Error})
		return sub, err
	}
	r.Status, r.NextAttemptAt = subscription.RenewalUnpaid, nil
	if sub, tr, err = subscription.Apply(sub, subscription.Event{Kind: subscription.EvExhausted, Final: p.Dunning.Final}, tx.Now); err != nil {
		return sub, err
	}
	return sub, s.record(ctx, tx, tenantID, "system", sub, p, tr, map[string]any{"renewal_id": r.ID, "final_action": p.Dunning.Final})
}

// retry makes the dunning ladder's next attempt on a failed renewal; a renewal already
// paid, or a subscription no longer past due, makes it a no-op.
func (s *subs) retry(ctx context.Context, tx *storage.Tx, tenantID, renewalID string) error {
	r, err := tx.Renewal(ctx, tenantID, renewalID)
	if err != nil {
		return err
	}
	if r.Status != subscription.RenewalFailed && r.Status != subscription.RenewalAction {
		return nil
	}
	sub, err := tx.Subscription(ctx, tenantID, r.SubscriptionID, true)
	if err != nil || sub.State != subscription.PastDue {
		return err
	}
	prev := sub.Version
	p, err := tx.Plan(ctx, tenantID, sub.PlanID)
	if err != nil {
		return err
	}
	if sub, err = s.attempt(ctx, tx, tenantID, sub, p, r, r.Attempts+1); err != nil {
		return err
	}
	sub.UpdatedAt = tx.Now
	return saveSub(ctx, tx, tenantID, &sub, prev)
}

// resumeDue ends a dated pause.
func (s *subs) resumeDue(ctx context.Context, tx *storage.Tx, tenantID, subID, key string) error {
	sub, err := tx.Subscription(ctx, tenantID, subID, true)
	if err != nil || sub.State != subscription.Paused || sub.PausedUntil == nil || dueKey(sub.ID, *sub.PausedUntil) != key {
		return err
	}
	_, err = s.change(ctx, tx, tenantID, "system", sub, func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error) {
		sub, tr, err := subscription.Apply(sub, subscription.Event{Kind: subscription.EvResume}, tx.Now)
		return sub, tr, map[string]any{"reason": "pause ended"}, err
	})
	return err
}

// notice emits subscription.renewal_upcoming for a renewal still due as planned.
func (s *subs) notice(ctx context.Context, tx *storage.Tx, tenantID, subID, key string) error {
	sub, err := tx.Subscription(ctx, tenantID, subID, false)
	if err != nil || dueKey(sub.ID, sub.NextAt) != key || (sub.State != subscription.Active && sub.State != subscription.Trialing) || sub.CancelAtPeriodEnd {
		return err
	}
	p, err := tx.Plan(ctx, tenantID, sub.PlanID)
	if err != nil {
		return err
	}
	skipped := false
	for _, t := range sub.Skips {
		skipped = skipped || t.Equal(sub.NextAt)
	}
	_, err = tx.Emit(ctx, tenantID, "subscription.renewal_upcoming", sub.MemberID, map[string]any{"subscription_id": sub.ID,
		"customer_id": sub.CustomerID, "renewal_at": sub.NextAt, "quote": subscription.Price(sub, p), "skipped": skipped})
	return err
}
