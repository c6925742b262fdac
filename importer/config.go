package importer

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenure-loyalty/tenure"
)

// Mapping tells the reader where each field is and how to read it. Every zero field takes
// the default that matches the Online Retail file (see [DefaultMapping]), so a zero Mapping
// reads that file.
type Mapping struct {
	// Column names, matched case-insensitively after trimming spaces and a UTF-8 BOM.
	// Description and Country are optional: a file without them reads them as empty.
	Invoice, StockCode, Description, Quantity, Date, UnitPrice, CustomerID, Country string

	// DateLayout is a Go time layout for the date column ("2006-01-02 15:04:05").
	DateLayout string
	// Location is the zone the dates are written in (UTC when nil); records carry UTC.
	Location *time.Location

	// Currency is the ISO 4217 code of the prices ("GBP"); it fixes the number of minor
	// digits (see [MinorDigits]).
	Currency string
	// DecimalSeparator ('.' by default) and ThousandsSeparator (none by default) of the
	// price and quantity columns. Both must be ASCII and differ from each other.
	DecimalSeparator, ThousandsSeparator rune
	// Comma is the CSV field delimiter (',' by default; ';' is common with decimal commas).
	Comma rune
	// LazyQuotes accepts a stray quote inside an unquoted field instead of rejecting the row.
	LazyQuotes bool

	// NullValues are texts that mean "no value" in the customer, description and country
	// columns. nil means DefaultNullValues; an empty non-nil slice means none.
	NullValues []string
}

// DefaultNullValues are the "no value" markers left by common spreadsheet and dataframe
// exports (the Online Retail file has descriptions that read "nan").
var DefaultNullValues = []string{"nan", "NaN", "NULL", "null", "None", "N/A"}

// DefaultMapping returns the mapping of the Online Retail file: columns InvoiceNo,
// StockCode, Description, Quantity, InvoiceDate ("2006-01-02 15:04:05", UTC), UnitPrice
// (GBP, decimal point), CustomerID, Country.
func DefaultMapping() Mapping {
	return Mapping{
		Invoice: "InvoiceNo", StockCode: "StockCode", Description: "Description",
		Quantity: "Quantity", Date: "InvoiceDate", UnitPrice: "UnitPrice",
		CustomerID: "CustomerID", Country: "Country",
		DateLayout: "2006-01-02 15:04:05", Location: time.UTC, Currency: "GBP",
		DecimalSeparator: '.', Comma: ',', NullValues: DefaultNullValues,
	}
}

// withDefaults fills zero fields from DefaultMapping and checks the rest.
func (m Mapping) withDefaults() (Mapping, error) {
	d := DefaultMapping()
	for _, p := range []struct {
		v   *string
		def string
	}{
		{&m.Invoice, d.Invoice}, {&m.StockCode, d.StockCode}, {&m.Description, d.Description},
		{&m.Quantity, d.Quantity}, {&m.Date, d.Date}, {&m.UnitPrice, d.UnitPrice},
		{&m.CustomerID, d.CustomerID}, {&m.Country, d.Country},
		{&m.DateLayout, d.DateLayout}, {&m.Currency, d.Currency},
	} {
		if *p.v == "" {
			*p.v = p.def
		}
	}
	if m.Location == nil {
		m.Location = time.UTC
	}
	if m.DecimalSeparator == 0 {
		m.DecimalSeparator = d.DecimalSeparator
	}
	if m.Comma == 0 {
		m.Comma = d.Comma
	}
	if m.NullValues == nil {
		m.NullValues = DefaultNullValues
	}
	m.Currency = strings.ToUpper(m.Currency)
	switch {
	case len(m.Currency) != 3:
		return m, fmt.Errorf("currency %q is not an ISO 4217 code", m.Currency)
	case m.DecimalSeparator >= utf8.RuneSelf || m.ThousandsSeparator >= utf8.RuneSelf:
		return m, fmt.Errorf("decimal and thousands separators must be ASCII")
	case m.DecimalSeparator == m.ThousandsSeparator:
		return m, fmt.Errorf("decimal and thousands separators must differ")
	case m.Comma == m.DecimalSeparator || m.Comma == m.ThousandsSeparator:
		return m, fmt.Errorf("the CSV delimiter %q clashes with a number separator", m.Comma)
	}
	return m, nil
}

// MinorDigits returns the number of minor-unit digits of an ISO 4217 currency: 0 for the
// zero-decimal currencies (JPY, KRW, ...), 3 for BHD, IQD, JOD, KWD, LYD, OMR and TND, and 2
// for every other code.
func MinorDigits(currency string) int {
	switch strings.ToUpper(currency) {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
		"VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

// DefaultNonProductCodes are the Online Retail stock codes that are not goods: postage (POST,
// DOT, C2 carriage), manual entries (M), discounts (D), samples (S), bad-debt adjustments
// (B), bank charges, Amazon fees, CRUK commission and the PADS filler. Codes are compared
// case-insensitively ("m" is a manual line too). Gift vouchers (gift_0001_*) and the
// DCGS* items are real goods and are kept.
var DefaultNonProductCodes = []string{"POST", "DOT", "C2", "M", "D", "S", "B",
	"BANK CHARGES", "AMAZONFEE", "CRUK", "PADS"}

// DefaultWindow is how many invoices are kept open by default (see Config.Window).
const DefaultWindow = 16

// DefaultProgressEvery is how many rows pass between two progress reports by default.
const DefaultProgressEvery = 10_000

// Config is everything an import needs besides its input and its sink. The zero Config
// imports the Online Retail file with its defaults.
type Config struct {
	Mapping Mapping

	// NonProductCodes are stock codes skipped as not goods (shipping, fees, adjustments).
	// nil means DefaultNonProductCodes; an empty non-nil slice skips none.
	NonProductCodes []string
	// CancellationPrefixes mark the invoice numbers of cancellations ({"C"});
	// AdjustmentPrefixes mark bad-debt adjustments ({"A"}), which are skipped. nil means the
	// default; an empty non-nil slice means none (set both to []string{} for a file whose
	// invoice numbers may start with these letters).
	CancellationPrefixes, AdjustmentPrefixes []string

	// RoundSubMinorPrices rounds a price with more decimals than the currency has (0.001
	// GBP) half to even; by default such a row is rejected, since it cannot be kept exactly.
	RoundSubMinorPrices bool

	// Window is how many invoices stay open at once (DefaultWindow when 0). A line of an
	// open invoice joins it wherever it appears; the oldest open invoice is closed and
	// emitted when a new one would exceed the window; a line of an already closed invoice
	// is rejected as ReasonLateLine.
	Window int

	// Rejects receives the rejected rows as CSV (line, reason, detail, original fields);
	// nil discards them (they are still counted).
	Rejects io.Writer

	// Progress, when set, is called every ProgressEvery rows and once at the end.
	Progress      func(Progress)
	ProgressEvery int
	// TotalBytes is the input's size for progress; when 0 it is taken from the input's
	// Stat method (an *os.File) if it has one, else left unknown.
	TotalBytes int64
	// Clock times the import for progress rates (tenure.SystemClock when nil).
	Clock tenure.Clock
}

// DefaultConfig returns the Config that reads the Online Retail file, with every default
// spelled out.
func DefaultConfig() Config {
	return Config{
		Mapping:              DefaultMapping(),
		NonProductCodes:      DefaultNonProductCodes,
		CancellationPrefixes: []string{"C"},
		AdjustmentPrefixes:   []string{"A"},
		Window:               DefaultWindow,
		ProgressEvery:        DefaultProgressEvery,
		Clock:                tenure.SystemClock{},
	}
}

func (c Config) withDefaults() (Config, error) {
	m, err := c.Mapping.withDefaults()
	if err != nil {
		return c, err
	}
	c.Mapping = m
	d := DefaultConfig()
	if c.NonProductCodes == nil {
		c.NonProductCodes = d.NonProductCodes
	}
	if c.CancellationPrefixes == nil {
		c.CancellationPrefixes = d.CancellationPrefixes
	}
	if c.AdjustmentPrefixes == nil {
		c.AdjustmentPrefixes = d.AdjustmentPrefixes
	}
	for _, p := range append(slices.Clone(c.CancellationPrefixes), c.AdjustmentPrefixes...) {
		if p == "" {
			return c, fmt.Errorf("an empty invoice prefix would match every invoice")
		}
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = d.ProgressEvery
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	return c, nil
}
