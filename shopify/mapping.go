package shopify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// The topics Tenure subscribes to, and what each becomes.
var topics = map[string]tenure.EventType{
	"orders/create":    tenure.OrderPlaced,
	"orders/paid":      tenure.OrderPaid,
	"orders/fulfilled": tenure.OrderFulfilled,
	"orders/cancelled": tenure.OrderCancelled,
	"refunds/create":   tenure.OrderRefunded,
	"customers/create": tenure.CustomerCreated,
	"customers/update": tenure.CustomerUpdated,
	"carts/update":     tenure.CartUpdated,
}

// Topics lists every topic a connection should subscribe to, the mandatory privacy
// topics included.
var Topics = []string{"orders/create", "orders/paid", "orders/fulfilled", "orders/cancelled", "refunds/create",
	"customers/create", "customers/update", "carts/update", "app/uninstalled",
	"customers/data_request", "customers/redact", "shop/redact"}

// id is a Shopify id: a JSON number (or, in some payloads, a string) kept as text so that
// no digit is lost.
type id string

func (i *id) UnmarshalJSON(b []byte) error {
	*i = id(rawText(b))
	return nil
}

// amount is a decimal amount as Shopify sends it: a string ("19.99") in most payloads, a
// JSON number in a few (refund line subtotals). Either way its text is kept, never a float.
type amount string

func (a *amount) UnmarshalJSON(b []byte) error {
	*a = amount(rawText(b))
	return nil
}

func rawText(b []byte) string {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return ""
	}
	return s
}

type customer struct {
	ID        id      `json:"id"`
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Phone     *string `json:"phone"`
	Tags      string  `json:"tags"`
	Consent   *struct {
		State     string `json:"state"`
		UpdatedAt string `json:"consent_updated_at"`
	} `json:"email_marketing_consent"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type allocation struct {
	Amount amount `json:"amount"`
}

type lineItem struct {
	ID                  id           `json:"id"`
	ProductID           id           `json:"product_id"`
	SKU                 string       `json:"sku"`
	Title               string       `json:"title"`
	Vendor              string       `json:"vendor"`
	Quantity            int64        `json:"quantity"`
	Price               amount       `json:"price"`
	TotalDiscount       amount       `json:"total_discount"`
	DiscountAllocations []allocation `json:"discount_allocations"`
}

type order struct {
	ID            id         `json:"id"`
	Name          string     `json:"name"`
	Email         string     `json:"email"`
	Currency      string     `json:"currency"`
	CreatedAt     string     `json:"created_at"`
	UpdatedAt     string     `json:"updated_at"`
	ProcessedAt   string     `json:"processed_at"`
	CancelledAt   string     `json:"cancelled_at"`
	SubtotalPrice amount     `json:"subtotal_price"`
	LineItems     []lineItem `json:"line_items"`
	ShippingLines []struct {
		Price               amount       `json:"price"`
		DiscountAllocations []allocation `json:"discount_allocations"`
	} `json:"shipping_lines"`
	DiscountCodes []struct {
		Code   string `json:"code"`
		Amount amount `json:"amount"`
		Type   string `json:"type"`
	} `json:"discount_codes"`
	Customer          *customer `json:"customer"`
	FinancialStatus   string    `json:"financial_status"`
	FulfillmentStatus string    `json:"fulfillment_status"`
	Refunds           []refund  `json:"refunds"` // in the Admin API's orders, not in webhooks
}

type money struct {
	ShopMoney struct {
		Amount       amount `json:"amount"`
		CurrencyCode string `json:"currency_code"`
	} `json:"shop_money"`
}

type refund struct {
	ID              id     `json:"id"`
	OrderID         id     `json:"order_id"`
	CreatedAt       string `json:"created_at"`
	RefundLineItems []struct {
		LineItemID  id     `json:"line_item_id"`
		Quantity    int64  `json:"quantity"`
		Subtotal    amount `json:"subtotal"`
		SubtotalSet money  `json:"subtotal_set"`
	} `json:"refund_line_items"`
	OrderAdjustments []struct {
		Kind      string `json:"kind"`
		Amount    amount `json:"amount"`
		AmountSet money  `json:"amount_set"`
	} `json:"order_adjustments"`
	RefundShippingLines []struct {
		SubtotalAmountSet money `json:"subtotal_amount_set"`
	} `json:"refund_shipping_lines"`
	Transactions []struct {
		Kind     string `json:"kind"`
		Status   string `json:"status"`
		Amount   amount `json:"amount"`
		Currency string `json:"currency"`
	} `json:"transactions"`
}

type privacy struct {
	ShopDomain string `json:"shop_domain"`
	Customer   struct {
		ID    id     `json:"id"`
		Email string `json:"email"`
	} `json:"customer"`
	OrdersRequested []id `json:"orders_requested"`
	OrdersToRedact  []id `json:"orders_to_redact"`
	DataRequest     struct {
		ID id `json:"id"`
	} `json:"data_request"`
}

// Map turns one webhook body of topic into what Tenure should do with it. A payload it
// cannot read is a Mapped with Skip set: the delivery is logged as a mapping failure.
func Map(topic string, body []byte) service.Mapped {
	m, err := mapTopic(topic, body)
	if err != nil {
		m.Skip = err.Error()
		m.Delivery.Outcome = tenure.ShopFailed
	}
	return m
}

func mapTopic(topic string, body []byte) (m service.Mapped, err error) {
	switch topic {
	case "orders/create", "orders/paid", "orders/fulfilled", "orders/cancelled":
		var o order
		if err := json.Unmarshal(body, &o); err != nil {
			return m, fmt.Errorf("unreadable order: %v", err)
		}
		return mapOrder(topic, o)
	case "refunds/create":
		var r refund
		if err := json.Unmarshal(body, &r); err != nil {
			return m, fmt.Errorf("unreadable refund: %v", err)
		}
		return mapRefund(r)
	case "customers/create", "customers/update":
		var c customer
		if err := json.Unmarshal(body, &c); err != nil {
			return m, fmt.Errorf("unreadable customer: %v", err)
		}
		m.Delivery.ResourceID = string(c.ID)
		if c.ID == "" {
			return m, fmt.Errorf("the customer has no id")
		}
		// Profile updates repeat for one customer: each delivery is an event of its own.
		e := tenure.Event{ID: "shopify:" + topic + ":" + string(c.ID), Type: topics[topic], CustomerID: string(c.ID),
			OccurredAt: parseTime(first(c.UpdatedAt, c.CreatedAt)), Customer: c.patch()}
		if topic == "customers/update" {
			e.ID += ":" + first(c.UpdatedAt, "0")
		}
		m.Events = []tenure.Event{e}
		return m, nil
	case "carts/update":
		var c struct {
			ID id `json:"id"`
		}
		_ = json.Unmarshal(body, &c)
		m.Delivery.ResourceID = string(c.ID)
		m.Skip = "Shopify's cart webhooks do not say whose cart it is; cart events come from the storefront widget"
		return m, nil
	case "app/uninstalled":
		m.Uninstalled = true
		return m, nil
	case "customers/data_request", "customers/redact", "shop/redact":
		var p privacy
		if err := json.Unmarshal(body, &p); err != nil {
			return m, fmt.Errorf("unreadable privacy request: %v", err)
		}
		m.Delivery.ResourceID = string(p.Customer.ID)
		switch topic {
		case "customers/data_request":
			m.Delivery.Detail = fmt.Sprintf("data request %s for customer %s: answer it with GET /v1/members/%s and its events, ledger and coupons",
				p.DataRequest.ID, p.Customer.ID, p.Customer.ID)
		case "customers/redact":
			if p.Customer.ID == "" {
				return m, fmt.Errorf("the redaction names no customer")
			}
			m.Redact = string(p.Customer.ID)
		case "shop/redact":
			m.Delivery.ResourceID = p.ShopDomain
			m.ForgetShop = true
		}
		return m, nil
	}
	m.Skip = "topic " + topic + " is not one Tenure maps"
	return m, nil
}

func (c *customer) patch() *tenure.MemberPatch {
	p := &tenure.MemberPatch{Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}
	if c.Tags != "" {
		var tags []string
		for t := range strings.SplitSeq(c.Tags, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
		p.Tags = &tags
	}
	if c.Consent != nil && c.Consent.State != "" {
		p.Consents = []tenure.Consent{{Channel: "email", Purpose: "marketing", Granted: c.Consent.State == "subscribed",
			At: parseTime(c.Consent.UpdatedAt), Source: "shopify"}}
	}
	return p
}

func mapOrder(topic string, o order) (m service.Mapped, err error) {
	m.Delivery.ResourceID = string(o.ID)
	if o.ID == "" {
		return m, fmt.Errorf("the order has no id")
	}
	if o.Customer == nil || o.Customer.ID == "" {
		m.Skip = "order " + first(o.Name, string(o.ID)) + " has no customer (a guest checkout): it earns no points"
		return m, nil
	}
	cur := o.Currency
	data := &tenure.OrderData{ID: string(o.ID), Currency: cur}
	for i, l := range o.LineItems {
		price, err := tenure.ParseMoney(string(l.Price), cur)
		if err != nil {
			return m, fmt.Errorf("line_items[%d].price: %v", i, err)
		}
		discount, err := sumAllocations(l.DiscountAllocations, cur)
		if err != nil {
			return m, fmt.Errorf("line_items[%d].discount_allocations: %v", i, err)
		}
		if len(l.DiscountAllocations) == 0 && l.TotalDiscount != "" {
			if discount, err = tenure.ParseMoney(string(l.TotalDiscount), cur); err != nil {
				return m, fmt.Errorf("line_items[%d].total_discount: %v", i, err)
			}
		}
		data.Lines = append(data.Lines, tenure.LineData{ID: string(l.ID), ProductID: string(l.ProductID), SKU: l.SKU,
			Name: l.Title, Brand: l.Vendor, Quantity: l.Quantity, UnitPrice: price, Discount: discount})
	}
	for i, s := range o.ShippingLines {
		price, err := tenure.ParseMoney(string(s.Price), cur)
		if err != nil {
			return m, fmt.Errorf("shipping_lines[%d].price: %v", i, err)
		}
		off, err := sumAllocations(s.DiscountAllocations, cur)
		if err != nil {
			return m, fmt.Errorf("shipping_lines[%d].discount_allocations: %v", i, err)
		}
		data.Shipping += max(price-off, 0)
	}
	c := o.Customer
	if c.Email == nil && o.Email != "" {
		c.Email = &o.Email
	}
	at := map[string]string{"orders/create": o.CreatedAt, "orders/paid": first(o.ProcessedAt, o.UpdatedAt),
		"orders/fulfilled": o.UpdatedAt, "orders/cancelled": first(o.CancelledAt, o.UpdatedAt)}[topic]
	m.Events = []tenure.Event{{ID: "shopify:" + topic + ":" + string(o.ID), Type: topics[topic], CustomerID: string(c.ID),
		OccurredAt: parseTime(first(at, o.UpdatedAt, o.CreatedAt)), Customer: c.patch(), Order: data}}
	if topic == "orders/paid" {
		var total *int64
		if v, err := tenure.ParseMoney(string(o.SubtotalPrice), cur); err == nil {
			total = &v
		}
		for _, d := range o.DiscountCodes {
			m.CodesUsed = append(m.CodesUsed, service.CodeUse{Code: d.Code, OrderID: string(o.ID), Total: total})
		}
	}
	return m, nil
}

func mapRefund(r refund) (m service.Mapped, err error) {
	m.Delivery.ResourceID = string(r.ID)
	if r.ID == "" || r.OrderID == "" {
		return m, fmt.Errorf("the refund has no id or order_id")
	}
	cur := refundCurrency(r)
	data := &tenure.RefundData{ID: string(r.ID), OrderID: string(r.OrderID)}
	for i, l := range r.RefundLineItems {
		amount, err := tenure.ParseMoney(first(string(l.SubtotalSet.ShopMoney.Amount), string(l.Subtotal), "0"), cur)
		if err != nil {
			return m, fmt.Errorf("refund_line_items[%d].subtotal: %v", i, err)
		}
		data.Lines = append(data.Lines, tenure.RefundLineData{LineID: string(l.LineItemID), Quantity: l.Quantity, Amount: amount})
	}
	for i, a := range r.OrderAdjustments {
		if a.Kind != "shipping_refund" {
			continue
		}
		v, err := tenure.ParseMoney(first(string(a.AmountSet.ShopMoney.Amount), string(a.Amount)), cur)
		if err != nil {
			return m, fmt.Errorf("order_adjustments[%d].amount: %v", i, err)
		}
		data.Shipping += -v // Shopify writes the refunded shipping as a negative adjustment
	}
	for i, s := range r.RefundShippingLines {
		v, err := tenure.ParseMoney(string(s.SubtotalAmountSet.ShopMoney.Amount), cur)
		if err != nil {
			return m, fmt.Errorf("refund_shipping_lines[%d]: %v", i, err)
		}
		data.Shipping += v
	}
	data.Shipping = max(data.Shipping, 0)
	if len(data.Lines) == 0 {
		// A refund of an amount without lines: the money returned, less the shipping.
		var paid int64
		for i, t := range r.Transactions {
			if t.Kind != "refund" || t.Status != "success" {
				continue
			}
			v, err := tenure.ParseMoney(string(t.Amount), cur)
			if err != nil {
				return m, fmt.Errorf("transactions[%d].amount: %v", i, err)
			}
			paid += v
		}
		data.Amount = max(paid-data.Shipping, 0)
		if data.Amount == 0 && data.Shipping == 0 {
			m.Skip = "refund " + string(r.ID) + " returns no goods, shipping or money"
			return m, nil
		}
	}
	// The refund names no customer: service.Shops takes the order's.
	m.Events = []tenure.Event{{ID: "shopify:refunds/create:" + string(r.ID), Type: tenure.OrderRefunded,
		OccurredAt: parseTime(r.CreatedAt), Refund: data}}
	return m, nil
}

func refundCurrency(r refund) string {
	for _, l := range r.RefundLineItems {
		if c := l.SubtotalSet.ShopMoney.CurrencyCode; c != "" {
			return c
		}
	}
	for _, t := range r.Transactions {
		if t.Currency != "" {
			return t.Currency
		}
	}
	for _, a := range r.OrderAdjustments {
		if c := a.AmountSet.ShopMoney.CurrencyCode; c != "" {
			return c
		}
	}
	return ""
}

func sumAllocations(as []allocation, cur string) (int64, error) {
	var sum int64
	for _, a := range as {
		v, err := tenure.ParseMoney(string(a.Amount), cur)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
