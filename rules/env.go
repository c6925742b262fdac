package rules

import (
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Env is everything a condition can read. Conditions are type-checked against it at save
// time, so a misspelt field is rejected then rather than silently false later. Money is in
// integer minor units (grosze, cents); times are in the rule set's time zone.
//
// Example conditions:
//
//	member.tier == "gold"
//	order.subtotal >= 20000 && "coffee" in order.categories
//	event.properties.photo == true
//	time.weekday in ["sat", "sun"] && time.hour >= 18
type Env struct {
	Event  EventEnv  `expr:"event"`
	Order  OrderEnv  `expr:"order"`
	Member MemberEnv `expr:"member"`
	Time   TimeEnv   `expr:"time"`
}

// EventEnv is the event being judged.
type EventEnv struct {
	Type       string         `expr:"type"`
	Action     string         `expr:"action"`
	Properties map[string]any `expr:"properties"`
	OccurredAt time.Time      `expr:"occurred_at"`
}

// OrderEnv is the event's order; all zero for events without one. Subtotal is the lines
// after line and order discounts; Total adds shipping.
type OrderEnv struct {
	ID         string    `expr:"id"`
	Total      int64     `expr:"total"`
	Subtotal   int64     `expr:"subtotal"`
	Shipping   int64     `expr:"shipping"`
	Discount   int64     `expr:"discount"`
	Currency   string    `expr:"currency"`
	Lines      []LineEnv `expr:"lines"`
	LineCount  int       `expr:"line_count"`
	Quantity   int64     `expr:"quantity"`
	Categories []string  `expr:"categories"`
	Brands     []string  `expr:"brands"`
	// Subscription is true for a subscription's paid renewal (an order event with the
	// property subscription_id).
	Subscription bool `expr:"subscription"`
}

// LineEnv is one order line. Net is quantity x unit price minus the line's own discount.
type LineEnv struct {
	ProductID string `expr:"product_id"`
	SKU       string `expr:"sku"`
	Name      string `expr:"name"`
	Category  string `expr:"category"`
	Brand     string `expr:"brand"`
	Quantity  int64  `expr:"quantity"`
	UnitPrice int64  `expr:"unit_price"`
	Net       int64  `expr:"net"`
}

// MemberEnv is the member as they were before this event.
type MemberEnv struct {
	Tier         string             `expr:"tier"`
	Tags         []string           `expr:"tags"`
	Segments     []string           `expr:"segments"`
	Attributes   map[string]any     `expr:"attributes"`
	Metrics      map[string]float64 `expr:"metrics"`
	OrderCount   int64              `expr:"order_count"`
	TotalSpent   int64              `expr:"total_spent"`
	Points       int64              `expr:"points"`
	EnrolledDays int64              `expr:"enrolled_days"`
	Subscription Subscription       `expr:"subscription"`
}

// Subscription is what a member's subscriptions give, as conditions read it
// (member.subscription.plan == "premium"); all zero for a member without one. Only
// subscriptions that entitle the member now count; with several, the plan is the one
// with the largest extra-purchase discount and the benefits are the best of each.
type Subscription struct {
	Active            bool     `expr:"active"`
	Plan              string   `expr:"plan"`
	Plans             []string `expr:"plans"`
	State             string   `expr:"state"`
	PaidRenewals      int64    `expr:"paid_renewals"`
	ExtraPercentOff   int64    `expr:"extra_percent_off"`
	FreeShipping      bool     `expr:"free_shipping"`
	ExclusiveRewards  bool     `expr:"exclusive_rewards"`
	PromoCodes        bool     `expr:"promo_codes"`
	EarnMultiplierPct int64    `expr:"earn_multiplier_pct"`
}

// TimeEnv is the evaluation instant in the rule set's time zone. Weekday is "mon".."sun".
type TimeEnv struct {
	Weekday string `expr:"weekday"`
	Hour    int    `expr:"hour"`
	Minute  int    `expr:"minute"`
	Day     int    `expr:"day"`
	Month   int    `expr:"month"`
	Year    int    `expr:"year"`
	Date    string `expr:"date"`
}

// Member is the snapshot of a member that rules read, taken before the event is applied:
// OrderCount and TotalSpent do not yet include the order being judged, so "first order" is
// member.order_count == 0. The shell fills it from its own state.
type Member struct {
	ID         string // Tenure's member id: decides holdout membership; empty in dry runs
	Tier       string
	Segments   []string
	Tags       []string
	Attributes map[string]any
	Metrics    map[string]float64 // e.g. "clv", "aov"
	OrderCount int64
	TotalSpent int64 // minor units
	Points     int64 // available balance
	EnrolledAt time.Time
	// Subscription is filled by the shell when some condition reads it.
	Subscription Subscription
}

// MemberOf copies what a tenure.Member knows into a snapshot; the caller adds tier,
// segments, counts and balance, which live elsewhere.
func MemberOf(m tenure.Member) Member {
	return Member{ID: m.ID, Tags: m.Tags, Attributes: m.Attributes, EnrolledAt: m.EnrolledAt}
}

// order is the judged order reduced to what spend rules need, computed once per Evaluate.
type order struct {
	present  bool
	id       string
	currency string
	lines    []line
	subtotal int64 // after line and order discounts, >= 0
	shipping int64
	discount int64 // the part of the order discount actually taken off (<= sum of lines)
}

// line is an order line with lower-cased keys for case-insensitive matching and its
// eligible amount after its share of the order discount.
type line struct {
	src                           tenure.OrderLine
	product, sku, category, brand string
	net                           int64
	eligible                      int64
}

// newOrder reads the input's order (or the event's order data) defensively: amounts are
// clamped to [0, tenure.MaxMoney] so that malformed input cannot overflow the arithmetic.
func newOrder(in *Input) order {
	var src []tenure.OrderLine
	var o order
	switch {
	case in.Order != nil:
		src, o.shipping, o.discount = in.Order.Lines, in.Order.Shipping, in.Order.Discount
		o.id, o.currency = in.Order.ExternalID, in.Order.Currency
	case in.Event.Order != nil:
		d := in.Event.Order
		src = make([]tenure.OrderLine, len(d.Lines))
		for i, l := range d.Lines {
			src[i] = tenure.OrderLine{LineID: l.ID, ProductID: l.ProductID, SKU: l.SKU, Name: l.Name,
				Category: l.Category, Brand: l.Brand, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount}
		}
		o.shipping, o.discount, o.id, o.currency = d.Shipping, d.Discount, d.ID, d.Currency
	default:
		return o
	}
	o.present = true
	o.shipping, o.discount = clampMoney(o.shipping), clampMoney(o.discount)
	o.lines = make([]line, len(src))
	var total int64
	for i, l := range src {
		net := int64(0)
		if l.Quantity > 0 && l.UnitPrice > 0 && l.UnitPrice <= tenure.MaxMoney/l.Quantity {
			net = clampMoney(l.Quantity*l.UnitPrice - clampMoney(l.Discount))
		}
		net = min(net, tenure.MaxMoney-total) // the lines never add up to more than MaxMoney
		o.lines[i] = line{src: l, net: net, product: strings.ToLower(l.ProductID), sku: strings.ToLower(l.SKU),
			category: strings.ToLower(l.Category), brand: strings.ToLower(l.Brand)}
		total += net
	}
	o.discount = min(o.discount, total)
	o.subtotal = total - o.discount
	// Share the order discount in proportion to line value. Taking differences of the
	// cumulative shares makes the parts add up to the discount exactly.
	var cum, taken int64
	for i := range o.lines {
		cum += o.lines[i].net
		share := int64(0)
		if total > 0 {
			share = int64(mulDiv(uint64(o.discount), uint64(cum), uint64(total))) - taken
		}
		taken += share
		o.lines[i].eligible = max(o.lines[i].net-share, 0)
	}
	return o
}

func clampMoney(v int64) int64 { return min(max(v, 0), tenure.MaxMoney) }

// newEnv builds the condition environment. It is built lazily, only when a considered rule
// has a condition.
func newEnv(in *Input, o *order, at time.Time, loc *time.Location) *Env {
	e := &Env{
		Event: EventEnv{Type: string(in.Event.Type), Action: in.Event.Action, Properties: in.Event.Properties,
			OccurredAt: in.Event.OccurredAt},
		Member: MemberEnv{Tier: in.Member.Tier, Tags: in.Member.Tags, Segments: in.Member.Segments,
			Attributes: in.Member.Attributes, Metrics: in.Member.Metrics, OrderCount: in.Member.OrderCount,
			TotalSpent: in.Member.TotalSpent, Points: in.Member.Points, Subscription: in.Member.Subscription},
	}
	if !in.Member.EnrolledAt.IsZero() && at.After(in.Member.EnrolledAt) {
		e.Member.EnrolledDays = int64(at.Sub(in.Member.EnrolledAt) / (24 * time.Hour))
	}
	local := at.In(loc)
	e.Time = TimeEnv{Weekday: weekdays[local.Weekday()], Hour: local.Hour(), Minute: local.Minute(),
		Day: local.Day(), Month: int(local.Month()), Year: local.Year(), Date: local.Format(time.DateOnly)}
	if o.present {
		e.Order = OrderEnv{ID: o.id, Total: o.subtotal + o.shipping, Subtotal: o.subtotal, Shipping: o.shipping,
			Discount: o.discount, Currency: o.currency, LineCount: len(o.lines), Lines: make([]LineEnv, len(o.lines)),
			Categories: make([]string, 0, len(o.lines)), Brands: make([]string, 0, len(o.lines))}
		if id, _ := in.Event.Properties["subscription_id"].(string); id != "" {
			e.Order.Subscription = true
		}
		for i, l := range o.lines {
			s := l.src
			e.Order.Lines[i] = LineEnv{ProductID: s.ProductID, SKU: s.SKU, Name: s.Name, Category: s.Category,
				Brand: s.Brand, Quantity: s.Quantity, UnitPrice: s.UnitPrice, Net: l.net}
			e.Order.Quantity += max(s.Quantity, 0)
			e.Order.Categories = appendNew(e.Order.Categories, s.Category)
			e.Order.Brands = appendNew(e.Order.Brands, s.Brand)
		}
	}
	return e
}

// appendNew appends s unless it is empty or already present; lists stay in order of first
// appearance, so conditions see the same list on every run.
func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
