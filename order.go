package tenure

import "time"

// Order is everything known about one order, merged from the events that mention it in
// whatever order they arrived. Its points follow from these facts alone, which is why
// out-of-order events converge on the same balance.
type Order struct {
	ID          string      `json:"id"`
	ExternalID  string      `json:"external_id"`
	MemberID    string      `json:"member_id"`
	Currency    string      `json:"currency"`
	Lines       []OrderLine `json:"lines"`
	Shipping    int64       `json:"shipping"`
	Discount    int64       `json:"discount"`
	PlacedAt    *time.Time  `json:"placed_at,omitempty"`
	PaidAt      *time.Time  `json:"paid_at,omitempty"`
	FulfilledAt *time.Time  `json:"fulfilled_at,omitempty"`
	CancelledAt *time.Time  `json:"cancelled_at,omitempty"`
	Refunds     []Refund    `json:"refunds,omitempty"`
	Points      OrderPoints `json:"points"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// OrderLine is one line of an order.
type OrderLine struct {
	LineID    string `json:"line_id"`
	ProductID string `json:"product_id,omitempty"`
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name,omitempty"`
	Category  string `json:"category,omitempty"`
	Brand     string `json:"brand,omitempty"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Discount  int64  `json:"discount"`
}

// Net is the line's amount after its own discount.
func (l OrderLine) Net() int64 { return l.Quantity*l.UnitPrice - l.Discount }

// Refund is one refund reported by the store, already resolved to amounts.
type Refund struct {
	ExternalID string       `json:"external_id"`
	Amount     int64        `json:"amount" doc:"Goods refunded, minor units"`
	Shipping   int64        `json:"shipping"`
	Full       bool         `json:"full,omitempty"`
	Lines      []RefundLine `json:"lines,omitempty"`
	At         time.Time    `json:"at"`
}

// RefundLine is a refunded quantity of one line.
type RefundLine struct {
	LineID   string `json:"line_id"`
	Quantity int64  `json:"quantity"`
	Amount   int64  `json:"amount"`
}

// OrderPoints is the order's account in the ledger: what it has credited net of
// claw-backs, what could not be collected under the cap policy, and its lot.
type OrderPoints struct {
	Base        int64      `json:"base" doc:"Points the whole order earns, fixed by the earning rules when it is first paid"`
	Evaluated   bool       `json:"evaluated" doc:"Whether the earning rules have judged the order"`
	RuleVersion int64      `json:"rule_version,omitempty" doc:"Version of the rule set that judged it (0: the program's flat rate; -1: imported history that earned nothing)"`
	Credited    int64      `json:"credited" doc:"Net points currently credited for this order"`
	WrittenOff  int64      `json:"written_off" doc:"Claw-back that could not be collected (cap policy)"`
	LotID       string     `json:"lot_id,omitempty"`
	Pending     bool       `json:"pending"`
	AvailableAt *time.Time `json:"available_at,omitempty"`
	// Basis is the member as the earning rules saw them when they judged the order, kept
	// so that a backtest replays the order against the same member state.
	Basis *MemberBasis `json:"basis,omitempty" doc:"The member state the earning rules read when they judged the order"`
}

// MemberBasis is the changing part of the member that earning rules read, as it stood
// when an order was judged: the available balance, and whatever else the rules of the
// time needed. A nil field was not read (no rule needed it then).
type MemberBasis struct {
	Points     int64              `json:"points" doc:"Available points before the order"`
	Stats      *OrderStats        `json:"stats,omitempty" doc:"Paid orders and spend before the order"`
	Tier       *string            `json:"tier,omitempty" doc:"The tier held when the order was judged"`
	Segments   *[]string          `json:"segments,omitempty" doc:"Segments the member was counted in"`
	Metrics    map[string]float64 `json:"metrics,omitempty" doc:"Analytics metrics as of the snapshot then kept"`
	MetricsSet bool               `json:"metrics_set,omitempty" doc:"Whether metrics were read (they may be empty)"`
}

// OrderStats is a member's paid, uncancelled orders and their spend, in minor units.
type OrderStats struct {
	Orders int64 `json:"orders"`
	Spent  int64 `json:"spent"`
}

// Subtotal is the sum of the lines after line and order discounts.
func (o *Order) Subtotal() int64 {
	var s int64
	for _, l := range o.Lines {
		s += l.Net()
	}
	s -= o.Discount
	if s < 0 {
		return 0
	}
	return s
}

// Refunded returns goods and shipping refunded so far, each capped at what was charged.
func (o *Order) Refunded() (goods, shipping int64, full bool) {
	for _, r := range o.Refunds {
		goods += r.Amount
		shipping += r.Shipping
		full = full || r.Full
	}
	if sub := o.Subtotal(); goods > sub || full {
		goods = sub
	}
	if shipping > o.Shipping || full {
		shipping = o.Shipping
	}
	return goods, shipping, full
}

// Merge adds what an order event says to the order. Facts only accumulate: a timestamp
// already known is kept (the earliest wins), lines are taken from the first event that
// carries them.
func (o *Order) Merge(t EventType, d *OrderData, at time.Time) {
	if d != nil {
		if len(o.Lines) == 0 && len(d.Lines) > 0 {
			o.Lines = make([]OrderLine, len(d.Lines))
			for i, l := range d.Lines {
				o.Lines[i] = OrderLine{LineID: l.ID, ProductID: l.ProductID, SKU: l.SKU, Name: l.Name,
					Category: l.Category, Brand: l.Brand, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount}
			}
			o.Shipping, o.Discount = d.Shipping, d.Discount
		}
		if o.Currency == "" && d.Currency != "" {
			o.Currency = d.Currency
		}
	}
	stamp := func(p **time.Time) {
		if *p == nil || at.Before(**p) {
			t := at
			*p = &t
		}
	}
	switch t {
	case OrderPlaced:
		stamp(&o.PlacedAt)
	case OrderPaid:
		stamp(&o.PaidAt)
	case OrderFulfilled:
		stamp(&o.FulfilledAt)
	case OrderCancelled:
		stamp(&o.CancelledAt)
	}
}

// AddRefund resolves a refund against the order's lines and records it. A refund that names
// lines the order does not (yet) have keeps its stated amount. It reports false when a
// refund with the same id was already recorded.
func (o *Order) AddRefund(r *RefundData, eventID string, at time.Time) bool {
	id := r.ID
	if id == "" {
		id = eventID
	}
	for _, x := range o.Refunds {
		if x.ExternalID == id {
			return false
		}
	}
	ref := Refund{ExternalID: id, Amount: r.Amount, Shipping: r.Shipping, Full: r.Full, At: at}
	var fromLines int64
	for _, rl := range r.Lines {
		amt := rl.Amount
		if amt == 0 {
			for _, l := range o.Lines {
				if l.LineID == rl.LineID && l.Quantity > 0 {
					amt = l.Net() * min(rl.Quantity, l.Quantity) / l.Quantity
				}
			}
		}
		fromLines += amt
		ref.Lines = append(ref.Lines, RefundLine{LineID: rl.LineID, Quantity: rl.Quantity, Amount: amt})
	}
	if ref.Amount == 0 {
		ref.Amount = fromLines
	}
	if ref.Amount == 0 && ref.Shipping == 0 && len(r.Lines) == 0 {
		ref.Full = true // "order.refunded" with nothing else means the whole order
	}
	o.Refunds = append(o.Refunds, ref)
	return true
}
