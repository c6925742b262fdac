package importer

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Line is one parsed row of an order-line file.
type Line struct {
	No          int    // physical line in the file where the row starts; the header is line 1
	Invoice     string // trimmed invoice number
	StockCode   string // trimmed stock code
	Description string // trimmed; empty when missing or a null marker
	Quantity    int64  // signed units
	// UnitPrice is the signed price of one unit in minor units of the currency. When the
	// file has more decimals than the currency, it is rounded half to even and PriceExact
	// is false.
	UnitPrice  int64
	PriceExact bool
	At         time.Time // UTC
	CustomerID string    // normalised ("17850.0" reads "17850"); empty for a guest
	Country    string
	// Fields are the row's original fields. They are only valid until the next call to
	// Next: copy them to keep them.
	Fields []string

	price decimal // the exact price, for file totals
}

// RowError reports a row that could not be read. The reader carries on after it.
type RowError struct {
	Line   int      // physical line where the row starts
	Reason Reason   // what kind of problem
	Detail string   // a human explanation
	Fields []string // the original fields (a copy), nil when the CSV itself was broken
}

// Error returns "line N: reason: detail".
func (e *RowError) Error() string {
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Reason, e.Detail)
}

// Reader streams the rows of an order-line CSV, plain or gzip-compressed (recognised by its
// magic bytes). It holds one row at a time.
type Reader struct {
	m       Mapping
	counter *countingReader
	csv     *csv.Reader
	header  []string
	col     [8]int // column index per field, -1 when absent
	need    int    // fields a row must have
	nulls   map[string]bool

	lastDate string // consecutive rows share a date: parse it once
	lastAt   time.Time
	line     Line
}

const (
	colInvoice = iota
	colStock
	colDesc
	colQty
	colDate
	colPrice
	colCustomer
	colCountry
)

// NewReader reads the header of src and returns a reader positioned on the first row. It
// fails when the mapping is invalid or a required column (all but description and country)
// is missing.
func NewReader(src io.Reader, m Mapping) (*Reader, error) {
	m, err := m.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("importer: mapping: %w", err)
	}
	r := &Reader{m: m, counter: &countingReader{r: src}, nulls: map[string]bool{}}
	for _, v := range m.NullValues {
		r.nulls[v] = true
	}
	br := bufio.NewReaderSize(r.counter, 64<<10)
	var in io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("importer: gzip: %w", err)
		}
		in = gz
	}
	r.csv = csv.NewReader(in)
	r.csv.Comma = m.Comma
	r.csv.LazyQuotes = m.LazyQuotes
	r.csv.FieldsPerRecord = -1
	r.csv.ReuseRecord = true
	header, err := r.csv.Read()
	if err == io.EOF {
		return nil, errors.New("importer: the file is empty (no header)")
	}
	if err != nil {
		return nil, fmt.Errorf("importer: header: %w", err)
	}
	r.header = slices.Clone(header)
	if err := r.mapColumns(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reader) mapColumns() error {
	index := map[string]int{}
	for i, h := range r.header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	names := [8]string{r.m.Invoice, r.m.StockCode, r.m.Description, r.m.Quantity, r.m.Date,
		r.m.UnitPrice, r.m.CustomerID, r.m.Country}
	var missing []string
	for f, name := range names {
		i, ok := index[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			r.col[f] = -1
			if f != colDesc && f != colCountry {
				missing = append(missing, name)
			}
			continue
		}
		r.col[f] = i
		r.need = max(r.need, i+1)
	}
	if len(missing) > 0 {
		return fmt.Errorf("importer: header lacks column(s) %s (have %s)",
			strings.Join(missing, ", "), strings.Join(r.header, ", "))
	}
	return nil
}

// Header returns the file's column names as written.
func (r *Reader) Header() []string { return r.header }

// BytesRead is how many bytes have been taken from the input so far (compressed bytes for
// a gzip file), for progress against the input's size.
func (r *Reader) BytesRead() int64 { return r.counter.n }

// Next returns the next row. At the end it returns io.EOF; for a row it cannot read it
// returns a *RowError and can be called again; any other error (a broken gzip stream, a
// failing input) is final. The returned Line is reused by the next call.
func (r *Reader) Next() (*Line, error) {
	rec, err := r.csv.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote)) {
			return nil, &RowError{Line: pe.StartLine, Reason: ReasonMalformed, Detail: pe.Err.Error()}
		}
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("importer: read: %w", err)
	}
	no, _ := r.csv.FieldPos(0)
	bad := func(reason Reason, format string, a ...any) (*Line, error) {
		return nil, &RowError{Line: no, Reason: reason, Detail: fmt.Sprintf(format, a...), Fields: slices.Clone(rec)}
	}
	if len(rec) < r.need {
		return bad(ReasonMalformed, "row has %d fields, the header needs %d", len(rec), r.need)
	}
	for i, f := range rec {
		if msg := tenure.TextProblem(f); msg != "" {
			return bad(ReasonBadText, "field %d %s", i+1, msg)
		}
	}
	l := &r.line
	*l = Line{No: no, Fields: rec}
	l.Invoice = strings.TrimSpace(rec[r.col[colInvoice]])
	if l.Invoice == "" {
		return bad(ReasonMissingInvoice, "no invoice number")
	}
	l.StockCode = strings.TrimSpace(rec[r.col[colStock]])
	if l.StockCode == "" {
		return bad(ReasonMissingStockCode, "no stock code")
	}
	q, err := parseDecimal(rec[r.col[colQty]], r.m.DecimalSeparator, r.m.ThousandsSeparator)
	if err != nil {
		return bad(ReasonBadQuantity, "quantity %q: %v", rec[r.col[colQty]], err)
	}
	var whole bool
	if l.Quantity, whole = q.integer(); !whole {
		return bad(ReasonBadQuantity, "quantity %q is not a whole number", rec[r.col[colQty]])
	}
	if abs(l.Quantity) > tenure.MaxQuantity {
		return bad(ReasonBadQuantity, "quantity %d is beyond +/-%d", l.Quantity, tenure.MaxQuantity)
	}
	if l.price, err = parseDecimal(rec[r.col[colPrice]], r.m.DecimalSeparator, r.m.ThousandsSeparator); err != nil {
		return bad(ReasonBadPrice, "unit price %q: %v", rec[r.col[colPrice]], err)
	}
	if l.UnitPrice, l.PriceExact, err = l.price.minor(MinorDigits(r.m.Currency)); err != nil {
		return bad(ReasonBadPrice, "unit price %q: %v", rec[r.col[colPrice]], err)
	}
	if abs(l.UnitPrice) > tenure.MaxMoney {
		return bad(ReasonBadPrice, "unit price %q is beyond +/-%d minor units", rec[r.col[colPrice]], tenure.MaxMoney)
	}
	date := strings.TrimSpace(rec[r.col[colDate]])
	if date != r.lastDate || r.lastDate == "" {
		at, err := time.ParseInLocation(r.m.DateLayout, date, r.m.Location)
		if err != nil {
			return bad(ReasonBadDate, "date %q does not match layout %q", date, r.m.DateLayout)
		}
		r.lastDate, r.lastAt = date, at.UTC()
	}
	l.At = r.lastAt
	l.CustomerID = normaliseCustomer(r.value(rec, colCustomer))
	l.Description = r.value(rec, colDesc)
	l.Country = r.value(rec, colCountry)
	return l, nil
}

// value returns a trimmed optional field, empty when absent or a null marker.
func (r *Reader) value(rec []string, f int) string {
	if r.col[f] < 0 {
		return ""
	}
	v := strings.TrimSpace(rec[r.col[f]])
	if r.nulls[v] {
		return ""
	}
	return v
}

// normaliseCustomer turns "17850.0" (a numeric id written through a float column) into
// "17850". Only an all-digit id followed by a point and zeros is changed.
func normaliseCustomer(id string) string {
	dot := strings.IndexByte(id, '.')
	if dot <= 0 {
		return id
	}
	for i := 0; i < dot; i++ {
		if id[i] < '0' || id[i] > '9' {
			return id
		}
	}
	if strings.Trim(id[dot+1:], "0") != "" {
		return id
	}
	return id[:dot]
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
