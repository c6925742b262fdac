package tenure

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook is an endpoint of the store that receives notifications. EventTypes filters
// which message types it gets ("*" or empty for all; "points.*" for a family).
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Secret      string    `json:"-"`
	EventTypes  []string  `json:"event_types"`
	Description string    `json:"description,omitempty"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Wants reports whether the endpoint subscribes to messages of type t.
func (w *Webhook) Wants(t string) bool {
	if !w.Active {
		return false
	}
	if len(w.EventTypes) == 0 {
		return true
	}
	for _, f := range w.EventTypes {
		if f == "*" || f == t || (strings.HasSuffix(f, ".*") && strings.HasPrefix(t, strings.TrimSuffix(f, "*"))) {
			return true
		}
	}
	return false
}

// MessageTypes are the notifications Tenure emits.
var MessageTypes = []string{
	"member.created", "member.updated", "points.earned", "points.available", "points.reversed",
	"points.expired", "points.adjusted", "points.spent", "points.transferred",
	"credit.adjusted", "credit.spent", "credit.transferred", "order.points_settled",
	"reward.redeemed", "coupon.used", "coupon.cancelled", "coupon.expired", "tier.changed",
	// Subscriptions: one per transition and renewal step (docs/subscriptions.md).
	"subscription.created", "subscription.converted", "subscription.renewed", "subscription.payment_failed",
	"subscription.dunning_reminder", "subscription.dunning_exhausted", "subscription.paused", "subscription.resumed",
	"subscription.cancelled", "subscription.uncancelled", "subscription.ended", "subscription.expired",
	"subscription.skipped", "subscription.swapped", "subscription.quantity_changed", "subscription.plan_changed",
	"subscription.frequency_changed", "subscription.saved", "subscription.renewal_due", "subscription.renewal_upcoming",
	"subscription.renewal_skipped", "subscription.renewal_refunded", "subscription.milestone", "subscription.plan_created",
}

// ValidateWebhook checks an endpoint's URL and filters.
func ValidateWebhook(rawURL string, types []string) error {
	var p Problems
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2048 {
		p.Add("url", "must be an absolute http(s) URL")
	}
	for i, t := range types {
		ok := t == "*"
		for _, m := range MessageTypes {
			ok = ok || m == t || (strings.HasSuffix(t, ".*") && strings.HasPrefix(m, strings.TrimSuffix(t, "*")))
		}
		if !ok {
			p.Add("event_types["+strconv.Itoa(i)+"]", "unknown message type %q", t)
		}
	}
	return p.Err("webhook.Validate")
}

// Message is a notification written to the outbox in the business transaction. Its ID is
// stable across retries and replays so receivers can deduplicate.
type Message struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	MemberID  string          `json:"member_id,omitempty"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// Delivery is one message's journey to one endpoint.
type Delivery struct {
	ID         string     `json:"id"`
	WebhookID  string     `json:"webhook_id"`
	MessageID  string     `json:"message_id"`
	State      string     `json:"state" enum:"pending,running,succeeded,dead"`
	Attempts   int        `json:"attempts"`
	NextTryAt  *time.Time `json:"next_attempt_at,omitempty"`
	LastStatus int        `json:"last_status,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Log        []Attempt  `json:"log,omitempty"`
}

// Attempt is one try at delivering.
type Attempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"`
	DurationMS float64   `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
	Node       string    `json:"node"`
}

// Circuit states of an endpoint. Closed lets deliveries through; open holds them until
// RetryAt; half-open lets one probe through, whose outcome closes or reopens the circuit.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half_open"
)

// Circuit is the breaker state of one endpoint, shared by every node through storage.
type Circuit struct {
	WebhookID string    `json:"webhook_id"`
	State     string    `json:"state"`
	Failures  int       `json:"failures"` // consecutive failed attempts
	Opened    int       `json:"opened"`   // times opened since the last success
	Since     time.Time `json:"since"`    // when the current state began
	RetryAt   time.Time `json:"retry_at"` // open: when a probe may go; half-open: when the probe's claim lapses
	LastError string    `json:"last_error,omitempty"`
	FailedAt  time.Time `json:"failed_at"`
}

// BreakerPolicy says when a circuit opens and for how long.
type BreakerPolicy struct {
	Failures    int           // consecutive failures that open the circuit
	Cooldown    time.Duration // first open period; doubled each time a probe fails
	MaxCooldown time.Duration
}

// Record returns the circuit after one attempt's outcome at now. A success closes it; a
// failure counts, and opens it once the policy's threshold is reached or when it was a
// half-open probe. Failures that arrive while the circuit is open (sends already under
// way) do not extend it.
func (c Circuit) Record(ok bool, errText string, now time.Time, p BreakerPolicy) Circuit {
	if ok {
		if c.State != CircuitClosed {
			c.Since = now
		}
		c.State, c.Failures, c.Opened, c.RetryAt = CircuitClosed, 0, 0, time.Time{}
		return c
	}
	c.Failures++
	c.LastError, c.FailedAt = errText, now
	if c.State == CircuitHalfOpen || (c.State != CircuitOpen && p.Failures > 0 && c.Failures >= p.Failures) {
		wait := p.Cooldown
		for i := 0; i < c.Opened && wait < p.MaxCooldown; i++ {
			wait *= 2
		}
		if p.MaxCooldown > 0 {
			wait = min(wait, p.MaxCooldown)
		}
		c.State, c.Since, c.RetryAt = CircuitOpen, now, now.Add(wait)
		c.Opened++
	}
	return c
}
