package widget

import (
	"context"
	"slices"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// Subscriptions is the member's own subscriptions, with the store's cancel reasons.
type Subscriptions struct {
	Subscriptions []subscription.Subscription `json:"subscriptions"`
	Reasons       []string                    `json:"cancel_reasons" doc:"Reasons the cancel flow accepts"`
}

// Subscriptions lists the member's subscriptions (next delivery, skips, state).
func (a *MemberAPI) Subscriptions(ctx context.Context, c Caller) (Subscriptions, error) {
	list, err := a.svc.subs.List(ctx, c.Claims.Tenant, service.SubscriptionFilter{Customer: c.Member.ID})
	if err != nil {
		return Subscriptions{}, err
	}
	flow, err := a.svc.subs.SaveFlow(ctx, c.Claims.Tenant)
	if err != nil {
		return Subscriptions{}, err
	}
	out := Subscriptions{Subscriptions: list, Reasons: []string{}}
	if out.Subscriptions == nil {
		out.Subscriptions = []subscription.Subscription{}
	}
	for reason := range flow {
		out.Reasons = append(out.Reasons, reason)
	}
	slices.Sort(out.Reasons)
	return out, nil
}

// MemberActions are what a shopper may do to their own subscription: every customer
// action but a plan change, which the store makes.
var MemberActions = []string{service.ActPause, service.ActResume, service.ActSkip, service.ActSwap,
	service.ActChangeFrequency, service.ActQuantity, service.ActUncancel, service.ActCancel}

// own loads one of the member's subscriptions; another member's is not found, exactly
// like one that does not exist.
func (a *MemberAPI) own(ctx context.Context, c Caller, id string) (subscription.Subscription, error) {
	sub, err := a.svc.subs.Subscription(ctx, c.Claims.Tenant, id)
	if err != nil || sub.MemberID != c.Member.ID {
		return sub, tenure.NotFound("widget.Subscription", "subscription", id)
	}
	return sub, nil
}

// Act runs one action on one of the member's subscriptions, once per idempotency key.
func (a *MemberAPI) Act(ctx context.Context, c Caller, id, action, idemKey string, in service.ActionRequest) (service.ActionResult, error) {
	const op = "widget.Act"
	if !slices.Contains(MemberActions, action) {
		return service.ActionResult{}, tenure.Errorf(tenure.KindNotFound, op, "no such subscription action")
	}
	key, err := memberKey(op, idemKey)
	if err != nil {
		return service.ActionResult{}, err
	}
	if in.Plan != "" {
		return service.ActionResult{}, tenure.Invalid(op, "plan", "a plan change is made by the store")
	}
	sub, err := a.own(ctx, c, id)
	if err != nil {
		return service.ActionResult{}, err
	}
	return a.svc.subs.Act(ctx, c.Claims.Tenant, "member:"+c.Member.ExternalID, "widget/"+c.Member.ID+"/"+key, sub.ID, action, in)
}

// StartCancel opens the cancel save flow of one of the member's subscriptions.
func (a *MemberAPI) StartCancel(ctx context.Context, c Caller, id, reason string) (subscription.SaveRecord, error) {
	sub, err := a.own(ctx, c, id)
	if err != nil {
		return subscription.SaveRecord{}, err
	}
	return a.svc.subs.StartCancel(ctx, c.Claims.Tenant, "member:"+c.Member.ExternalID, sub.ID, reason)
}

// DecideCancel answers one of the member's own cancel flows.
func (a *MemberAPI) DecideCancel(ctx context.Context, c Caller, flowID, idemKey string, d service.CancelDecision) (subscription.SaveRecord, error) {
	const op = "widget.DecideCancel"
	key, err := memberKey(op, idemKey)
	if err != nil {
		return subscription.SaveRecord{}, err
	}
	flow, err := a.svc.subs.CancelFlow(ctx, c.Claims.Tenant, flowID)
	if err != nil {
		return flow, tenure.NotFound(op, "cancel flow", flowID)
	}
	if _, err := a.own(ctx, c, flow.SubscriptionID); err != nil {
		return flow, tenure.NotFound(op, "cancel flow", flowID)
	}
	return a.svc.subs.DecideCancel(ctx, c.Claims.Tenant, "member:"+c.Member.ExternalID, "widget/"+c.Member.ID+"/"+key, flow.ID, d)
}

func memberKey(op, idemKey string) (string, error) {
	key := strings.TrimSpace(idemKey)
	if key == "" || len(key) > 128 {
		return "", tenure.Invalid(op, "header.Idempotency-Key", "is required (1 to 128 characters): a new random value per action, the same on a retry")
	}
	return key, nil
}
