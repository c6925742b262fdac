package service

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/tenure-loyalty/tenure/subscription"
)

// PaymentProvider collects renewal charges. Charge must be idempotent on
// req.IdempotencyKey: a repeat with the same key (after a crash or a lost lease) returns
// the first outcome and never charges twice. A returned error is transient (network,
// outage): the renewal's transaction rolls back and the job retries with the same key.
// A refused payment is not an error but a result with status failed or
// requires_action.
type PaymentProvider interface {
	Name() string
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
}

// ChargeRequest is one attempt to collect a renewal.
type ChargeRequest struct {
	TenantID       string
	SubscriptionID string
	RenewalID      string
	CustomerID     string // the store's customer id
	PaymentMethod  string // the provider's saved payment method
	Currency       string
	Amount         int64 // minor units
	Attempt        int   // 1 for the first charge, 2.. for dunning retries
	IdempotencyKey string
}

// ChargeResult is a provider's answer: subscription.ChargeSucceeded, ChargeFailed,
// ChargeAction, or ChargeAwaiting (the store's own system will report the outcome).
type ChargeResult struct {
	Status string
	Ref    string // the provider's payment id
	Error  string // why it failed, for the timeline
}

// Test cards of the built-in test provider, as payment methods.
const (
	CardSucceeds = "card_succeeds" // always paid (also the default for an empty method)
	CardFails    = "card_fails"    // always declined
	CardAction   = "card_action"   // always needs the customer (3-D Secure)
	CardFailN    = "card_fails_"   // card_fails_N: each renewal's first N attempts are declined, then paid
)

// TestProvider is the built-in deterministic provider: the outcome depends only on the
// payment method and the attempt number, and it remembers every idempotency key, so a
// repeated charge returns the first outcome. It counts what it was asked, so tests can
// prove each renewal was charged once.
type TestProvider struct {
	mu    sync.Mutex
	seen  map[string]ChargeResult
	calls int
}

// NewTestProvider returns an empty test provider.
func NewTestProvider() *TestProvider { return &TestProvider{seen: map[string]ChargeResult{}} }

// Name is "test".
func (*TestProvider) Name() string { return "test" }

// Charge decides by the test card.
func (p *TestProvider) Charge(_ context.Context, req ChargeRequest) (ChargeResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if r, ok := p.seen[req.IdempotencyKey]; ok {
		return r, nil
	}
	r := ChargeResult{Status: subscription.ChargeSucceeded, Ref: "test_" + req.IdempotencyKey}
	switch m := req.PaymentMethod; {
	case m == CardFails:
		r = ChargeResult{Status: subscription.ChargeFailed, Error: "card declined"}
	case m == CardAction:
		r = ChargeResult{Status: subscription.ChargeAction, Error: "authentication required"}
	case strings.HasPrefix(m, CardFailN):
		n, _ := strconv.Atoi(strings.TrimPrefix(m, CardFailN))
		if req.Attempt <= n {
			r = ChargeResult{Status: subscription.ChargeFailed, Error: "card declined (attempt " + strconv.Itoa(req.Attempt) + " of " + strconv.Itoa(n) + " failing)"}
		}
	}
	p.seen[req.IdempotencyKey] = r
	return r, nil
}

// Counts returns how many charges were requested and how many distinct idempotency keys
// were charged successfully.
func (p *TestProvider) Counts() (calls, paid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.seen {
		if r.Status == subscription.ChargeSucceeded {
			paid++
		}
	}
	return p.calls, paid
}

// ExternalProvider leaves collection to the store: the renewal is announced with the
// signed webhook subscription.renewal_due (carrying the amount and the idempotency key)
// and stays pending until the store reports payment.succeeded or payment.failed
// (Subscriptions.ReportPayment).
type ExternalProvider struct{}

// Name is "external".
func (ExternalProvider) Name() string { return "external" }

// Charge asks nothing of a network: the outcome comes later.
func (ExternalProvider) Charge(_ context.Context, req ChargeRequest) (ChargeResult, error) {
	return ChargeResult{Status: subscription.ChargeAwaiting, Ref: req.IdempotencyKey}, nil
}
