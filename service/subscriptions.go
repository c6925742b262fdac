package service

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/subscription"
)

// Subscriptions is the subscription service: plans, subscribing, the customer's actions,
// the renewal scheduler on the durable jobs, payments, dunning and the save flow. Every
// change of a subscription is one transaction that writes the subscription (guarded by
// its version), its timeline entry with the MRR after it, the audit entry with the actor,
// the subscription.* webhook and the jobs it schedules.
type Subscriptions struct{ *subs }

// subs holds the subscription service's state and the steps its operations share.
type subs struct {
	*core
	// Providers by name; "test" and "external" are always present.
	Providers map[string]PaymentProvider
	// DefaultProvider is used when a subscription names none.
	DefaultProvider string
}

func newSubscriptions(c *core) *Subscriptions {
	return &Subscriptions{&subs{core: c, Providers: map[string]PaymentProvider{"test": NewTestProvider(), "external": ExternalProvider{}}, DefaultProvider: "test"}}
}

// AddProvider registers a payment provider under its name.
func (s *Subscriptions) AddProvider(p PaymentProvider) { s.Providers[p.Name()] = p }

// CreatePlan validates and stores a plan.
func (s *Subscriptions) CreatePlan(ctx context.Context, tenantID, actor string, p subscription.Plan) (subscription.Plan, error) {
	p.Normalize()
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := s.db.Write(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, tenantID)
		if err != nil {
			return err
		}
		if p.Currency != t.Program.Currency {
			return tenure.Invalid("service.CreatePlan", "currency", "must be the program currency %s", t.Program.Currency)
		}
		if _, err := tx.Plan(ctx, tenantID, p.Key); err == nil {
			return &tenure.Error{Kind: tenure.KindConflict, Op: "service.CreatePlan", Message: "plan key taken",
				Fields: []tenure.FieldError{{Field: "key", Message: "a plan with key " + p.Key + " exists"}}}
		}
		p.ID, p.CreatedAt = tx.NewID("pln"), tx.Now
		if err := tx.SavePlan(ctx, tenantID, p, true); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, tenantID, "subscription.plan_created", "", p); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "subscription.plan_created", "plan", p.ID, map[string]any{"key": p.Key, "price": p.Price})
	})
	return p, err
}

// Plans lists a tenant's plans.
func (s *Subscriptions) Plans(ctx context.Context, tenantID string) (ps []subscription.Plan, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { ps, err = tx.Plans(ctx, tenantID); return err })
	return ps, err
}

// Plan loads a plan by id or key.
func (s *Subscriptions) Plan(ctx context.Context, tenantID, ref string) (p subscription.Plan, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { p, err = tx.Plan(ctx, tenantID, ref); return err })
	return p, err
}

// SubscribeRequest starts a subscription.
type SubscribeRequest struct {
	CustomerID    string                 `json:"customer_id" minLength:"1" maxLength:"128" doc:"The store's id of the customer; enrolled if new"`
	Plan          string                 `json:"plan" minLength:"1" maxLength:"128" doc:"Plan id or key"`
	Interval      *subscription.Interval `json:"interval,omitempty" doc:"One of the plan's frequencies; defaults to the plan's own"`
	Quantity      int                    `json:"quantity,omitempty" doc:"Boxes per delivery, 1 to 100; default 1"`
	Product       string                 `json:"product,omitempty" maxLength:"128" doc:"One of the plan's products"`
	Provider      string                 `json:"provider,omitempty" enum:"test,external,stripe" doc:"Payment provider; defaults to the store's"`
	PaymentMethod string                 `json:"payment_method,omitempty" maxLength:"128" doc:"The provider's saved payment method (for test: card_succeeds, card_fails, card_fails_N, card_action)"`
}

// Subscribe starts a subscription: a trial when the plan has one, otherwise the first
// period is billed at once (for a fixed day of month, the stub up to that day, prorated).
func (s *Subscriptions) Subscribe(ctx context.Context, tenantID, actor, idemKey string, req SubscribeRequest) (subscription.Subscription, error) {
	var probs tenure.Problems
	if req.CustomerID == "" {
		probs.Add("customer_id", "is required")
	}
	if req.Plan == "" {
		probs.Add("plan", "is required")
	}
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	if req.Quantity < 1 || req.Quantity > 100 {
		probs.Add("quantity", "must be 1 to 100")
	}
	if req.Provider == "" {
		req.Provider = s.DefaultProvider
	}
	if _, ok := s.Providers[req.Provider]; !ok {
		probs.Add("provider", "is not configured on this server")
	}
	if req.Interval != nil && !req.Interval.Valid() {
		probs.Add("interval", "unit must be day, week, month or year and count at least 1")
	}
	if err := probs.Err("service.Subscribe"); err != nil {
		return subscription.Subscription{}, err
	}
	var out subscription.Subscription
	err := s.db.Write(ctx, func(tx *storage.Tx) (err error) {
		out, err = idempotent(ctx, tx, tenantID, idemKey, "subscription.subscribe", req, func() (subscription.Subscription, error) {
			return s.subscribe(ctx, tx, tenantID, actor, req)
		})
		return err
	})
	return out, err
}

func (s *subs) subscribe(ctx context.Context, tx *storage.Tx, tenantID, actor string, req SubscribeRequest) (subscription.Subscription, error) {
	const op = "service.Subscribe"
	p, err := tx.Plan(ctx, tenantID, req.Plan)
	if tenure.KindOf(err) == tenure.KindNotFound {
		return subscription.Subscription{}, tenure.Invalid(op, "plan", "no plan %q", req.Plan)
	}
	if err != nil {
		return subscription.Subscription{}, err
	}
	if !p.Active {
		return subscription.Subscription{}, tenure.Invalid(op, "plan", "plan %s is closed to new subscribers", p.Key)
	}
	iv := p.Interval
	if req.Interval != nil {
		iv = *req.Interval
	}
	price, ok := p.PriceFor(iv)
	if !ok {
		return subscription.Subscription{}, tenure.Invalid(op, "interval", "plan %s is not sold every %d %s", p.Key, iv.Count, iv.Unit)
	}
	if req.Product != "" && !contains(p.Products, req.Product) {
		return subscription.Subscription{}, tenure.Invalid(op, "product", "is not one of plan %s's products", p.Key)
	}
	m, err := tx.Member(ctx, tenantID, req.CustomerID, true)
	if tenure.KindOf(err) == tenure.KindNotFound {
		m, err = s.enrol(ctx, tx, tenantID, req.CustomerID, nil, "")
	}
	if err != nil {
		return subscription.Subscription{}, err
	}
	now := tx.Now
	sub := subscription.Subscription{ID: tx.NewID("sub"), MemberID: m.ID, CustomerID: m.ExternalID, PlanID: p.ID, PlanKey: p.Key,
		State: subscription.Active, Price: price, Currency: p.Currency, Quantity: req.Quantity, Product: req.Product,
		Provider: req.Provider, PaymentMethod: req.PaymentMethod, CreatedAt: now, UpdatedAt: now}
	if sub.Product == "" && len(p.Products) > 0 {
		sub.Product = p.Products[0]
	}
	start := now
	if p.TrialDays > 0 {
		start = now.AddDate(0, 0, p.TrialDays)
		sub.State, sub.TrialEnd, sub.PeriodStart, sub.PeriodEnd = subscription.Trialing, &start, &now, &start
	}
	anchor := start
	if p.Anchor == subscription.AnchorDayOfMonth {
		anchor = subscription.DayOfMonthAnchor(start, p.AnchorDay)
		if p.TrialDays > 0 { // the trial runs to the anchor day
			start = anchor
			sub.TrialEnd, sub.PeriodEnd = &anchor, &anchor
		}
	}
	sub.Schedule = subscription.Calendar{Anchor: anchor, Interval: iv}
	if p.Anchor == subscription.AnchorDayOfMonth {
		sub.Schedule.Day = p.AnchorDay
	}
	sub.NextAt = anchor
	if err := tx.InsertSubscription(ctx, tenantID, sub); err != nil {
		return sub, err
	}
	if err := s.record(ctx, tx, tenantID, actor, sub, p, subscription.Transition{From: "", To: sub.State, Event: "created"},
		map[string]any{"plan": p.Key, "price": price, "interval": iv}); err != nil {
		return sub, err
	}
	if p.TrialDays == 0 && anchor.After(now) {
		// A fixed day of month that is not today: the stub up to it is billed now,
		// prorated against the first full period.
		stub := subscription.Prorate(price*int64(sub.Quantity), anchor.Sub(now), sub.Schedule.Start(1).Sub(anchor))
		if sub, err = s.billStub(ctx, tx, tenantID, sub, p, stub); err != nil {
			return sub, err
		}
	}
	if err := s.scheduleNext(ctx, tx, tenantID, sub, p); err != nil {
		return sub, err
	}
	if !anchor.After(now) {
		return s.renew(ctx, tx, tenantID, sub.ID, sub.NextAt)
	}
	return sub, nil
}

// Subscription loads one of a tenant's subscriptions.
func (s *Subscriptions) Subscription(ctx context.Context, tenantID, id string) (sub subscription.Subscription, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { sub, err = tx.Subscription(ctx, tenantID, id, false); return err })
	return sub, err
}

// SubscriptionFilter selects subscriptions to list.
type SubscriptionFilter struct {
	Customer string // member id or the store's customer id
	State    string
	After    string // id cursor
	Limit    int    // 0: all
}

// List lists a tenant's subscriptions by id after the cursor.
func (s *Subscriptions) List(ctx context.Context, tenantID string, f SubscriptionFilter) (out []subscription.Subscription, err error) {
	sf := storage.SubscriptionFilter{State: f.State, After: f.After, Limit: f.Limit}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		if f.Customer != "" {
			m, err := tx.Member(ctx, tenantID, f.Customer, false)
			if err != nil {
				return err
			}
			sf.MemberID = m.ID
		}
		out, err = tx.Subscriptions(ctx, tenantID, sf)
		return err
	})
	return out, err
}

// Timeline is a subscription with every transition, renewal and charge.
type Timeline struct {
	Subscription subscription.Subscription       `json:"subscription"`
	Transitions  []subscription.TransitionRecord `json:"transitions"`
	Renewals     []RenewalWithCharges            `json:"renewals"`
}

// RenewalWithCharges is a renewal and its charge attempts.
type RenewalWithCharges struct {
	subscription.Renewal
	Charges []subscription.Charge `json:"charges"`
}

// Timeline loads a subscription's history.
func (s *Subscriptions) Timeline(ctx context.Context, tenantID, id string) (tl Timeline, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		if tl.Subscription, err = tx.Subscription(ctx, tenantID, id, false); err != nil {
			return err
		}
		if tl.Transitions, err = tx.Transitions(ctx, tenantID, id); err != nil {
			return err
		}
		rs, err := tx.Renewals(ctx, tenantID, id)
		if err != nil {
			return err
		}
		for _, r := range rs {
			cs, err := tx.Charges(ctx, tenantID, r.ID)
			if err != nil {
				return err
			}
			tl.Renewals = append(tl.Renewals, RenewalWithCharges{Renewal: r, Charges: cs})
		}
		return nil
	})
	return tl, err
}

// record writes a transition's timeline entry (with the MRR after it), its webhook
// subscription.<event> and its audit entry.
func (s *subs) record(ctx context.Context, tx *storage.Tx, tenantID, actor string, sub subscription.Subscription, p subscription.Plan,
	tr subscription.Transition, detail map[string]any) error {
	mrr := subscription.MRR(sub, p)
	if err := tx.AddTransition(ctx, tenantID, subscription.TransitionRecord{SubscriptionID: sub.ID, From: tr.From, To: tr.To,
		Event: tr.Event, Actor: actor, MRR: mrr, Detail: detail}); err != nil {
		return err
	}
	if _, err := tx.Emit(ctx, tenantID, "subscription."+webhookName(tr.Event), sub.MemberID, subscriptionMessage{Subscription: sub, From: tr.From, Event: tr.Event, MRR: mrr, Detail: detail}); err != nil {
		return err
	}
	return tx.Audit(ctx, tenantID, actor, "subscription."+tr.Event, "subscription", sub.ID, detail)
}

// webhookName maps the state machine's event names to the webhook types.
func webhookName(ev string) string {
	switch ev {
	case subscription.EvPause:
		return "paused"
	case subscription.EvResume:
		return "resumed"
	case subscription.EvCancel:
		return "cancelled"
	case subscription.EvUncancel:
		return "uncancelled"
	case subscription.EvEnd:
		return "ended"
	case subscription.EvExpire:
		return "expired"
	case subscription.EvPaid:
		return "renewed"
	case subscription.EvFailed:
		return "payment_failed"
	case subscription.EvExhausted:
		return "dunning_exhausted"
	}
	return strings.ReplaceAll(ev, ".", "_")
}

// subscriptionMessage is the body of every subscription.* webhook.
type subscriptionMessage struct {
	Subscription subscription.Subscription `json:"subscription"`
	From         subscription.State        `json:"from_state,omitempty"`
	Event        string                    `json:"event"`
	MRR          int64                     `json:"mrr"`
	Detail       map[string]any            `json:"detail,omitempty"`
}

// save writes a changed subscription over version prev.
func save(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, prev int) error {
	return tx.UpdateSubscription(ctx, tenantID, sub, prev)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// jobs of the subscription service.
const (
	jobSubRenew  = "subscription.renew"  // key sub@due/vN; payload sub id: bill (or skip, end) the period due
	jobSubRetry  = "subscription.retry"  // key renewal#attempt; payload renewal id: the dunning ladder's next attempt
	jobSubResume = "subscription.resume" // key sub@until; payload sub id: the end of a dated pause
	jobSubNotice = "subscription.notice" // key sub@due; payload sub id: the upcoming-renewal notice
)

func dueKey(id string, t time.Time) string { return id + "@" + t.UTC().Format(time.RFC3339Nano) }

// scheduleNext schedules the renewal job of the subscription's next period (and its
// notice N days before), unless the subscription is paused or has ended.
func (s *subs) scheduleNext(ctx context.Context, tx *storage.Tx, tenantID string, sub subscription.Subscription, p subscription.Plan) error {
	if sub.State.Ended() || sub.State == subscription.Paused {
		return nil
	}
	// The key carries the version: a subscription that waited (paused) and is due again
	// at the same instant gets a job of its own; stale jobs find NextAt moved and stop.
	kind, key, payload, at := RenewalJob(sub)
	if err := tx.Schedule(ctx, tenantID, kind, key, payload, at); err != nil {
		return err
	}
	if p.NoticeDays > 0 {
		if at := sub.NextAt.AddDate(0, 0, -p.NoticeDays); at.After(tx.Now) {
			return tx.Schedule(ctx, tenantID, jobSubNotice, dueKey(sub.ID, sub.NextAt), sub.ID, at)
		}
	}
	return nil
}

// RenewalJob names the durable job that renews sub's next period (kind, key, payload and
// when it runs): what Subscribe schedules, for tools that load subscriptions in bulk.
func RenewalJob(sub subscription.Subscription) (kind, key, payload string, at time.Time) {
	return jobSubRenew, dueKey(sub.ID, sub.NextAt) + "/v" + strconv.Itoa(sub.Version), sub.ID, sub.NextAt
}
