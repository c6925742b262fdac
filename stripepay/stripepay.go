// Package stripepay collects subscription renewals with Stripe: an off-session
// PaymentIntent, confirmed at once, on the customer's saved payment method, through the
// official stripe-go client. The renewal charge's idempotency key (derived from the
// renewal id and the attempt) is sent as Stripe's Idempotency-Key, so a charge repeated
// after a crash or a lost job lease is one payment at Stripe.
package stripepay

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/stripe/stripe-go/v82"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// Provider is the "stripe" payment provider.
type Provider struct {
	client *stripe.Client
}

// New returns a provider with the secret key. baseURL overrides Stripe's API address
// (stripe-mock in tests); empty uses Stripe's. The client does not retry by itself: a
// transient failure rolls the renewal back and the job retries with the same key.
func New(key, baseURL string, hc *http.Client) *Provider {
	cfg := &stripe.BackendConfig{MaxNetworkRetries: stripe.Int64(0), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull}, HTTPClient: hc}
	if baseURL != "" {
		cfg.URL = stripe.String(baseURL)
	}
	return &Provider{client: stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))}
}

// Name is "stripe".
func (*Provider) Name() string { return "stripe" }

// Charge creates and confirms an off-session PaymentIntent. The subscription's payment
// method is "cus_…:pm_…" (the Stripe customer and their saved method) or "pm_…". A card
// declined or needing authentication is a result; an outage or a rate limit is an error
// (retried later with the same idempotency key).
func (p *Provider) Charge(ctx context.Context, req service.ChargeRequest) (service.ChargeResult, error) {
	customer, method, ok := strings.Cut(req.PaymentMethod, ":")
	if !ok {
		customer, method = "", req.PaymentMethod
	}
	params := &stripe.PaymentIntentCreateParams{
		Amount:     stripe.Int64(req.Amount),
		Currency:   stripe.String(strings.ToLower(req.Currency)),
		Confirm:    stripe.Bool(true),
		OffSession: stripe.Bool(true),
		Metadata: map[string]string{"tenure_subscription_id": req.SubscriptionID, "tenure_renewal_id": req.RenewalID,
			"tenure_attempt": strconv.Itoa(req.Attempt), "tenure_customer_id": req.CustomerID},
	}
	if method != "" {
		params.PaymentMethod = stripe.String(method)
	}
	if customer != "" {
		params.Customer = stripe.String(customer)
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := p.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && (se.Type == stripe.ErrorTypeCard || se.Type == stripe.ErrorTypeInvalidRequest) {
			r := service.ChargeResult{Status: subscription.ChargeFailed, Error: se.Msg}
			if se.PaymentIntent != nil {
				r.Ref = se.PaymentIntent.ID
				if se.PaymentIntent.Status == stripe.PaymentIntentStatusRequiresAction {
					r.Status = subscription.ChargeAction
				}
			}
			if r.Error == "" {
				r.Error = string(se.Code)
			}
			return r, nil
		}
		return service.ChargeResult{}, err
	}
	return result(pi), nil
}

// result maps a PaymentIntent's status to a charge outcome.
func result(pi *stripe.PaymentIntent) service.ChargeResult {
	r := service.ChargeResult{Ref: pi.ID}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		r.Status = subscription.ChargeSucceeded
	case stripe.PaymentIntentStatusRequiresAction, stripe.PaymentIntentStatusRequiresConfirmation:
		r.Status, r.Error = subscription.ChargeAction, "authentication required"
	case stripe.PaymentIntentStatusProcessing:
		r.Status = subscription.ChargeAwaiting // settled later by the store's report of Stripe's webhook
	default:
		r.Status, r.Error = subscription.ChargeFailed, "payment "+string(pi.Status)
		if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
			r.Error = pi.LastPaymentError.Msg
		}
	}
	return r
}
