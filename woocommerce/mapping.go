package woocommerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// Topics lists the webhooks a site should send.
var Topics = []string{"order.created", "order.updated", "order.deleted", "customer.created", "customer.updated", "customer.deleted"}

// text is a JSON value WooCommerce sends as a string in some versions and a number in
// others (ids, prices); its text is kept as sent, never through a float.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "false" {
		s = ""
	}
	*t = text(s)
	return nil
}

type person struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	City      string `json:"city"`
	Country   string `json:"country"`
}

type order struct {
	ID               text   `json:"id"`
	Number           string `json:"number"`
	Status           string `json:"status"`
	Currency         string `json:"currency"`
	DateCreatedGMT   string `json:"date_created_gmt"`
	DateModifiedGMT  string `json:"date_modified_gmt"`
	DatePaidGMT      string `json:"date_paid_gmt"`
	DateCompletedGMT string `json:"date_completed_gmt"`
	CustomerID       text   `json:"customer_id"`
	Billing          person `json:"billing"`
	LineItems        []struct {
		ID        text   `json:"id"`
		Name      string `json:"name"`
		ProductID text   `json:"product_id"`
		SKU       string `json:"sku"`
		Quantity  int64  `json:"quantity"`
		Subtotal  text   `json:"subtotal"`
		Total     text   `json:"total"`
	} `json:"line_items"`
	ShippingLines []struct {
		Total text `json:"total"`
	} `json:"shipping_lines"`
	CouponLines []struct {
		Code string `json:"code"`
	} `json:"coupon_lines"`
	Refunds []struct {
		ID    text `json:"id"`
		Total text `json:"total"`
	} `json:"refunds"`
	Total text `json:"total"`
}

type customer struct {
	ID              text   `json:"id"`
	Email           string `json:"email"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	DateCreatedGMT  string `json:"date_created_gmt"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	Billing         person `json:"billing"`
}

// Map turns one webhook body of topic into what Tenure should do with it; a payload it
// cannot read is logged as a mapping failure.
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
	case "order.created", "order.updated", "order.restored":
		var o order
		if err := json.Unmarshal(body, &o); err != nil {
			return m, fmt.Errorf("unreadable order: %v", err)
		}
		return mapOrder(o)
	case "order.deleted":
		var o struct {
			ID text `json:"id"`
		}
		_ = json.Unmarshal(body, &o)
		m.Delivery.ResourceID = string(o.ID)
		m.Skip = "a deleted order changes no points; cancel or refund it to take them back"
		return m, nil
	case "customer.created", "customer.updated":
		var c customer
		if err := json.Unmarshal(body, &c); err != nil {
			return m, fmt.Errorf("unreadable customer: %v", err)
		}
		m.Delivery.ResourceID = string(c.ID)
		if c.ID == "" || c.ID == "0" {
			return m, fmt.Errorf("the customer has no id")
		}
		p := c.Billing
		p.Email, p.FirstName, p.LastName = first(c.Email, p.Email), first(c.FirstName, p.FirstName), first(c.LastName, p.LastName)
		e := tenure.Event{ID: "woocommerce:" + topic + ":" + string(c.ID), Type: tenure.CustomerCreated, CustomerID: string(c.ID),
			OccurredAt: parseGMT(first(c.DateModifiedGMT, c.DateCreatedGMT)), Customer: patch(p)}
		if topic == "customer.updated" {
			e.Type, e.ID = tenure.CustomerUpdated, e.ID+":"+first(c.DateModifiedGMT, "0")
		}
		m.Events = []tenure.Event{e}
		return m, nil
	case "customer.deleted":
		var c struct {
			ID text `json:"id"`
		}
		_ = json.Unmarshal(body, &c)
		m.Delivery.ResourceID = string(c.ID)
		if c.ID == "" {
			return m, fmt.Errorf("the customer has no id")
		}
		m.Redact = string(c.ID)
		return m, nil
	}
	m.Skip = "topic " + topic + " is not one Tenure maps"
	return m, nil
}

func patch(p person) *tenure.MemberPatch {
	out := &tenure.MemberPatch{}
	for _, f := range []struct {
		v   string
		dst **string
	}{{p.Email, &out.Email}, {p.FirstName, &out.FirstName}, {p.LastName, &out.LastName}, {p.Phone, &out.Phone}, {p.City, &out.City}, {p.Country, &out.Country}} {
		if f.v != "" {
			v := f.v
			*f.dst = &v
		}
	}
	return out
}

// statusEvents says which order events a status means. WooCommerce sends the whole order
// on every change, so each transition maps to the events up to its status; those already
// received are recognised by their ids and change nothing.
var statusEvents = map[string][]tenure.EventType{
	"pending":    {tenure.OrderPlaced},
	"on-hold":    {tenure.OrderPlaced},
	"processing": {tenure.OrderPlaced, tenure.OrderPaid},
	"completed":  {tenure.OrderPlaced, tenure.OrderPaid, tenure.OrderFulfilled},
	"cancelled":  {tenure.OrderPlaced, tenure.OrderCancelled},
	"failed":     {tenure.OrderPlaced, tenure.OrderCancelled},
	"refunded":   {tenure.OrderPlaced, tenure.OrderPaid},
}

func mapOrder(o order) (m service.Mapped, err error) {
	m.Delivery.ResourceID = string(o.ID)
	if o.ID == "" {
		return m, fmt.Errorf("the order has no id")
	}
	if o.CustomerID == "" || o.CustomerID == "0" {
		m.Skip = "order " + first(o.Number, string(o.ID)) + " has no customer account (a guest checkout): it earns no points"
		return m, nil
	}
	types, ok := statusEvents[o.Status]
	if !ok {
		m.Skip = "order status " + o.Status + " means nothing to Tenure yet"
		return m, nil
	}
	cur := o.Currency
	data := &tenure.OrderData{ID: string(o.ID), Currency: cur}
	for i, l := range o.LineItems {
		gross, err := tenure.ParseMoney(string(l.Subtotal), cur)
		if err != nil {
			return m, fmt.Errorf("line_items[%d].subtotal: %v", i, err)
		}
		net, err := tenure.ParseMoney(string(l.Total), cur)
		if err != nil {
			return m, fmt.Errorf("line_items[%d].total: %v", i, err)
		}
		if l.Quantity < 1 {
			return m, fmt.Errorf("line_items[%d].quantity must be at least 1", i)
		}
		// WooCommerce gives line totals; a unit price that does not divide evenly is
		// rounded up and the difference counted as discount, so the line nets exactly.
		unit := (gross + l.Quantity - 1) / l.Quantity
		data.Lines = append(data.Lines, tenure.LineData{ID: string(l.ID), ProductID: string(l.ProductID), SKU: l.SKU, Name: l.Name,
			Quantity: l.Quantity, UnitPrice: unit, Discount: unit*l.Quantity - net})
	}
	for i, s := range o.ShippingLines {
		v, err := tenure.ParseMoney(string(s.Total), cur)
		if err != nil {
			return m, fmt.Errorf("shipping_lines[%d].total: %v", i, err)
		}
		data.Shipping += v
	}
	customer := string(o.CustomerID)
	at := map[tenure.EventType]string{tenure.OrderPlaced: o.DateCreatedGMT, tenure.OrderPaid: first(o.DatePaidGMT, o.DateModifiedGMT),
		tenure.OrderFulfilled: first(o.DateCompletedGMT, o.DateModifiedGMT), tenure.OrderCancelled: o.DateModifiedGMT}
	for _, t := range types {
		e := tenure.Event{ID: "woocommerce:" + string(t) + ":" + string(o.ID), Type: t, CustomerID: customer,
			OccurredAt: parseGMT(at[t]), Order: data}
		if t == tenure.OrderPlaced {
			e.Customer = patch(o.Billing)
		}
		m.Events = append(m.Events, e)
	}
	if o.Status == "processing" || o.Status == "completed" {
		var total *int64
		if v, err := tenure.ParseMoney(string(o.Total), cur); err == nil {
			total = &v
		}
		for _, c := range o.CouponLines {
			m.CodesUsed = append(m.CodesUsed, service.CodeUse{Code: strings.ToUpper(c.Code), OrderID: string(o.ID), Total: total})
		}
	}
	// Refunds: WooCommerce lists each with its (negative) total; each becomes one refund
	// of that amount, once, whatever later updates repeat it.
	for i, r := range o.Refunds {
		v, err := tenure.ParseMoney(string(r.Total), cur)
		if err != nil {
			return m, fmt.Errorf("refunds[%d].total: %v", i, err)
		}
		m.Events = append(m.Events, tenure.Event{ID: "woocommerce:refund:" + string(r.ID), Type: tenure.OrderRefunded, CustomerID: customer,
			OccurredAt: parseGMT(o.DateModifiedGMT), Refund: &tenure.RefundData{ID: string(r.ID), OrderID: string(o.ID), Amount: -v}})
	}
	if o.Status == "refunded" && len(o.Refunds) == 0 {
		m.Events = append(m.Events, tenure.Event{ID: "woocommerce:refund:full:" + string(o.ID), Type: tenure.OrderRefunded, CustomerID: customer,
			OccurredAt: parseGMT(o.DateModifiedGMT), Refund: &tenure.RefundData{OrderID: string(o.ID), Full: true}})
	}
	return m, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseGMT reads WooCommerce's *_gmt times, which carry no zone.
func parseGMT(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04:05", s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
