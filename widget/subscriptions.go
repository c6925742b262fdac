package widget

import (
	"encoding/json"
	"io"
	"slices"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// Subscriptions is the member's own subscriptions, with the store's cancel reasons.
type Subscriptions struct {
	Subscriptions []subscription.Subscription `json:"subscriptions"`
	Reasons       []string                    `json:"cancel_reasons"`
}

func (h *Handler) subscriptions(r *request) (any, error) {
	list, err := h.svc.subs.List(r.Context(), r.claims.Tenant, service.SubscriptionFilter{Customer: r.member.ID})
	if err != nil {
		return nil, err
	}
	flow, err := h.svc.subs.SaveFlow(r.Context(), r.claims.Tenant)
	if err != nil {
		return nil, err
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

// memberActions are what a shopper may do to their own subscription from the widget.
var memberActions = map[string]string{
	"pause": service.ActPause, "resume": service.ActResume, "skip": service.ActSkip, "swap": service.ActSwap,
	"change-frequency": service.ActChangeFrequency, "quantity": service.ActQuantity, "uncancel": service.ActUncancel,
	"cancel": service.ActCancel, "cancel-flow": "cancel-flow",
}

// subscriptionAction runs one action on one of the member's subscriptions. Another
// member's subscription is not found, exactly like one that does not exist.
func (h *Handler) subscriptionAction(r *request) (any, error) {
	const op = "widget.SubscriptionAction"
	action, ok := memberActions[r.PathValue("action")]
	if !ok {
		return nil, tenure.Errorf(tenure.KindNotFound, op, "no such subscription action")
	}
	sub, err := h.svc.subs.Subscription(r.Context(), r.claims.Tenant, r.PathValue("ref"))
	if err != nil || sub.MemberID != r.member.ID {
		return nil, tenure.NotFound(op, "subscription", r.PathValue("ref"))
	}
	actor := "member:" + r.member.ExternalID
	if action == "cancel-flow" {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
		return h.svc.subs.StartCancel(r.Context(), r.claims.Tenant, actor, sub.ID, in.Reason)
	}
	key, err := idemKey(r, op)
	if err != nil {
		return nil, err
	}
	var in service.ActionRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	if in.Plan != "" {
		return nil, tenure.Invalid(op, "plan", "a plan change is made by the store")
	}
	return h.svc.subs.Act(r.Context(), r.claims.Tenant, actor, "widget/"+r.member.ID+"/"+key, sub.ID, action, in)
}

// cancelDecision answers one of the member's own cancel flows.
func (h *Handler) cancelDecision(r *request) (any, error) {
	const op = "widget.CancelDecision"
	flow, err := h.svc.subs.CancelFlow(r.Context(), r.claims.Tenant, r.PathValue("ref"))
	if err != nil {
		return nil, tenure.NotFound(op, "cancel flow", r.PathValue("ref"))
	}
	sub, err := h.svc.subs.Subscription(r.Context(), r.claims.Tenant, flow.SubscriptionID)
	if err != nil || sub.MemberID != r.member.ID {
		return nil, tenure.NotFound(op, "cancel flow", r.PathValue("ref"))
	}
	key, err := idemKey(r, op)
	if err != nil {
		return nil, err
	}
	var d service.CancelDecision
	if err := decodeBody(r, &d); err != nil {
		return nil, err
	}
	return h.svc.subs.DecideCancel(r.Context(), r.claims.Tenant, "member:"+r.member.ExternalID, "widget/"+r.member.ID+"/"+key, flow.ID, d)
}

func idemKey(r *request, op string) (string, error) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" || len(key) > 128 {
		return "", tenure.Invalid(op, "header.Idempotency-Key", "is required (1 to 128 characters): a new random value per action, the same on a retry")
	}
	return key, nil
}

func decodeBody(r *request, v any) error {
	d := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil && err != io.EOF {
		return tenure.Invalid("widget.decode", "body", "must be a JSON object: %v", err)
	}
	return nil
}
