package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// Plans are the demo store's coffee-box plans, from seed 000: Basic at 49 zł a month with
// 10 % off extra purchases, Premium at 89 zł every two weeks with 20 % off and exclusive
// products, Gold at 129 zł a week with 30 % off and promo codes. Paid renewals earn bonus
// points at the 3rd, 6th and 12th.
func Plans() []subscription.Plan {
	milestones := []subscription.Milestone{{Paid: 3, Points: 100}, {Paid: 6, Points: 250}, {Paid: 12, Points: 600}}
	return []subscription.Plan{
		{Key: "basic", Name: "Basic", Currency: "PLN", Price: 4900, Interval: subscription.Interval{Unit: subscription.Month, Count: 1},
			Benefits:   subscription.PlanBenefits{ExtraPercentOff: 10},
			Commitment: []subscription.CommitmentStep{{AfterPaid: 6, PercentOff: 5}, {AfterPaid: 12, PercentOff: 10}},
			Proration:  subscription.ProrateImmediate, Milestones: milestones, Active: true},
		{Key: "premium", Name: "Premium", Currency: "PLN", Price: 8900, Interval: subscription.Interval{Unit: subscription.Week, Count: 2},
			Benefits:  subscription.PlanBenefits{ExtraPercentOff: 20, ExclusiveRewards: true},
			Proration: subscription.ProrateImmediate, Milestones: milestones, Active: true},
		{Key: "gold", Name: "Gold", Currency: "PLN", Price: 12900, Interval: subscription.Interval{Unit: subscription.Week, Count: 1},
			Benefits:  subscription.PlanBenefits{ExtraPercentOff: 30, PromoCodes: true, FreeShipping: true},
			Proration: subscription.ProratePeriodEnd, Milestones: milestones, Active: true},
	}
}

// Subscriber actions of the demo's script.
const (
	subSubscribe = "subscribe"
	subPause     = "pause"
	subResume    = "resume"
	subChange    = "change_plan"
	subQuantity  = "quantity"
	subCancel    = "cancel"      // the cancel flow, then cancel anyway
	subSave      = "cancel_save" // the cancel flow, then accept its first offer
)

// SubAction is one step of a subscriber's story, replayed on its day.
type SubAction struct {
	At         time.Time
	CustomerID string
	Kind       string
	Plan       string // subscribe, change_plan
	Card       string // subscribe: the test provider's card
	Reason     string // cancel flows
	Accept     string // cancel_save: the offer kind accepted
}

// subscribers writes n box subscribers' stories into h.Subs: customers who signed up a
// month or more before the end subscribe some days after signing up. Their fates are dealt in turn so that a
// store of any size has them all: most stay, some pause (half of them come back), some
// are kept by the cancel flow, some churn through it, some change plan or quantity, and
// a few pay with failing cards: one that fails every renewal's first attempt (recovered
// by dunning), and, among the last days' sign-ups, one that always fails, so the
// dunning queue is never empty. It draws from its own generator, so the rest of the
// store is the same with or without subscribers.
func (h *History) subscribers(seed uint64, n int, end time.Time) {
	if n <= 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed^0x5375_6273, seed))
	var pool []tenure.Event
	for _, e := range h.Events {
		if e.Type == tenure.CustomerCreated && e.OccurredAt.Before(end.AddDate(0, 0, -30)) {
			pool = append(pool, e)
		}
	}
	n = min(n, len(pool))
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	day := 24 * time.Hour
	within := func(from time.Time, d int) time.Time { return from.Add(time.Duration(1+rng.IntN(max(d, 1))) * day) }
	saves := [][2]string{{subscription.ReasonTooExpensive, subscription.OfferDiscount}, {subscription.ReasonTravelling, subscription.OfferPause},
		{subscription.ReasonQuality, subscription.OfferPoints}, {subscription.ReasonTooMuch, subscription.OfferSkip}}
	churns := []string{subscription.ReasonTooExpensive, subscription.ReasonNotUsing, subscription.ReasonSwitching, subscription.ReasonOther}
	for i, c := range pool[:n] {
		plan := []string{"basic", "basic", "basic", "premium", "premium", "gold"}[rng.IntN(6)]
		card := service.CardSucceeds
		at := within(c.OccurredAt, 21)
		fate := i % 12
		if fate == 11 { // in dunning now: subscribed in the last week with a card that fails
			at, card = end.Add(-time.Duration(1+rng.IntN(7))*day), service.CardFails
		} else if fate == 10 {
			card = service.CardFailN + "1"
		}
		if !at.Before(end) {
			at = end.Add(-day)
		}
		add := func(a SubAction) {
			if a.At.Before(end) {
				a.CustomerID = c.CustomerID
				h.Subs = append(h.Subs, a)
			}
		}
		add(SubAction{At: at, Kind: subSubscribe, Plan: plan, Card: card})
		left := int(end.Sub(at) / day)
		switch fate {
		case 0, 1: // churns through the cancel flow
			add(SubAction{At: within(at, left), Kind: subCancel, Reason: churns[rng.IntN(len(churns))]})
		case 2, 3: // kept by an offer
			s := saves[rng.IntN(len(saves))]
			add(SubAction{At: within(at, left), Kind: subSave, Reason: s[0], Accept: s[1]})
		case 4: // pauses; every other one comes back
			p := within(at, left)
			add(SubAction{At: p, Kind: subPause})
			if i%24 == 4 {
				add(SubAction{At: within(p, 90), Kind: subResume})
			}
		case 5: // changes plan: up from Basic, down from Gold
			to := map[string]string{"basic": "premium", "premium": "gold", "gold": "basic"}[plan]
			add(SubAction{At: within(at, left), Kind: subChange, Plan: to})
		case 6:
			add(SubAction{At: within(at, left), Kind: subQuantity})
		}
	}
	slices.SortStableFunc(h.Subs, func(a, b SubAction) int { return a.At.Compare(b.At) })
}

// setupPlans creates the demo's subscription plans on a tenant.
func setupPlans(ctx context.Context, svc *service.Service, tenantID, actor string) error {
	for _, p := range Plans() {
		if _, err := svc.Subscriptions.CreatePlan(ctx, tenantID, actor, p); err != nil {
			return err
		}
	}
	return nil
}

// subscriptionDay carries out the subscriber actions of one replayed day (acts, oldest
// first; they are dated before the clock). An action that no longer fits the
// subscription (a pause after dunning cancelled it) is dropped, as a shop would refuse it.
func subscriptionDay(ctx context.Context, svc *service.Service, tenantID string, acts []SubAction, subs map[string]string) error {
	s := svc.Subscriptions
	for _, a := range acts {
		id := subs[a.CustomerID]
		var err error
		switch a.Kind {
		case subSubscribe:
			var sub subscription.Subscription
			sub, err = s.Subscribe(ctx, tenantID, "demo", "", service.SubscribeRequest{CustomerID: a.CustomerID, Plan: a.Plan,
				Provider: "test", PaymentMethod: a.Card})
			subs[a.CustomerID] = sub.ID
		case subPause:
			_, err = s.Act(ctx, tenantID, "customer", "", id, service.ActPause, service.ActionRequest{})
		case subResume:
			_, err = s.Act(ctx, tenantID, "customer", "", id, service.ActResume, service.ActionRequest{})
		case subChange:
			_, err = s.Act(ctx, tenantID, "customer", "", id, service.ActChangePlan, service.ActionRequest{Plan: a.Plan})
		case subQuantity:
			_, err = s.Act(ctx, tenantID, "customer", "", id, service.ActQuantity, service.ActionRequest{Quantity: 2})
		case subCancel, subSave:
			var rec subscription.SaveRecord
			if rec, err = s.StartCancel(ctx, tenantID, "customer", id, a.Reason); err == nil {
				d := service.CancelDecision{}
				if a.Kind == subSave {
					d.Accept = a.Accept
				}
				_, err = s.DecideCancel(ctx, tenantID, "customer", "", rec.ID, d)
			}
		default:
			err = fmt.Errorf("demo: unknown subscriber action %q", a.Kind)
		}
		if err != nil && tenure.KindOf(err) != tenure.KindConflict && tenure.KindOf(err) != tenure.KindInvalid {
			return fmt.Errorf("demo: %s for %s: %w", a.Kind, a.CustomerID, err)
		}
	}
	return nil
}
