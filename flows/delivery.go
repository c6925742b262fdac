package flows

import "time"

// Delivery states of a message.
const (
	Queued       = "queued"       // made, due to be sent at SendAt
	Deferred     = "deferred"     // waiting for the contact budget or the quiet hours (Reason, SendAt)
	Sent         = "sent"         // accepted by the channel's server
	Failed       = "failed"       // the channel refused it or was unreachable after retries
	Dropped      = "dropped"      // deferred past its expiry (Reason says why)
	Skipped      = "skipped"      // not sent: no consent, no address (Reason says which)
	Bounced      = "bounced"      // the mailbox reported it undeliverable
	Unsubscribed = "unsubscribed" // the member withdrew consent through this message's link
)

// FlowMessage is one message in the delivery log.
type FlowMessage struct {
	ID        string         `json:"id"`
	MemberID  string         `json:"member_id"`
	FlowKey   string         `json:"flow_key"`
	RunID     string         `json:"run_id"`
	StepID    string         `json:"step_id"`
	Channel   string         `json:"channel"`
	Purpose   string         `json:"purpose"`
	Template  string         `json:"template"`
	Priority  int            `json:"priority"`
	Expiry    time.Duration  `json:"-"`
	State     string         `json:"state"`
	Reason    string         `json:"reason,omitempty"`
	Recipient string         `json:"recipient,omitempty"`
	Subject   string         `json:"subject,omitempty"`
	Token     string         `json:"-"` // the unsubscribe token of this message's link
	Attempts  int            `json:"attempts"`
	QueuedAt  time.Time      `json:"queued_at"`
	SendAt    time.Time      `json:"send_at"`
	SentAt    time.Time      `json:"sent_at,omitzero"`
	Data      map[string]any `json:"data,omitempty"` // the run's data, for the template
}
