package importer

import (
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Order is one member's invoice, as the domain's order data. Data.ID is the invoice number;
// each line has ID "1", "2", ... in file order, ProductID = stock code, Name = trimmed
// description, and the quantity and unit price of the row.
type Order struct {
	CustomerID string
	Country    string    // the country of the invoice's first line
	PlacedAt   time.Time // the earliest date among the invoice's lines, UTC
	FirstLine  int       // file line of the invoice's first row
	Data       tenure.OrderData
}

// Total is the sum of the order's lines.
func (o *Order) Total() int64 {
	var t int64
	for _, l := range o.Data.Lines {
		t += l.Quantity * l.UnitPrice
	}
	return t
}

// Items is the number of units in the order.
func (o *Order) Items() int64 {
	var n int64
	for _, l := range o.Data.Lines {
		n += l.Quantity
	}
	return n
}

// Refund is the part of one cancellation invoice that takes units back from one earlier
// order. Data.ID is "<cancellation invoice>/<order id>", Data.OrderID the earlier order, and
// each line names the order line it takes back from, the units (positive) and the amount at
// the cancellation's unit price.
type Refund struct {
	Invoice    string    // the cancellation invoice ("C536379")
	CustomerID string    //
	At         time.Time // the cancellation's earliest line date, UTC
	Data       tenure.RefundData
}

// Sink receives what an import produces, in file order of the invoices' first lines; an
// order is always delivered before any refund against it. An error stops the import and is
// returned by Import.
type Sink interface {
	Order(*Order) error
	Refund(*Refund) error
}

// SinkFuncs adapts two functions to a Sink; a nil function ignores its records.
type SinkFuncs struct {
	OnOrder  func(*Order) error
	OnRefund func(*Refund) error
}

// Order calls OnOrder.
func (s SinkFuncs) Order(o *Order) error {
	if s.OnOrder == nil {
		return nil
	}
	return s.OnOrder(o)
}

// Refund calls OnRefund.
func (s SinkFuncs) Refund(r *Refund) error {
	if s.OnRefund == nil {
		return nil
	}
	return s.OnRefund(r)
}
