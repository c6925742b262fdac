package tenure

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// EventType names what happened at the store.
type EventType string

// The event types the intake accepts (CAPABILITIES §1).
const (
	CustomerCreated   EventType = "customer.created"
	CustomerUpdated   EventType = "customer.updated"
	OrderPlaced       EventType = "order.placed"
	OrderPaid         EventType = "order.paid"
	OrderFulfilled    EventType = "order.fulfilled"
	OrderCancelled    EventType = "order.cancelled"
	OrderRefunded     EventType = "order.refunded"
	CartUpdated       EventType = "cart.updated"
	CartAbandoned     EventType = "cart.abandoned"
	ProductViewed     EventType = "product.viewed"
	ReviewPosted      EventType = "review.posted"
	SurveyAnswered    EventType = "survey.answered"
	ReferralSignup    EventType = "referral.signup"
	NewsletterSignup  EventType = "newsletter.signup"
	SocialShared      EventType = "social.shared"
	CustomAction      EventType = "custom"
	maxEventTypeChars           = 64
)

// EventTypes lists every accepted type, in documentation order.
var EventTypes = []EventType{
	CustomerCreated, CustomerUpdated, OrderPlaced, OrderPaid, OrderFulfilled, OrderCancelled,
	OrderRefunded, CartUpdated, CartAbandoned, ProductViewed, ReviewPosted, SurveyAnswered,
	ReferralSignup, NewsletterSignup, SocialShared, CustomAction,
}

// Event types Tenure emits itself, on its daily schedule, in each member's time zone.
// Earning rules may listen to them; the intake accepts them only from Tenure's
// scheduler (and dry runs), never from a store.
const (
	MemberBirthday    EventType = "member.birthday"    // the member's birthday (properties: year, age when the birth year is known)
	MemberAnniversary EventType = "member.anniversary" // an anniversary of enrolment (properties: year, years)
)

// ScheduledEventTypes lists the types Tenure emits itself.
var ScheduledEventTypes = []EventType{MemberBirthday, MemberAnniversary}

// IsScheduled reports whether Tenure emits events of type t itself.
func (t EventType) IsScheduled() bool { return t == MemberBirthday || t == MemberAnniversary }

// ScheduledEventPrefix begins the id of every event Tenure emits itself; a store's event
// ids may not begin with it.
const ScheduledEventPrefix = "tenure:"

// IsOrderEvent reports whether t changes an order.
func (t EventType) IsOrderEvent() bool { return strings.HasPrefix(string(t), "order.") }

// Event is one thing a customer did, as the store reports it. ID is the store's own unique
// id for the event: sending the same id twice changes nothing.
type Event struct {
	ID         string         `json:"id" minLength:"1" maxLength:"128" doc:"The store's unique id for this event; a replay with the same id changes nothing"`
	Type       EventType      `json:"type" doc:"What happened"`
	CustomerID string         `json:"customer_id" minLength:"1" maxLength:"128" doc:"The store's id of the customer"`
	OccurredAt time.Time      `json:"occurred_at,omitempty" doc:"When it happened at the store (RFC 3339); defaults to the time received"`
	Customer   *MemberPatch   `json:"customer,omitempty" doc:"Profile data, for customer.* events or to enrol on first event"`
	Order      *OrderData     `json:"order,omitempty" doc:"The order, for order.placed/paid/fulfilled/cancelled"`
	Refund     *RefundData    `json:"refund,omitempty" doc:"The refund, for order.refunded"`
	Action     string         `json:"action,omitempty" maxLength:"64" doc:"Name of a custom action, for type custom"`
	Properties map[string]any `json:"properties,omitempty" doc:"Free data about the event (rating, photo, survey answers...)"`
}

// OrderData is an order as the store reports it. Amounts are integer minor units.
type OrderData struct {
	ID       string     `json:"id" minLength:"1" maxLength:"128" doc:"The store's order id"`
	Currency string     `json:"currency,omitempty" doc:"ISO 4217; defaults to the program currency"`
	Lines    []LineData `json:"lines,omitempty" maxItems:"2000"`
	Shipping int64      `json:"shipping,omitempty" doc:"Shipping charged, minor units"`
	Discount int64      `json:"discount,omitempty" doc:"Order-level discount, minor units"`
}

// LineData is one line of an order.
type LineData struct {
	ID        string `json:"id,omitempty" maxLength:"128" doc:"The store's line id; defaults to the line's position"`
	ProductID string `json:"product_id,omitempty" maxLength:"128"`
	SKU       string `json:"sku,omitempty" maxLength:"128"`
	Name      string `json:"name,omitempty" maxLength:"256"`
	Category  string `json:"category,omitempty" maxLength:"128"`
	Brand     string `json:"brand,omitempty" maxLength:"128"`
	Quantity  int64  `json:"quantity" doc:"Units, at least 1"`
	UnitPrice int64  `json:"unit_price" doc:"Price of one unit, minor units"`
	Discount  int64  `json:"discount,omitempty" doc:"Discount on the whole line, minor units"`
}

// RefundData is a refund of an order: whole (no lines, no amount), per line, or a partial
// amount.
type RefundData struct {
	ID       string           `json:"id,omitempty" maxLength:"128" doc:"The store's refund id; defaults to the event id"`
	OrderID  string           `json:"order_id" minLength:"1" maxLength:"128"`
	Amount   int64            `json:"amount,omitempty" doc:"Refunded amount of goods, minor units; derived from lines when omitted"`
	Shipping int64            `json:"shipping,omitempty" doc:"Refunded shipping, minor units"`
	Lines    []RefundLineData `json:"lines,omitempty" maxItems:"2000"`
	Full     bool             `json:"full,omitempty" doc:"Refund everything that is left"`
}

// RefundLineData refunds some units of one order line.
type RefundLineData struct {
	LineID   string `json:"line_id" minLength:"1" maxLength:"128"`
	Quantity int64  `json:"quantity"`
	Amount   int64  `json:"amount,omitempty" doc:"Refunded amount; defaults to quantity x the line's net unit price"`
}

// MaxMoney bounds any amount: 10^12 minor units (ten billion in a two-decimal currency).
const MaxMoney = 1_000_000_000_000

// MaxLines bounds the lines of one order or refund (wholesale invoices run to a thousand).
const MaxLines = 2000

// MaxQuantity bounds a line's quantity.
const MaxQuantity = 1_000_000

// Validate checks an event's shape and names every offending field under prefix (e.g.
// "events[3]."). It does not look anything up.
func (e *Event) Validate(prefix string) Problems {
	var p Problems
	if fe := CheckStrings(prefix, e); fe != nil {
		return append(p, *fe)
	}
	if fe := ValidateExternalID(prefix+"id", e.ID); fe != nil {
		p = append(p, *fe)
	}
	if fe := ValidateExternalID(prefix+"customer_id", e.CustomerID); fe != nil {
		p = append(p, *fe)
	}
	known := e.Type.IsScheduled()
	for _, t := range EventTypes {
		known = known || t == e.Type
	}
	if !known {
		p.Add(prefix+"type", "unknown event type %q", e.Type)
		return p
	}
	switch e.Type {
	case OrderPlaced, OrderPaid, OrderFulfilled, OrderCancelled:
		if e.Order == nil {
			p.Add(prefix+"order", "is required for %s", e.Type)
		} else {
			e.Order.validate(prefix+"order.", &p)
		}
	case OrderRefunded:
		if e.Refund == nil {
			p.Add(prefix+"refund", "is required for %s", e.Type)
		} else {
			e.Refund.validate(prefix+"refund.", &p)
		}
	case CustomAction:
		if e.Action == "" {
			p.Add(prefix+"action", "is required for custom events")
		}
	}
	if e.Type != OrderRefunded && e.Refund != nil {
		p.Add(prefix+"refund", "only allowed for order.refunded")
	}
	if e.Customer != nil {
		var scratch Member
		if err := e.Customer.Apply(&scratch, time.Unix(0, 0), prefix+"customer."); err != nil {
			p = append(p, err.(*Error).Fields...)
		}
	}
	if !e.OccurredAt.IsZero() && (e.OccurredAt.Year() < 1970 || e.OccurredAt.Year() > 9999) {
		p.Add(prefix+"occurred_at", "must be a date between 1970 and 9999")
	}
	return p
}

func checkMoney(p *Problems, field string, v int64) {
	if v < 0 {
		p.Add(field, "must not be negative")
	} else if v > MaxMoney {
		p.Add(field, "must be at most %d", int64(MaxMoney))
	}
}

func (o *OrderData) validate(prefix string, p *Problems) {
	if fe := ValidateExternalID(prefix+"id", o.ID); fe != nil {
		*p = append(*p, *fe)
	}
	if o.Currency != "" && (len(o.Currency) != 3 || !isAlpha(o.Currency)) {
		p.Add(prefix+"currency", "must be an ISO 4217 code like PLN")
	}
	checkMoney(p, prefix+"shipping", o.Shipping)
	checkMoney(p, prefix+"discount", o.Discount)
	if len(o.Lines) > MaxLines {
		p.Add(prefix+"lines", "at most %d lines", MaxLines)
		return
	}
	seen := map[string]bool{}
	var total int64
	for i := range o.Lines {
		l := &o.Lines[i]
		f := prefix + "lines[" + strconv.Itoa(i) + "]."
		if l.ID == "" {
			l.ID = strconv.Itoa(i + 1)
		}
		if seen[l.ID] {
			p.Add(f+"id", "duplicate line id %q", l.ID)
		}
		seen[l.ID] = true
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			p.Add(f+"quantity", "must be between 1 and %d", MaxQuantity)
			continue
		}
		checkMoney(p, f+"unit_price", l.UnitPrice)
		checkMoney(p, f+"discount", l.Discount)
		if l.UnitPrice > MaxMoney/l.Quantity {
			p.Add(f+"unit_price", "quantity x unit_price exceeds %d", int64(MaxMoney))
			continue
		}
		if l.Discount > l.Quantity*l.UnitPrice {
			p.Add(f+"discount", "must not exceed the line's gross amount")
		}
		total += l.Quantity*l.UnitPrice - l.Discount
		if total > MaxMoney {
			p.Add(prefix+"lines", "order total exceeds %d", int64(MaxMoney))
			return
		}
	}
	if o.Discount > total && len(o.Lines) > 0 {
		p.Add(prefix+"discount", "must not exceed the sum of the lines")
	}
}

func (r *RefundData) validate(prefix string, p *Problems) {
	if fe := ValidateExternalID(prefix+"order_id", r.OrderID); fe != nil {
		*p = append(*p, *fe)
	}
	checkMoney(p, prefix+"amount", r.Amount)
	checkMoney(p, prefix+"shipping", r.Shipping)
	if len(r.Lines) > MaxLines {
		p.Add(prefix+"lines", "at most %d lines", MaxLines)
		return
	}
	if r.Full && (r.Amount != 0 || len(r.Lines) != 0) {
		p.Add(prefix+"full", "a full refund takes no amount or lines")
	}
	for i, l := range r.Lines {
		f := prefix + "lines[" + strconv.Itoa(i) + "]."
		if fe := ValidateExternalID(f+"line_id", l.LineID); fe != nil {
			*p = append(*p, *fe)
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			p.Add(f+"quantity", "must be between 1 and %d", MaxQuantity)
		}
		checkMoney(p, f+"amount", l.Amount)
	}
}

// EventResult is what the intake answers for one event, and what a replay returns again.
type EventResult struct {
	EventID  string         `json:"event_id" doc:"The store's event id"`
	ID       string         `json:"id" doc:"Tenure's id of the stored event"`
	Type     EventType      `json:"type"`
	MemberID string         `json:"member_id,omitempty"`
	OrderID  string         `json:"order_id,omitempty"`
	Replay   bool           `json:"replay" doc:"True when this event id was seen before; nothing was changed"`
	Enrolled bool           `json:"enrolled,omitempty" doc:"True when this event enrolled the member"`
	Points   *PointsOutcome `json:"points,omitempty" doc:"What the event did to the member's points"`
	// Explanations lists every earning rule considered for this event: what each gave, or
	// why it did not fire.
	Explanations json.RawMessage `json:"explanations,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// PointsOutcome summarises the ledger effect of one event.
type PointsOutcome struct {
	Earned      int64      `json:"earned" doc:"Points credited by this event (pending or available)"`
	Reversed    int64      `json:"reversed" doc:"Points taken back by this event"`
	Uncollected int64      `json:"uncollected,omitempty" doc:"Points that should have been taken back but were not, under the cap policy"`
	Released    int64      `json:"released,omitempty" doc:"Points that became available"`
	OrderPoints int64      `json:"order_points" doc:"Net points the order is worth after this event"`
	Pending     bool       `json:"pending" doc:"Whether the order's points are still pending"`
	AvailableAt *time.Time `json:"available_at,omitempty" doc:"When pending points become available, if known"`
}
