package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// subscriptionRoutes lists plans, subscriptions, the customer's actions, the cancel save
// flow, payment reports and the recurring-revenue metrics.
func (s *Server) subscriptionRoutes() {
	a := s.api
	read, integ, admin := tenure.ScopeReadOnly, tenure.ScopeIntegration, tenure.ScopeAdmin
	const tag = "Subscriptions"
	huma.Register(a, op("create-plan", http.MethodPost, "/v1/subscription-plans", "Create a subscription plan", tag, admin, 409), s.createPlan)
	huma.Register(a, op("list-plans", http.MethodGet, "/v1/subscription-plans", "List subscription plans", tag, read), s.listPlans)
	huma.Register(a, op("get-plan", http.MethodGet, "/v1/subscription-plans/{id}", "Get a plan by id or key", tag, read, 404), s.getPlan)
	huma.Register(a, op("create-subscription", http.MethodPost, "/v1/subscriptions", "Subscribe a customer to a plan; the first period is billed at once unless the plan has a trial", tag, integ, 409), s.createSubscription)
	huma.Register(a, op("list-subscriptions", http.MethodGet, "/v1/subscriptions", "List subscriptions", tag, read, 404), s.listSubscriptions)
	huma.Register(a, op("get-subscription", http.MethodGet, "/v1/subscriptions/{id}", "Get a subscription with its timeline of transitions, renewals and charges", tag, read, 404), s.getSubscription)
	for _, act := range []struct{ action, path, summary string }{
		{service.ActPause, "pause", "Pause, open-ended or until a date (until)"},
		{service.ActResume, "resume", "Resume a paused subscription on its original calendar"},
		{service.ActCancel, "cancel", "Cancel now, or at the end of the paid period (at_period_end)"},
		{service.ActUncancel, "uncancel", "Withdraw a cancellation at period end before the period ends"},
		{service.ActSkip, "skip", "Skip the next delivery, or the one starting at delivery_at"},
		{service.ActChangePlan, "change-plan", "Change plan (plan, optional interval) under the plan's proration policy"},
		{service.ActChangeFrequency, "change-frequency", "Change the delivery frequency (interval) to one the plan sells"},
		{service.ActSwap, "swap", "Swap the delivered product (product)"},
		{service.ActQuantity, "quantity", "Change the boxes per delivery (quantity)"},
	} {
		action := act.action
		huma.Register(a, op(act.path+"-subscription", http.MethodPost, "/v1/subscriptions/{id}/"+act.path, act.summary, tag, integ, 404, 409),
			func(ctx context.Context, in *actionIn) (*body[service.ActionResult], error) {
				k := caller(ctx)
				r, err := s.subs.Act(ctx, k.TenantID, actor(k), in.IdempotencyKey, in.ID, action, in.Body)
				if err != nil {
					return nil, s.problem(err)
				}
				return ok(r), nil
			})
	}
	huma.Register(a, op("start-cancel-flow", http.MethodPost, "/v1/subscriptions/{id}/cancel-flow", "Start a cancel flow: record the reason and get the offers that fit it", tag, integ, 404, 409), s.startCancelFlow)
	huma.Register(a, op("decide-cancel-flow", http.MethodPost, "/v1/subscription-cancel-flows/{id}/decision", "Accept one of the flow's offers, or cancel anyway", tag, integ, 404, 409), s.decideCancelFlow)
	huma.Register(a, op("get-save-flow", http.MethodGet, "/v1/subscription-settings/save-flow", "Get the cancel reasons and the offers for each", tag, read), s.getSaveFlow)
	huma.Register(a, op("put-save-flow", http.MethodPut, "/v1/subscription-settings/save-flow", "Replace the cancel reasons and offers", tag, admin), s.putSaveFlow)
	huma.Register(a, op("report-payment", http.MethodPost, "/v1/subscription-payments", "Report payment.succeeded or payment.failed for a renewal collected by the store (external provider)", tag, integ, 409), s.reportPayment)
	huma.Register(a, op("refund-renewal", http.MethodPost, "/v1/subscription-renewals/{id}/refund", "Refund a paid renewal: its order is refunded and its points clawed back", tag, integ, 404, 409), s.refundRenewal)
	huma.Register(a, op("get-subscription-benefits", http.MethodGet, "/v1/members/{id}/subscription-benefits", "What a member's subscriptions give on an extra purchase: the discount, free shipping, exclusive rewards", tag, read, 404), s.getBenefits)
	huma.Register(a, op("subscription-metrics", http.MethodGet, "/v1/subscription-metrics", "MRR movements per month, ARR, churn, ARPU, LTV, trial conversion, dunning recovery and save rate", tag, read), s.subscriptionMetrics)
	huma.Register(a, op("subscription-metrics-csv", http.MethodGet, "/v1/subscription-metrics.csv", "The MRR movements per month as CSV", tag, read), s.subscriptionMetricsCSV)
}

func (s *Server) createPlan(ctx context.Context, in *body[subscription.Plan]) (*body[subscription.Plan], error) {
	k := caller(ctx)
	p, err := s.subs.CreatePlan(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(p), nil
}

func (s *Server) listPlans(ctx context.Context, _ *struct{}) (*body[listBody[subscription.Plan]], error) {
	ps, err := s.subs.Plans(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ps, ""), nil
}

func (s *Server) getPlan(ctx context.Context, in *idPath) (*body[subscription.Plan], error) {
	p, err := s.subs.Plan(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(p), nil
}

type subscribeIn struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Retrying with the same key returns the first subscription and changes nothing"`
	Body           service.SubscribeRequest
}

func (s *Server) createSubscription(ctx context.Context, in *subscribeIn) (*body[subscription.Subscription], error) {
	k := caller(ctx)
	sub, err := s.subs.Subscribe(ctx, k.TenantID, actor(k), in.IdempotencyKey, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(sub), nil
}

type listSubscriptionsIn struct {
	Customer string `query:"customer" maxLength:"160" doc:"Only this member's (member id or the store's customer id)"`
	State    string `query:"state" enum:"trialing,active,paused,past_due,cancelled,expired," doc:"Only subscriptions in this state"`
	Cursor   string `query:"cursor" maxLength:"64"`
	Limit    int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

func (s *Server) listSubscriptions(ctx context.Context, in *listSubscriptionsIn) (*body[listBody[subscription.Subscription]], error) {
	subs, err := s.subs.List(ctx, caller(ctx).TenantID, service.SubscriptionFilter{Customer: in.Customer, State: in.State, After: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, s.problem(err)
	}
	next := ""
	if len(subs) == in.Limit {
		next = subs[len(subs)-1].ID
	}
	return list(subs, next), nil
}

func (s *Server) getSubscription(ctx context.Context, in *idPath) (*body[service.Timeline], error) {
	tl, err := s.subs.Timeline(ctx, caller(ctx).TenantID, in.ID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(tl), nil
}

type actionIn struct {
	ID             string `path:"id" maxLength:"160" doc:"Subscription id"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Retrying with the same key returns the first result and changes nothing"`
	Body           service.ActionRequest
}

type cancelFlowIn struct {
	ID   string `path:"id" maxLength:"160" doc:"Subscription id"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"64" doc:"One of the store's cancel reasons (GET /v1/subscription-settings/save-flow)"`
	}
}

func (s *Server) startCancelFlow(ctx context.Context, in *cancelFlowIn) (*body[subscription.SaveRecord], error) {
	k := caller(ctx)
	r, err := s.subs.StartCancel(ctx, k.TenantID, actor(k), in.ID, in.Body.Reason)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type decisionIn struct {
	ID             string `path:"id" maxLength:"160" doc:"Cancel flow id"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"128" doc:"Retrying with the same key returns the first result and changes nothing"`
	Body           service.CancelDecision
}

func (s *Server) decideCancelFlow(ctx context.Context, in *decisionIn) (*body[subscription.SaveRecord], error) {
	k := caller(ctx)
	r, err := s.subs.DecideCancel(ctx, k.TenantID, actor(k), in.IdempotencyKey, in.ID, in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

func (s *Server) getSaveFlow(ctx context.Context, _ *struct{}) (*body[subscription.SaveFlow], error) {
	f, err := s.subs.SaveFlow(ctx, caller(ctx).TenantID)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(f), nil
}

func (s *Server) putSaveFlow(ctx context.Context, in *body[subscription.SaveFlow]) (*body[subscription.SaveFlow], error) {
	k := caller(ctx)
	f, err := s.subs.SetSaveFlow(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(f), nil
}

func (s *Server) reportPayment(ctx context.Context, in *body[service.PaymentReport]) (*body[subscription.Renewal], error) {
	k := caller(ctx)
	r, err := s.subs.ReportPayment(ctx, k.TenantID, actor(k), in.Body)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type refundIn struct {
	ID   string `path:"id" maxLength:"160" doc:"Renewal id"`
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"500" doc:"Why, for the audit log"`
	}
}

func (s *Server) refundRenewal(ctx context.Context, in *refundIn) (*body[subscription.Renewal], error) {
	k := caller(ctx)
	r, err := s.subs.RefundRenewal(ctx, k.TenantID, actor(k), in.ID, in.Body.Reason)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}

type subMetricsQuery struct {
	From time.Time `query:"from" doc:"First month (RFC 3339); default twelve months before to"`
	To   time.Time `query:"to" doc:"Last instant counted (RFC 3339); default now"`
}

func (s *Server) metricsRange(in *subMetricsQuery) (time.Time, time.Time, error) {
	to := in.To
	if to.IsZero() {
		to = s.svc.Clock.Now()
	}
	from := in.From
	if from.IsZero() {
		from = to.AddDate(-1, 0, 0)
	}
	if from.After(to) {
		return from, to, s.problem(tenure.Invalid("api.subscriptionMetrics", "from", "must not be after to"))
	}
	if to.Sub(from) > 10*366*24*time.Hour {
		return from, to, s.problem(tenure.Invalid("api.subscriptionMetrics", "from", "the range is at most ten years"))
	}
	return from.UTC(), to.UTC(), nil
}

func (s *Server) subscriptionMetrics(ctx context.Context, in *subMetricsQuery) (*body[service.SubscriptionMetrics], error) {
	from, to, err := s.metricsRange(in)
	if err != nil {
		return nil, err
	}
	m, err := s.subs.Metrics(ctx, caller(ctx).TenantID, from, to)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(m), nil
}

func (s *Server) subscriptionMetricsCSV(ctx context.Context, in *subMetricsQuery) (*csvOut, error) {
	from, to, err := s.metricsRange(in)
	if err != nil {
		return nil, err
	}
	m, err := s.subs.Metrics(ctx, caller(ctx).TenantID, from, to)
	if err != nil {
		return nil, s.problem(err)
	}
	return csvFile("subscription-metrics.csv", func(b *bytes.Buffer) error {
		w := csv.NewWriter(b)
		_ = w.Write([]string{"month", "start_mrr", "new", "expansion", "contraction", "churned", "reactivated", "end_mrr", "arr",
			"start_subscribers", "end_subscribers", "subscriber_churn", "revenue_churn", "arpu", "ltv"})
		i := func(v int64) string { return strconv.FormatInt(v, 10) }
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
		for _, mv := range m.Movements {
			_ = w.Write([]string{mv.Month.Format("2006-01"), i(mv.Start), i(mv.New), i(mv.Expansion), i(mv.Contraction), i(mv.Churned), i(mv.Reactivated),
				i(mv.End), i(mv.ARR), strconv.Itoa(mv.StartSubscribers), strconv.Itoa(mv.EndSubscribers), f(mv.SubscriberChurn), f(mv.RevenueChurn), i(mv.ARPU), i(mv.LTV)})
		}
		w.Flush()
		return w.Error()
	})
}

type benefitsIn struct {
	ID       string `path:"id" maxLength:"160" doc:"Member id or the store's customer id"`
	Subtotal int64  `query:"subtotal" minimum:"0" doc:"An extra purchase's subtotal (minor units): the answer says the subscriber discount on it"`
}

func (s *Server) getBenefits(ctx context.Context, in *benefitsIn) (*body[service.MemberBenefits], error) {
	b, err := s.subs.Benefits(ctx, caller(ctx).TenantID, in.ID, in.Subtotal)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(b), nil
}
