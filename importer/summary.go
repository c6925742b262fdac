package importer

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// Reason names why a row was skipped or rejected. Skipped rows are expected in a healthy
// file and merely counted; rejected rows are problems, written to Config.Rejects.
type Reason string

// Reasons a row is skipped: it is read correctly but is not a member's goods.
const (
	ReasonAdjustment          Reason = "adjustment_invoice"    // a bad-debt adjustment invoice (A prefix)
	ReasonNonProduct          Reason = "non_product_code"      // a stock code in Config.NonProductCodes
	ReasonZeroPrice           Reason = "zero_price"            // unit price 0
	ReasonNegativePrice       Reason = "negative_price"        // unit price below 0
	ReasonNonPositiveQuantity Reason = "non_positive_quantity" // quantity <= 0 outside a cancellation
)

// Reasons a row is rejected: it cannot be imported as it stands.
const (
	ReasonMalformed        Reason = "malformed_row"      // broken CSV quoting or too few fields
	ReasonMissingInvoice   Reason = "missing_invoice"    // empty invoice number
	ReasonMissingStockCode Reason = "missing_stock_code" // empty stock code
	ReasonBadQuantity      Reason = "bad_quantity"       // not a whole number
	ReasonBadPrice         Reason = "bad_price"          // not a decimal number, or out of range
	ReasonBadDate          Reason = "bad_date"           // does not match Mapping.DateLayout
	ReasonBadText          Reason = "bad_text"           // a field with a NUL character or invalid UTF-8 (never stored, nor repaired)
	// ReasonPricePrecision: the price has more decimals than the currency (0.001 GBP) and
	// Config.RoundSubMinorPrices is off.
	ReasonPricePrecision Reason = "price_precision"
	// ReasonCancellationQuantity: a line of a cancellation invoice with a quantity >= 0.
	ReasonCancellationQuantity Reason = "cancellation_quantity"
	// ReasonCustomerMismatch: a line whose customer differs from its invoice's first line.
	ReasonCustomerMismatch Reason = "customer_mismatch"
	// ReasonLateLine: a line of an invoice that was already closed and emitted, because more
	// than Config.Window other invoices began in between.
	ReasonLateLine Reason = "late_invoice_line"
	// ReasonUnmatchedCancellation: no earlier purchase of the same customer and stock code
	// has enough quantity left to take the cancelled units back from.
	ReasonUnmatchedCancellation Reason = "unmatched_cancellation"
)

// Summary counts what an import read and produced. Amounts are minor units of the
// mapping's currency.
type Summary struct {
	Currency string `json:"currency"`
	Bytes    int64  `json:"bytes"` // input bytes read (compressed bytes for gzip)
	Rows     int64  `json:"rows"`  // data rows read, the header excluded

	Orders      int64 `json:"orders"`       // member orders emitted
	Lines       int64 `json:"lines"`        // lines in those orders
	Revenue     int64 `json:"revenue"`      // sum of quantity x unit price over those lines
	Refunds     int64 `json:"refunds"`      // refunds emitted (one per cancellation invoice and order it touches)
	RefundLines int64 `json:"refund_lines"` // refund lines in those refunds
	Refunded    int64 `json:"refunded"`     // sum of refund amounts
	Customers   int64 `json:"customers"`    // distinct customers with at least one emitted order

	// Guest lines (no customer id) that passed every skip rule: counted, never emitted.
	// GuestRevenue is their signed sum, so guest cancellations reduce it.
	GuestLines    int64 `json:"guest_lines"`
	GuestInvoices int64 `json:"guest_invoices"`
	GuestRevenue  int64 `json:"guest_revenue"`

	Skipped  map[Reason]int64 `json:"skipped"`
	Rejected map[Reason]int64 `json:"rejected"`

	// FileTotal is the sum of quantity x unit price over every row whose quantity and price
	// could be read, whatever else is wrong with it (cancellations, adjustments, guests and
	// fees included), computed exactly and rounded half to even to minor units at the end.
	// FileTotalExact is the same sum unrounded, in major units ("9747747.934").
	FileTotal      int64  `json:"file_total"`
	FileTotalExact string `json:"file_total_exact"`

	Elapsed time.Duration `json:"elapsed"`
}

// SkippedTotal is the number of skipped rows.
func (s *Summary) SkippedTotal() int64 { return sum(s.Skipped) }

// RejectedTotal is the number of rejected rows.
func (s *Summary) RejectedTotal() int64 { return sum(s.Rejected) }

func sum(m map[Reason]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Progress is a snapshot of a running import, enough to draw a progress bar.
type Progress struct {
	BytesRead  int64 // input bytes consumed so far
	BytesTotal int64 // the input's size; 0 when unknown
	Rows       int64 // data rows read so far
	Elapsed    time.Duration
	Done       bool // the last report of the import
}

// Fraction is BytesRead / BytesTotal in [0, 1], or -1 when the total is unknown.
func (p Progress) Fraction() float64 {
	if p.BytesTotal <= 0 {
		return -1
	}
	return min(1, float64(p.BytesRead)/float64(p.BytesTotal))
}

// RowsPerSecond is the average rate since the start (0 before any time has passed).
func (p Progress) RowsPerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Rows) / p.Elapsed.Seconds()
}

// ETA estimates the time left from the byte rate so far; ok is false when the total is
// unknown or nothing has been read yet.
func (p Progress) ETA() (left time.Duration, ok bool) {
	if p.BytesTotal <= 0 || p.BytesRead <= 0 || p.Elapsed <= 0 {
		return 0, false
	}
	if p.BytesRead >= p.BytesTotal {
		return 0, true
	}
	perByte := float64(p.Elapsed) / float64(p.BytesRead)
	return time.Duration(perByte * float64(p.BytesTotal-p.BytesRead)), true
}

// rejectLog writes rejected rows as CSV: line, reason, detail, then the original fields.
type rejectLog struct {
	w      *csv.Writer
	header []string
	wrote  bool
}

func newRejectLog(w io.Writer, header []string) *rejectLog {
	if w == nil {
		return nil
	}
	return &rejectLog{w: csv.NewWriter(w), header: header}
}

func (r *rejectLog) write(e *RowError) error {
	if r == nil {
		return nil
	}
	if !r.wrote {
		r.wrote = true
		if err := r.w.Write(append([]string{"line", "reason", "detail"}, r.header...)); err != nil {
			return err
		}
	}
	rec := append([]string{strconv.Itoa(e.Line), string(e.Reason), e.Detail}, e.Fields...)
	return r.w.Write(rec)
}

func (r *rejectLog) flush() error {
	if r == nil {
		return nil
	}
	r.w.Flush()
	return r.w.Error()
}
