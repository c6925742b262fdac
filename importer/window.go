package importer

import (
	"fmt"
	"slices"
	"time"
)

// openInvoice gathers the kept lines of one invoice until it is closed.
type openInvoice struct {
	id       string
	customer string
	country  string
	cancel   bool
	first    int       // file line of its first row
	at       time.Time // earliest line date
	lines    []openLine
	guest    int // guest lines seen (guest invoices keep no lines)
}

// openLine is one kept row of an open invoice.
type openLine struct {
	no     int
	stock  string
	name   string
	qty    int64
	price  int64
	at     time.Time
	fields []string // original fields, kept for cancellation lines (they may be rejected later)
}

// window holds at most size open invoices, in the order their first lines appeared.
// An invoice is closed when it is the oldest and a new one needs room, or at the end.
// Memory: the open invoices' lines plus the ids of closed invoices (to recognise late
// lines), never the whole file.
type window struct {
	size   int
	queue  []*openInvoice
	byID   map[string]*openInvoice
	closed *idSet
	free   []*openInvoice
}

func newWindow(size int) *window {
	return &window{size: size, byID: make(map[string]*openInvoice, size),
		closed: newIDSet()}
}

// add files a kept line under its invoice. It returns an invoice to close first when the
// window is full (the caller closes it, then calls release), or a RowError when the line
// cannot join: its invoice was already closed, or it names another customer.
func (w *window) add(l *Line, cancel bool) (evicted *openInvoice, rerr *RowError) {
	inv, ok := w.byID[l.Invoice]
	if !ok {
		if w.closed.has(l.Invoice) {
			return nil, &RowError{Line: l.No, Reason: ReasonLateLine, Fields: slices.Clone(l.Fields),
				Detail: fmt.Sprintf("invoice %s was already closed; more than %d other invoices began since its last line", l.Invoice, w.size)}
		}
		if len(w.queue) == w.size {
			evicted = w.queue[0]
			w.queue = w.queue[1:]
			delete(w.byID, evicted.id)
			w.closed.add(evicted.id)
		}
		inv = w.get()
		inv.id, inv.customer, inv.country, inv.cancel = l.Invoice, l.CustomerID, l.Country, cancel
		inv.first, inv.at = l.No, l.At
		w.queue = append(w.queue, inv)
		w.byID[inv.id] = inv
	} else if inv.customer != l.CustomerID {
		return nil, &RowError{Line: l.No, Reason: ReasonCustomerMismatch, Fields: slices.Clone(l.Fields),
			Detail: fmt.Sprintf("customer %q differs from invoice %s's customer %q", l.CustomerID, l.Invoice, inv.customer)}
	}
	if l.At.Before(inv.at) {
		inv.at = l.At
	}
	if l.CustomerID == "" {
		inv.guest++
		return evicted, nil
	}
	ol := openLine{no: l.No, stock: l.StockCode, name: l.Description, qty: l.Quantity, price: l.UnitPrice, at: l.At}
	if cancel {
		ol.fields = slices.Clone(l.Fields)
	}
	inv.lines = append(inv.lines, ol)
	return evicted, nil
}

// drain closes every open invoice, oldest first.
func (w *window) drain() []*openInvoice {
	q := w.queue
	w.queue = nil
	for _, inv := range q {
		delete(w.byID, inv.id)
		w.closed.add(inv.id)
	}
	return q
}

func (w *window) get() *openInvoice {
	if n := len(w.free); n > 0 {
		inv := w.free[n-1]
		w.free = w.free[:n-1]
		return inv
	}
	return &openInvoice{}
}

// release recycles a closed invoice once its lines have been copied out.
func (w *window) release(inv *openInvoice) {
	lines := inv.lines[:0]
	clear(inv.lines)
	*inv = openInvoice{lines: lines}
	if len(w.free) < w.size {
		w.free = append(w.free, inv)
	}
}
