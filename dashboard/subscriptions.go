package dashboard

import (
	"net/http"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// subscriptionsData is the subscriptions page: plans with their subscribers and MRR, the
// MRR movements of the last twelve months, the save-flow results, the dunning queue and
// the latest subscriptions (of one state, if chosen).
type subscriptionsData struct {
	Currency string
	Plans    []subscription.Plan
	Metrics  service.SubscriptionMetrics
	Dunning  []subscription.Subscription
	List     []subscription.Subscription
	State    string
	States   []string
	Charts   []chart // the MRR movements, drawn by the page script
}

var subscriptionStates = []string{"trialing", "active", "paused", "past_due", "cancelled", "expired"}

func (d *Dashboard) subscriptions(q *req) error {
	ctx, tid := q.r.Context(), q.tenant.ID
	subs := d.svc.Subscriptions
	state := q.r.URL.Query().Get("state")
	if state != "" && !contains(subscriptionStates, state) {
		return tenure.Invalid("dashboard.subscriptions", "state", "must be one of trialing, active, paused, past_due, cancelled, expired")
	}
	plans, err := subs.Plans(ctx, tid)
	if err != nil {
		return err
	}
	now := d.svc.Clock.Now()
	m, err := subs.Metrics(ctx, tid, now.AddDate(0, -11, 0), now)
	if err != nil {
		return err
	}
	dunning, err := subs.List(ctx, tid, service.SubscriptionFilter{State: string(subscription.PastDue), Limit: 50})
	if err != nil {
		return err
	}
	list, err := subs.List(ctx, tid, service.SubscriptionFilter{State: state, Limit: 100})
	if err != nil {
		return err
	}
	d.render(q, http.StatusOK, "subscriptions", "Subscriptions", subscriptionsData{Currency: q.tenant.Program.Currency, Plans: plans, Metrics: m,
		Dunning: dunning, List: list, State: state, States: subscriptionStates,
		Charts: []chart{mrrChart(m.Movements, q.tenant.Program.Currency)}})
	return nil
}

// subscriptionData is one subscription's page: its state and timeline.
type subscriptionData struct {
	Currency string
	Timeline service.Timeline
	Now      time.Time
}

func (d *Dashboard) subscriptionPage(q *req) error {
	tl, err := d.svc.Subscriptions.Timeline(q.r.Context(), q.tenant.ID, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(q, http.StatusOK, "subscription", "Subscription "+tl.Subscription.ID, subscriptionData{Currency: q.tenant.Program.Currency, Timeline: tl, Now: d.svc.Clock.Now()})
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
