package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/subscription"
)

// PaymentReport is the store's payment system reporting the outcome of a renewal it was
// asked to collect (external provider).
type PaymentReport struct {
	Type      string `json:"type" enum:"payment.succeeded,payment.failed" doc:"The outcome"`
	RenewalID string `json:"renewal_id" minLength:"1" maxLength:"128" doc:"The renewal of subscription.renewal_due"`
	Reference string `json:"reference,omitempty" maxLength:"128" doc:"The store's payment id"`
	Error     string `json:"error,omitempty" maxLength:"500" doc:"Why it failed"`
}

// ReportPayment settles the awaited charge of a renewal. A report repeated after the
// charge was settled the same way changes nothing; a contradicting one is a conflict.
func (s *Subscriptions) ReportPayment(ctx context.Context, tenantID, actor string, rep PaymentReport) (r subscription.Renewal, err error) {
	const op = "service.ReportPayment"
	if rep.Type != "payment.succeeded" && rep.Type != "payment.failed" {
		return r, tenure.Invalid(op, "type", "must be payment.succeeded or payment.failed")
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if r, err = tx.Renewal(ctx, tenantID, rep.RenewalID); err != nil {
			if tenure.KindOf(err) == tenure.KindNotFound {
				return tenure.Invalid(op, "renewal_id", "no renewal %q", rep.RenewalID)
			}
			return err
		}
		c, err := tx.ChargeByRef(ctx, tenantID, r.ID)
		if err != nil {
			return err
		}
		want := subscription.ChargeSucceeded
		if rep.Type == "payment.failed" {
			want = subscription.ChargeFailed
		}
		if c.Status != subscription.ChargeAwaiting {
			if c.Status == want {
				return nil
			}
			return &tenure.Error{Kind: tenure.KindConflict, Op: op, Message: "the renewal's last charge was already settled as " + c.Status,
				Fields: []tenure.FieldError{{Field: "type", Message: "contradicts the settled charge"}}}
		}
		sub, err := tx.Subscription(ctx, tenantID, r.SubscriptionID, true)
		if err != nil {
			return err
		}
		prev := sub.Version
		p, err := tx.Plan(ctx, tenantID, sub.PlanID)
		if err != nil {
			return err
		}
		c.Status, c.ProviderRef, c.Error = want, rep.Reference, rep.Error
		if err := tx.UpdateCharge(ctx, tenantID, c); err != nil {
			return err
		}
		if sub.State.Ended() {
			return &tenure.Error{Kind: tenure.KindConflict, Op: op, Message: "the subscription has ended",
				Fields: []tenure.FieldError{{Field: "renewal_id", Message: "belongs to a " + string(sub.State) + " subscription"}}}
		}
		if want == subscription.ChargeSucceeded {
			sub, err = s.paid(ctx, tx, tenantID, sub, p, &r, c)
		} else {
			sub, err = s.failed(ctx, tx, tenantID, sub, p, &r, c)
		}
		if err != nil {
			return err
		}
		if err := tx.UpdateRenewal(ctx, tenantID, r); err != nil {
			return err
		}
		sub.UpdatedAt = tx.Now
		if err := saveSub(ctx, tx, tenantID, &sub, prev); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "subscription."+rep.Type, "renewal", r.ID, map[string]any{"reference": rep.Reference})
	})
	return r, err
}

// RefundRenewal refunds a paid renewal's order through the intake, which claws back the
// points it earned like any order's.
func (s *Subscriptions) RefundRenewal(ctx context.Context, tenantID, actor, renewalID, reason string) (r subscription.Renewal, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if r, err = tx.Renewal(ctx, tenantID, renewalID); err != nil {
			return err
		}
		if r.Status != subscription.RenewalPaid || r.OrderID == "" {
			return &tenure.Error{Kind: tenure.KindConflict, Op: "service.RefundRenewal", Message: "only a paid renewal can be refunded",
				Fields: []tenure.FieldError{{Field: "renewal_id", Message: "is " + r.Status}}}
		}
		sub, err := tx.Subscription(ctx, tenantID, r.SubscriptionID, false)
		if err != nil {
			return err
		}
		ev := tenure.Event{ID: "subscription-refund:" + r.ID, Type: tenure.OrderRefunded, CustomerID: sub.CustomerID, OccurredAt: tx.Now,
			Refund: &tenure.RefundData{ID: "refund-" + r.ID, OrderID: r.OrderID}}
		if _, err := s.ingestTx(ctx, tx, tenantID, []tenure.Event{ev}); err != nil {
			return err
		}
		r.Status = subscription.RenewalRefunded
		if err := tx.UpdateRenewal(ctx, tenantID, r); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, tenantID, "subscription.renewal_refunded", sub.MemberID, r); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "subscription.renewal_refunded", "renewal", r.ID, map[string]any{"reason": reason})
	})
	return r, err
}

// ingestTx runs events through the intake inside tx (a renewal's order is booked in the
// renewal's own transaction).
func (s *core) ingestTx(ctx context.Context, tx *storage.Tx, tenantID string, events []tenure.Event) ([]tenure.EventResult, error) {
	var probs tenure.Problems
	hashes := make([]string, len(events))
	for i := range events {
		probs = append(probs, events[i].Validate("")...)
		hashes[i] = eventHash(events[i])
	}
	if err := probs.Err("service.ingest"); err != nil {
		return nil, err
	}
	in := &intake{s: s, ctx: ctx}
	var err error
	if in.u, err = s.newUnit(ctx, tx, tenantID); err != nil {
		return nil, err
	}
	return in.run(events, hashes)
}

func eventHash(e tenure.Event) string {
	b, _ := json.Marshal(e)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
