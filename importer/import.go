package importer

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Import reads an order-line CSV from src and delivers member orders and refunds to sink,
// holding only a window of open invoices and the purchase index refunds are matched
// against. Each row is either kept, skipped (counted by reason) or rejected (counted by
// reason and written to cfg.Rejects). The rules, first match wins:
//
//  1. a row that cannot be read (see RowError) is rejected;
//  2. an invoice starting with one of cfg.AdjustmentPrefixes is skipped (ReasonAdjustment);
//  3. a stock code in cfg.NonProductCodes is skipped (ReasonNonProduct);
//  4. a zero or negative unit price is skipped (ReasonZeroPrice, ReasonNegativePrice);
//  5. outside a cancellation invoice, a quantity <= 0 is skipped; inside one, a quantity
//     >= 0 is rejected (ReasonCancellationQuantity);
//  6. a price with more decimals than the currency is rejected unless
//     cfg.RoundSubMinorPrices (ReasonPricePrecision);
//  7. a line of an invoice already closed, or naming another customer than its invoice, is
//     rejected (ReasonLateLine, ReasonCustomerMismatch);
//  8. a guest line (no customer id) is counted in the guest figures and goes no further;
//  9. a member line joins its invoice. A closed invoice becomes an Order, or, for a
//     cancellation invoice, Refunds: each line takes its units back from the customer's
//     most recent line of the same stock code placed no later than the cancellation with
//     enough units left; a line with no such purchase is rejected
//     (ReasonUnmatchedCancellation).
//
// A nil sink discards the records (a dry run that still counts and reports). The summary
// is returned, covering what was read, whenever the configuration was valid, even when an
// error stops the import. Errors: a bad configuration or header, an unreadable input, a
// sink or rejects-writer error, or ctx's error.
func Import(ctx context.Context, src io.Reader, cfg Config, sink Sink) (*Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	if sink == nil {
		sink = SinkFuncs{}
	}
	r := &run{cfg: cfg, sink: sink, start: cfg.Clock.Now(), win: newWindow(cfg.Window),
		match: newMatcher(), nonProduct: map[string]bool{},
		sum: &Summary{Currency: cfg.Mapping.Currency, Skipped: map[Reason]int64{}, Rejected: map[Reason]int64{}}}
	for _, c := range cfg.NonProductCodes {
		r.nonProduct[strings.ToUpper(strings.TrimSpace(c))] = true
	}
	r.total = cfg.TotalBytes
	if st, ok := src.(interface{ Stat() (fs.FileInfo, error) }); ok && r.total == 0 {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			r.total = fi.Size()
		}
	}
	rd, err := NewReader(src, cfg.Mapping)
	if err != nil {
		return r.sum, err
	}
	r.rd, r.rejects = rd, newRejectLog(cfg.Rejects, rd.Header())
	err = r.loop(ctx)
	if err == nil {
		for _, inv := range r.win.drain() {
			if err = r.close(inv); err != nil {
				break
			}
		}
	}
	if ferr := r.rejects.flush(); err == nil && ferr != nil {
		err = fmt.Errorf("importer: writing rejects: %w", ferr)
	}
	r.sum.FileTotal = r.fileTotal.minor(MinorDigits(cfg.Mapping.Currency))
	r.sum.FileTotalExact = r.fileTotal.text(MinorDigits(cfg.Mapping.Currency))
	r.sum.Customers = int64(len(r.match.customers.ids))
	r.sum.Bytes = rd.BytesRead()
	r.sum.Elapsed = cfg.Clock.Now().Sub(r.start)
	r.progress(true)
	return r.sum, err
}

// run is the state of one import.
type run struct {
	cfg        Config
	sink       Sink
	rd         *Reader
	rejects    *rejectLog
	win        *window
	match      *matcher
	sum        *Summary
	nonProduct map[string]bool
	fileTotal  exactSum
	start      time.Time
	total      int64
}

func (r *run) loop(ctx context.Context) error {
	for {
		l, err := r.rd.Next()
		if err == io.EOF {
			return nil
		}
		re, isRow := err.(*RowError)
		if err != nil && !isRow {
			return err
		}
		r.sum.Rows++
		if r.sum.Rows%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if r.sum.Rows%int64(r.cfg.ProgressEvery) == 0 {
			r.progress(false)
		}
		if re != nil {
			err = r.reject(re)
		} else {
			err = r.line(l)
		}
		if err != nil {
			return err
		}
	}
}

func (r *run) progress(done bool) {
	if r.cfg.Progress == nil {
		return
	}
	r.cfg.Progress(Progress{BytesRead: r.rd.BytesRead(), BytesTotal: r.total, Rows: r.sum.Rows,
		Elapsed: r.cfg.Clock.Now().Sub(r.start), Done: done})
}

func (r *run) reject(e *RowError) error {
	r.sum.Rejected[e.Reason]++
	if err := r.rejects.write(e); err != nil {
		return fmt.Errorf("importer: writing rejects: %w", err)
	}
	return nil
}

func (r *run) skip(reason Reason) error {
	r.sum.Skipped[reason]++
	return nil
}

// line applies the rules of Import to one readable row.
func (r *run) line(l *Line) error {
	r.fileTotal.addProduct(l.Quantity, l.price)
	cancel := hasAnyPrefix(l.Invoice, r.cfg.CancellationPrefixes)
	switch {
	case hasAnyPrefix(l.Invoice, r.cfg.AdjustmentPrefixes):
		return r.skip(ReasonAdjustment)
	case r.nonProduct[strings.ToUpper(l.StockCode)]:
		return r.skip(ReasonNonProduct)
	case l.price.sign() == 0:
		return r.skip(ReasonZeroPrice)
	case l.price.sign() < 0:
		return r.skip(ReasonNegativePrice)
	case !cancel && l.Quantity <= 0:
		return r.skip(ReasonNonPositiveQuantity)
	case cancel && l.Quantity >= 0:
		return r.reject(&RowError{Line: l.No, Reason: ReasonCancellationQuantity, Fields: clone(l.Fields),
			Detail: fmt.Sprintf("cancellation line with quantity %d; expected a negative quantity", l.Quantity)})
	case !l.PriceExact && !r.cfg.RoundSubMinorPrices:
		return r.reject(&RowError{Line: l.No, Reason: ReasonPricePrecision, Fields: clone(l.Fields),
			Detail: fmt.Sprintf("unit price has more decimals than %s allows", r.cfg.Mapping.Currency)})
	}
	evicted, re := r.win.add(l, cancel)
	if re != nil {
		return r.reject(re)
	}
	if l.CustomerID == "" {
		r.sum.GuestLines++
		r.sum.GuestRevenue += l.Quantity * l.UnitPrice
	}
	if evicted != nil {
		return r.close(evicted)
	}
	return nil
}

// close turns a closed invoice into records and recycles it.
func (r *run) close(inv *openInvoice) error {
	defer r.win.release(inv)
	switch {
	case inv.guest > 0:
		r.sum.GuestInvoices++
		return nil
	case len(inv.lines) == 0:
		return nil
	case inv.cancel:
		return r.refunds(inv)
	}
	o := &Order{CustomerID: inv.customer, Country: inv.country, PlacedAt: inv.at, FirstLine: inv.first,
		Data: tenure.OrderData{ID: inv.id, Currency: r.cfg.Mapping.Currency, Lines: make([]tenure.LineData, len(inv.lines))}}
	for i, l := range inv.lines {
		o.Data.Lines[i] = tenure.LineData{ID: strconv.Itoa(i + 1), ProductID: l.stock, Name: l.name,
			Quantity: l.qty, UnitPrice: l.price}
	}
	r.match.remember(o)
	r.sum.Orders++
	r.sum.Lines += int64(len(o.Data.Lines))
	r.sum.Revenue += o.Total()
	if err := r.sink.Order(o); err != nil {
		return fmt.Errorf("importer: order %s: %w", o.Data.ID, err)
	}
	return nil
}

// refunds matches a cancellation invoice's lines and emits one Refund per order touched,
// in the order each order is first touched.
func (r *run) refunds(inv *openInvoice) error {
	var out []*Refund
	byOrder := map[string]*Refund{}
	for _, l := range inv.lines {
		units := -l.qty
		orderID, line, ok := r.match.take(inv.customer, l.stock, inv.at, units)
		if !ok {
			err := r.reject(&RowError{Line: l.no, Reason: ReasonUnmatchedCancellation, Fields: l.fields,
				Detail: fmt.Sprintf("no earlier purchase of %d x %s by customer %s left to cancel", units, l.stock, inv.customer)})
			if err != nil {
				return err
			}
			continue
		}
		ref := byOrder[orderID]
		if ref == nil {
			ref = &Refund{Invoice: inv.id, CustomerID: inv.customer, At: inv.at,
				Data: tenure.RefundData{ID: inv.id + "/" + orderID, OrderID: orderID}}
			byOrder[orderID] = ref
			out = append(out, ref)
		}
		amount := units * l.price
		ref.Data.Amount += amount
		ref.Data.Lines = append(ref.Data.Lines, tenure.RefundLineData{LineID: strconv.Itoa(int(line)), Quantity: units, Amount: amount})
	}
	for _, ref := range out {
		r.sum.Refunds++
		r.sum.RefundLines += int64(len(ref.Data.Lines))
		r.sum.Refunded += ref.Data.Amount
		if err := r.sink.Refund(ref); err != nil {
			return fmt.Errorf("importer: refund %s: %w", ref.Data.ID, err)
		}
	}
	return nil
}

func clone(s []string) []string { return append([]string(nil), s...) }

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
