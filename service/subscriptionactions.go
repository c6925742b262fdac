package service

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/subscription"
)

// Customer actions on a subscription.
const (
	ActPause           = "pause"
	ActResume          = "resume"
	ActCancel          = "cancel"
	ActUncancel        = "uncancel"
	ActSkip            = "skip"
	ActChangePlan      = "change_plan"
	ActChangeFrequency = "change_frequency"
	ActSwap            = "swap"
	ActQuantity        = "quantity"
)

// ActionRequest carries an action's data; each action reads its own fields.
type ActionRequest struct {
	Until       *time.Time             `json:"until,omitempty" doc:"pause: resume automatically at this instant; omit for an open-ended pause"`
	AtPeriodEnd bool                   `json:"at_period_end,omitempty" doc:"cancel: at the end of the paid period instead of now"`
	DeliveryAt  *time.Time             `json:"delivery_at,omitempty" doc:"skip: the delivery (period start) to skip; default the next"`
	Plan        string                 `json:"plan,omitempty" maxLength:"128" doc:"change_plan: the new plan's id or key"`
	Interval    *subscription.Interval `json:"interval,omitempty" doc:"change_plan, change_frequency: the new frequency"`
	Product     string                 `json:"product,omitempty" maxLength:"128" doc:"swap: one of the plan's products"`
	Quantity    int                    `json:"quantity,omitempty" doc:"quantity: boxes per delivery, 1 to 100"`
}

// ActionResult is the subscription after an action, with a plan change's proration.
type ActionResult struct {
	Subscription subscription.Subscription `json:"subscription"`
	Change       *subscription.PlanChange  `json:"change,omitempty" doc:"A plan or frequency change's policy and the credit it gave"`
	SkippedAt    *time.Time                `json:"skipped_delivery,omitempty"`
}

// Act applies a customer's action, once per Idempotency-Key, audited with the actor.
// Actions that do not fit the state (anything but un-cancel on a cancelled
// subscription) are KindConflict naming "state"; bad data is KindInvalid naming its
// field; nothing is written then.
func (s *Subscriptions) Act(ctx context.Context, tenantID, actor, idemKey, subID, action string, req ActionRequest) (ActionResult, error) {
	const op = "service.Act"
	switch action {
	case ActPause, ActResume, ActCancel, ActUncancel, ActSkip, ActChangePlan, ActChangeFrequency, ActSwap, ActQuantity:
	default:
		return ActionResult{}, tenure.Invalid(op, "action", "unknown action %q", action)
	}
	var out ActionResult
	err := s.db.Write(ctx, func(tx *storage.Tx) (err error) {
		out, err = idempotent(ctx, tx, tenantID, idemKey, "subscription."+action+"/"+subID, req, func() (ActionResult, error) {
			return s.act(ctx, tx, tenantID, actor, subID, action, req)
		})
		return err
	})
	return out, err
}

func (s *subs) act(ctx context.Context, tx *storage.Tx, tenantID, actor, subID, action string, req ActionRequest) (ActionResult, error) {
	const op = "service.Act"
	var res ActionResult
	sub, err := tx.Subscription(ctx, tenantID, subID, true)
	if err != nil {
		return res, err
	}
	now := tx.Now
	apply := func(ev subscription.Event, detail map[string]any) (subscription.Subscription, error) {
		return s.change(ctx, tx, tenantID, actor, sub, func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error) {
			next, tr, err := subscription.Apply(sub, ev, now)
			return next, tr, detail, err
		})
	}
	edit := func(event string, fn func(sub subscription.Subscription, p subscription.Plan) (subscription.Subscription, map[string]any, error)) (subscription.Subscription, error) {
		return s.change(ctx, tx, tenantID, actor, sub, func(sub subscription.Subscription, p subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error) {
			if sub.State.Ended() {
				return sub, subscription.Transition{}, nil, conflictState(sub, action)
			}
			next, detail, err := fn(sub, p)
			next.UpdatedAt = now
			return next, subscription.Transition{From: sub.State, To: next.State, Event: event}, detail, err
		})
	}
	switch action {
	case ActPause:
		if req.Until != nil && !req.Until.After(now) {
			return res, tenure.Invalid(op, "until", "must be in the future")
		}
		if res.Subscription, err = apply(subscription.Event{Kind: subscription.EvPause, Until: req.Until}, map[string]any{"until": req.Until}); err != nil {
			return res, err
		}
		if req.Until != nil {
			err = tx.Schedule(ctx, tenantID, jobSubResume, dueKey(sub.ID, *req.Until), sub.ID, *req.Until)
		}
	case ActResume:
		res.Subscription, err = apply(subscription.Event{Kind: subscription.EvResume}, nil)
	case ActCancel:
		res.Subscription, err = apply(subscription.Event{Kind: subscription.EvCancel, AtPeriodEnd: req.AtPeriodEnd}, map[string]any{"at_period_end": req.AtPeriodEnd})
	case ActUncancel:
		res.Subscription, err = apply(subscription.Event{Kind: subscription.EvUncancel}, nil)
	case ActSkip:
		res.Subscription, err = edit("skipped", func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, map[string]any, error) {
			next, at, err := subscription.Skip(sub, req.DeliveryAt, now)
			res.SkippedAt = &at
			return next, map[string]any{"delivery_at": at}, err
		})
	case ActSwap:
		res.Subscription, err = edit("swapped", func(sub subscription.Subscription, p subscription.Plan) (subscription.Subscription, map[string]any, error) {
			if req.Product == "" || !contains(p.Products, req.Product) {
				return sub, nil, tenure.Invalid(op, "product", "must be one of plan %s's products", p.Key)
			}
			from := sub.Product
			sub.Product = req.Product
			return sub, map[string]any{"from": from, "to": req.Product}, nil
		})
	case ActQuantity:
		res.Subscription, err = edit("quantity_changed", func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, map[string]any, error) {
			if req.Quantity < 1 || req.Quantity > 100 {
				return sub, nil, tenure.Invalid(op, "quantity", "must be 1 to 100")
			}
			from := sub.Quantity
			sub.Quantity = req.Quantity
			return sub, map[string]any{"from": from, "to": req.Quantity}, nil
		})
	case ActChangePlan, ActChangeFrequency:
		res, err = s.changePlan(ctx, tx, tenantID, actor, sub, action, req)
	}
	if err != nil {
		return res, err
	}
	return res, nil
}

func conflictState(sub subscription.Subscription, action string) error {
	return &tenure.Error{Kind: tenure.KindConflict, Op: "service.Act", Message: "cannot " + action + " a " + string(sub.State) + " subscription",
		Fields: []tenure.FieldError{{Field: "state", Message: "is " + string(sub.State)}}}
}

// changePlan changes plan or frequency under the leaving plan's proration policy: an
// immediate change credits the unused part to the member's store credit and bills the
// new plan now; otherwise the change waits for the next renewal.
func (s *subs) changePlan(ctx context.Context, tx *storage.Tx, tenantID, actor string, sub subscription.Subscription, action string, req ActionRequest) (ActionResult, error) {
	const op = "service.Act"
	var res ActionResult
	from, err := tx.Plan(ctx, tenantID, sub.PlanID)
	if err != nil {
		return res, err
	}
	to := from
	if action == ActChangePlan {
		if req.Plan == "" {
			return res, tenure.Invalid(op, "plan", "is required")
		}
		if to, err = tx.Plan(ctx, tenantID, req.Plan); tenure.KindOf(err) == tenure.KindNotFound {
			return res, tenure.Invalid(op, "plan", "no plan %q", req.Plan)
		} else if err != nil {
			return res, err
		}
		if !to.Active {
			return res, tenure.Invalid(op, "plan", "plan %s is closed to new subscribers", to.Key)
		}
	}
	iv := to.Interval
	if req.Interval != nil {
		if !req.Interval.Valid() {
			return res, tenure.Invalid(op, "interval", "unit must be day, week, month or year and count at least 1")
		}
		iv = *req.Interval
	} else if action == ActChangeFrequency {
		return res, tenure.Invalid(op, "interval", "is required")
	}
	var c subscription.PlanChange
	res.Subscription, err = s.change(ctx, tx, tenantID, actor, sub, func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error) {
		next, ch, err := subscription.ChangePlan(sub, from, to, iv, tx.Now)
		c = ch
		ev := "plan_changed"
		if action == ActChangeFrequency {
			ev = "frequency_changed"
		}
		return next, subscription.Transition{From: sub.State, To: next.State, Event: ev},
			map[string]any{"from_plan": from.Key, "to_plan": to.Key, "interval": iv, "policy": ch.Policy, "credit": ch.Credit}, err
	})
	if err != nil {
		return res, err
	}
	res.Change = &c
	if c.Credit > 0 {
		credit := c.Credit
		if _, err := s.applyLedgerOp(ctx, tx, tenantID, actor, sub.MemberID, LedgerOp{Wallet: tenure.Credit, Amount: credit,
			Reason: "unused part of " + from.Name + " after a plan change", Reference: sub.ID}, "adjusted",
			func(u *unit, b *ledger.Book, cause ledger.Cause) error { return b.Adjust(credit, nil, cause) }); err != nil {
			return res, err
		}
	}
	if c.ChargeNow {
		if res.Subscription, err = s.renew(ctx, tx, tenantID, sub.ID, res.Subscription.NextAt); err != nil {
			return res, err
		}
	}
	return res, nil
}

// change loads the subscription's plan, applies fn, and writes the result with its
// timeline entry, webhook and audit; a resumed subscription gets its next renewal
// scheduled.
func (s *subs) change(ctx context.Context, tx *storage.Tx, tenantID, actor string, sub subscription.Subscription,
	fn func(subscription.Subscription, subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error)) (subscription.Subscription, error) {
	prev := sub.Version
	p, err := tx.Plan(ctx, tenantID, sub.PlanID)
	if err != nil {
		return sub, err
	}
	next, tr, detail, err := fn(sub, p)
	if err != nil {
		return sub, err
	}
	if next.PlanID != p.ID {
		if p, err = tx.Plan(ctx, tenantID, next.PlanID); err != nil {
			return sub, err
		}
	}
	if err := saveSub(ctx, tx, tenantID, &next, prev); err != nil {
		return next, err
	}
	if err := s.record(ctx, tx, tenantID, actor, next, p, tr, detail); err != nil {
		return next, err
	}
	if tr.Event == subscription.EvResume {
		return next, s.scheduleNext(ctx, tx, tenantID, next, p)
	}
	return next, nil
}

// SaveFlow returns the tenant's cancel save flow (the default when none is stored).
func (s *Subscriptions) SaveFlow(ctx context.Context, tenantID string) (f subscription.SaveFlow, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { f, err = s.saveFlow(ctx, tx, tenantID); return err })
	return f, err
}

func (s *subs) saveFlow(ctx context.Context, tx *storage.Tx, tenantID string) (subscription.SaveFlow, error) {
	f, found, err := tx.SubscriptionSettings(ctx, tenantID)
	if err != nil || !found {
		return subscription.DefaultSaveFlow(), err
	}
	return f, nil
}

// SetSaveFlow validates and stores the tenant's save flow.
func (s *Subscriptions) SetSaveFlow(ctx context.Context, tenantID, actor string, f subscription.SaveFlow) (subscription.SaveFlow, error) {
	if err := f.Validate(); err != nil {
		return f, err
	}
	return f, s.db.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.SetSubscriptionSettings(ctx, tenantID, f); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "subscription.save_flow_updated", "tenant", tenantID, map[string]any{"reasons": len(f)})
	})
}

// StartCancel opens a cancel flow: the reason is recorded with the offers that fit it.
func (s *Subscriptions) StartCancel(ctx context.Context, tenantID, actor, subID, reason string) (rec subscription.SaveRecord, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		sub, err := tx.Subscription(ctx, tenantID, subID, false)
		if err != nil {
			return err
		}
		if sub.State.Ended() {
			return conflictState(sub, "cancel")
		}
		f, err := s.saveFlow(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		plans, err := tx.Plans(ctx, tenantID)
		if err != nil {
			return err
		}
		offers, err := f.OffersFor(reason, sub, plans)
		if err != nil {
			return err
		}
		rec = subscription.SaveRecord{ID: tx.NewID("sav"), SubscriptionID: sub.ID, Reason: reason, Offers: offers, Outcome: subscription.SaveOpen, CreatedAt: tx.Now}
		if err := tx.SaveSaveRecord(ctx, tenantID, rec, true); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "subscription.cancel_flow_started", "subscription", sub.ID, map[string]any{"reason": reason, "offers": len(offers)})
	})
	return rec, err
}

// CancelDecision ends a cancel flow: accept one of its offers, or cancel anyway.
type CancelDecision struct {
	Accept      string `json:"accept,omitempty" enum:"pause,skip,discount,bonus_points,cheaper_plan" doc:"The kind of the offer accepted; omit to cancel anyway"`
	AtPeriodEnd bool   `json:"at_period_end,omitempty" doc:"When cancelling: at the end of the paid period"`
}

// DecideCancel carries out the customer's answer to a cancel flow and records it.
func (s *Subscriptions) DecideCancel(ctx context.Context, tenantID, actor, idemKey, saveID string, d CancelDecision) (rec subscription.SaveRecord, err error) {
	const op = "service.DecideCancel"
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		rec, err = idempotent(ctx, tx, tenantID, idemKey, "subscription.decide/"+saveID, d, func() (subscription.SaveRecord, error) {
			rec, err := tx.SaveRecord(ctx, tenantID, saveID)
			if err != nil {
				return rec, err
			}
			if rec.Outcome != subscription.SaveOpen {
				return rec, &tenure.Error{Kind: tenure.KindConflict, Op: op, Message: "the cancel flow has ended",
					Fields: []tenure.FieldError{{Field: "accept", Message: "the flow ended as " + rec.Outcome}}}
			}
			sub, err := tx.Subscription(ctx, tenantID, rec.SubscriptionID, true)
			if err != nil {
				return rec, err
			}
			now := tx.Now
			if d.Accept == "" {
				if _, err := s.change(ctx, tx, tenantID, actor, sub, func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error) {
					next, tr, err := subscription.Apply(sub, subscription.Event{Kind: subscription.EvCancel, AtPeriodEnd: d.AtPeriodEnd}, now)
					return next, tr, map[string]any{"reason": rec.Reason, "save_flow": rec.ID, "at_period_end": d.AtPeriodEnd}, err
				}); err != nil {
					return rec, err
				}
				rec.Outcome, rec.DecidedAt = subscription.SaveCancelled, &now
				return rec, tx.SaveSaveRecord(ctx, tenantID, rec, false)
			}
			o, ok := subscription.Pick(rec.Offers, d.Accept)
			if !ok {
				return rec, tenure.Invalid(op, "accept", "was not offered for reason %s", rec.Reason)
			}
			switch o.Kind {
			case subscription.OfferCheaper:
				if _, err := s.changePlan(ctx, tx, tenantID, actor, sub, ActChangePlan, ActionRequest{Plan: o.Plan}); err != nil {
					return rec, err
				}
			case subscription.OfferPoints:
				pts := o.Points
				if _, err := s.applyLedgerOp(ctx, tx, tenantID, actor, sub.MemberID, LedgerOp{Wallet: tenure.Points, Amount: pts,
					Reason: "thank you for staying", Reference: sub.ID}, "adjusted",
					func(u *unit, b *ledger.Book, cause ledger.Cause) error {
						return b.Adjust(pts, u.prog.ExpiresAt(now), cause)
					}); err != nil {
					return rec, err
				}
				fallthrough
			default:
				if _, err := s.change(ctx, tx, tenantID, actor, sub, func(sub subscription.Subscription, _ subscription.Plan) (subscription.Subscription, subscription.Transition, map[string]any, error) {
					next, err := subscription.Accept(sub, o, rec.Reason, now)
					return next, subscription.Transition{From: sub.State, To: next.State, Event: "saved"}, map[string]any{"reason": rec.Reason, "offer": o, "save_flow": rec.ID}, err
				}); err != nil {
					return rec, err
				}
				if o.Kind == subscription.OfferPause {
					if err := tx.Schedule(ctx, tenantID, jobSubResume, dueKey(sub.ID, now.AddDate(0, 0, 7*o.Weeks)), sub.ID, now.AddDate(0, 0, 7*o.Weeks)); err != nil {
						return rec, err
					}
				}
			}
			rec.Outcome, rec.Accepted, rec.DecidedAt = subscription.SaveAccepted, &o, &now
			return rec, tx.SaveSaveRecord(ctx, tenantID, rec, false)
		})
		return err
	})
	return rec, err
}

// CancelFlow loads a cancel flow.
func (s *Subscriptions) CancelFlow(ctx context.Context, tenantID, id string) (rec subscription.SaveRecord, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { rec, err = tx.SaveRecord(ctx, tenantID, id); return err })
	return rec, err
}
