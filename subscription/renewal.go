package subscription

import "time"

// Renewal statuses.
const (
	RenewalSkipped  = "skipped"         // the period was skipped (by the customer or while past due); nothing charged
	RenewalPending  = "pending"         // created; the charge is under way or awaited from the store (external)
	RenewalAction   = "action_required" // the provider needs the customer (3-D Secure); retried by the ladder
	RenewalFailed   = "failed"          // the last attempt failed; the next retry is at NextAttemptAt
	RenewalPaid     = "paid"            // charged; its order is booked
	RenewalUnpaid   = "unpaid"          // the ladder ran out
	RenewalRefunded = "refunded"        // paid, then refunded; its points were clawed back
)

// Renewal is one period of one subscription: billed or skipped. There is exactly one
// per subscription and period start.
type Renewal struct {
	ID             string     `json:"id"`
	SubscriptionID string     `json:"subscription_id"`
	DueAt          time.Time  `json:"due_at" doc:"Start of the period"`
	PeriodEnd      time.Time  `json:"period_end"`
	Status         string     `json:"status" enum:"skipped,pending,action_required,failed,paid,unpaid,refunded"`
	Reason         string     `json:"reason,omitempty" doc:"Why it was skipped, or the last failure"`
	Quote          Quote      `json:"quote"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
	OrderID        string     `json:"order_id,omitempty" doc:"The store order id the paid renewal was booked as"`
	PaidAt         *time.Time `json:"paid_at,omitempty"`
	Proration      bool       `json:"proration,omitempty" doc:"Started by an immediate plan change"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Charge statuses.
const (
	ChargeSucceeded = "succeeded"
	ChargeFailed    = "failed"
	ChargeAction    = "requires_action"
	ChargeAwaiting  = "awaiting" // sent to the store's own payment system (external provider)
)

// Charge is one attempt to collect a renewal.
type Charge struct {
	ID             string    `json:"id"`
	RenewalID      string    `json:"renewal_id"`
	Attempt        int       `json:"attempt"`
	Provider       string    `json:"provider"`
	IdempotencyKey string    `json:"idempotency_key"`
	Status         string    `json:"status"`
	ProviderRef    string    `json:"provider_ref,omitempty"`
	Error          string    `json:"error,omitempty"`
	Amount         int64     `json:"amount"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// TransitionRecord is one entry of a subscription's timeline.
type TransitionRecord struct {
	ID             string         `json:"id"`
	SubscriptionID string         `json:"subscription_id"`
	From           State          `json:"from"`
	To             State          `json:"to"`
	Event          string         `json:"event"`
	Actor          string         `json:"actor"`
	MRR            int64          `json:"mrr" doc:"The subscription's MRR after the change"`
	Detail         map[string]any `json:"detail,omitempty"`
	At             time.Time      `json:"at"`
}

// Save-flow outcomes.
const (
	SaveOpen      = "open"      // offers shown, no answer yet
	SaveAccepted  = "accepted"  // the customer took an offer and stayed
	SaveCancelled = "cancelled" // the customer cancelled anyway
)

// SaveRecord is one cancel flow: the reason, the offers shown, and how it ended.
type SaveRecord struct {
	ID             string     `json:"id"`
	SubscriptionID string     `json:"subscription_id"`
	Reason         string     `json:"reason"`
	Offers         []Offer    `json:"offers"`
	Outcome        string     `json:"outcome" enum:"open,accepted,cancelled"`
	Accepted       *Offer     `json:"accepted_offer,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
}

// SaveCount is the number of cancel flows with one reason, accepted offer kind and
// outcome.
type SaveCount struct {
	Reason  string `json:"reason"`
	Offer   string `json:"offer,omitempty"`
	Outcome string `json:"outcome"`
	Count   int    `json:"count"`
}

// RenewalCount is how many renewals are in one status.
type RenewalCount struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}
