package importer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
)

const header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

// result is everything one import produced.
type result struct {
	orders  []*importer.Order
	refunds []*importer.Refund
	sum     *importer.Summary
	rejects [][]string // rejected rows without the header: line, reason, detail, fields...
}

func (r result) orderIDs() []string {
	var ids []string
	for _, o := range r.orders {
		ids = append(ids, o.Data.ID)
	}
	return ids
}

func (r result) rejectReasons() []string {
	var out []string
	for _, rec := range r.rejects {
		out = append(out, rec[0]+":"+rec[1])
	}
	return out
}

func importCSV(t *testing.T, data string, cfg importer.Config) result {
	t.Helper()
	var res result
	var rej bytes.Buffer
	cfg.Rejects = &rej
	sink := importer.SinkFuncs{
		OnOrder:  func(o *importer.Order) error { res.orders = append(res.orders, o); return nil },
		OnRefund: func(r *importer.Refund) error { res.refunds = append(res.refunds, r); return nil },
	}
	var err error
	res.sum, err = importer.Import(context.Background(), strings.NewReader(data), cfg, sink)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	cr := csv.NewReader(&rej)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("rejects CSV: %v", err)
	}
	if len(recs) > 0 {
		res.rejects = recs[1:]
	}
	return res
}

func TestConsecutiveLinesOfAnInvoiceBecomeOneOrder(t *testing.T) {
	res := importCSV(t, header+
		"536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"+
		"536365,71053, WHITE METAL LANTERN,6,2010-12-01 08:27:00,3.39,17850.0,United Kingdom\n"+
		"536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17851,France\n", importer.Config{})
	if len(res.orders) != 2 {
		t.Fatalf("orders = %v, want 2", res.orderIDs())
	}
	want := &importer.Order{CustomerID: "17850", Country: "United Kingdom", FirstLine: 2,
		PlacedAt: time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC),
		Data: tenure.OrderData{ID: "536365", Currency: "GBP", Lines: []tenure.LineData{
			{ID: "1", ProductID: "85123A", Name: "WHITE HANGING HEART T-LIGHT HOLDER", Quantity: 6, UnitPrice: 255},
			{ID: "2", ProductID: "71053", Name: "WHITE METAL LANTERN", Quantity: 6, UnitPrice: 339},
		}}}
	if !reflect.DeepEqual(res.orders[0], want) {
		t.Errorf("order = %+v\nwant   %+v", res.orders[0], want)
	}
	if s := res.sum; s.Rows != 3 || s.Orders != 2 || s.Lines != 3 || s.Customers != 2 || s.Revenue != 6*255+6*339+6*185 {
		t.Errorf("summary = %+v", *s)
	}
}

func TestGzipIsDetectedByMagicBytes(t *testing.T) {
	data := header + "536365,85123A,HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(data))
	w.Close()
	res := importCSV(t, gz.String(), importer.Config{})
	if len(res.orders) != 1 || res.orders[0].Data.Lines[0].UnitPrice != 255 {
		t.Fatalf("gzip import gave %+v", res.orders)
	}
	if res.sum.Bytes != int64(gz.Len()) {
		t.Errorf("bytes read = %d, want the compressed size %d", res.sum.Bytes, gz.Len())
	}
}

func TestSkippedRowsAreCountedByReason(t *testing.T) {
	res := importCSV(t, header+
		"A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom\n"+
		"536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850,United Kingdom\n"+
		"536365,m,Manual,1,2010-12-01 08:26:00,1.00,17850,United Kingdom\n"+
		"536365,85123A,HOLDER,6,2010-12-01 08:26:00,0,17850,United Kingdom\n"+
		"536365,85123B,HOLDER,6,2010-12-01 08:26:00,-1.50,17850,United Kingdom\n"+
		"536365,85123C,HOLDER,-3,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"+
		"536365,85123D,HOLDER,0,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"+
		"536365,85123E,HOLDER,1,2010-12-01 08:26:00,2.55,17850,United Kingdom\n", importer.Config{})
	want := map[importer.Reason]int64{
		importer.ReasonAdjustment: 1, importer.ReasonNonProduct: 2, importer.ReasonZeroPrice: 1,
		importer.ReasonNegativePrice: 1, importer.ReasonNonPositiveQuantity: 2,
	}
	if !reflect.DeepEqual(res.sum.Skipped, want) {
		t.Errorf("skipped = %v, want %v", res.sum.Skipped, want)
	}
	if len(res.orders) != 1 || len(res.orders[0].Data.Lines) != 1 || len(res.rejects) != 0 {
		t.Errorf("orders %v, rejects %v: want one order of one line and no rejects", res.orders, res.rejects)
	}
}

func TestNonProductCodesAreConfigurable(t *testing.T) {
	data := header + "536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850,UK\n" +
		"536365,GIFT,Voucher,1,2010-12-01 08:26:00,20.00,17850,UK\n"
	none := importCSV(t, data, importer.Config{NonProductCodes: []string{}})
	if none.sum.Lines != 2 {
		t.Errorf("an empty list keeps every code: lines = %d, want 2", none.sum.Lines)
	}
	custom := importCSV(t, data, importer.Config{NonProductCodes: []string{"gift"}})
	if custom.sum.Lines != 1 || custom.orders[0].Data.Lines[0].ProductID != "POST" {
		t.Errorf("a custom list replaces the default: %+v", custom.orders)
	}
}

func TestGuestLinesAreCountedButNotEmitted(t *testing.T) {
	res := importCSV(t, header+
		"536365,85123A,HOLDER,6,2010-12-01 08:26:00,2.55,,United Kingdom\n"+
		"536365,71053,LANTERN,2,2010-12-01 08:26:00,3.39,,United Kingdom\n"+
		"536366,71053,LANTERN,1,2010-12-01 08:27:00,3.39,nan,United Kingdom\n"+
		"C536367,71053,LANTERN,-1,2010-12-01 08:28:00,3.39,,United Kingdom\n", importer.Config{})
	s := res.sum
	if len(res.orders)+len(res.refunds) != 0 {
		t.Errorf("guests produced records: %v %v", res.orders, res.refunds)
	}
	if s.GuestLines != 4 || s.GuestInvoices != 3 || s.GuestRevenue != 6*255+2*339+339-339 || s.Customers != 0 {
		t.Errorf("guest lines %d invoices %d revenue %d customers %d", s.GuestLines, s.GuestInvoices, s.GuestRevenue, s.Customers)
	}
}

func TestCancellationsBecomeRefundsOfTheMostRecentEarlierPurchase(t *testing.T) {
	res := importCSV(t, header+
		"1001,A1,Mug,5,2011-01-01 10:00:00,2.00,42,UK\n"+
		"1002,A1,Mug,2,2011-01-05 10:00:00,2.10,42,UK\n"+
		"1002,B1,Bowl,1,2011-01-05 10:00:00,4.00,42,UK\n"+
		// 3 mugs: the latest purchase (1002) has only 2, so 1001 gives them; the bowl is from 1002.
		"C2001,A1,Mug,-3,2011-01-06 09:00:00,2.00,42,UK\n"+
		"C2001,B1,Bowl,-1,2011-01-06 09:00:00,4.00,42,UK\n"+
		// 2 more mugs: 1002 still has 2 units.
		"C2002,A1,Mug,-2,2011-01-07 09:00:00,2.10,42,UK\n"+
		// 1001 has 2 mugs left, not 3; another customer's purchase does not count, and a
		// purchase after the cancellation does not either.
		"C2003,A1,Mug,-3,2011-01-08 09:00:00,2.00,42,UK\n"+
		"1003,A1,Mug,9,2011-01-02 09:00:00,2.00,43,UK\n"+
		"1004,A1,Mug,9,2011-01-09 09:00:00,2.00,42,UK\n", importer.Config{})
	type ref struct {
		id, order string
		lines     []tenure.RefundLineData
		amount    int64
	}
	var got []ref
	for _, r := range res.refunds {
		got = append(got, ref{r.Data.ID, r.Data.OrderID, r.Data.Lines, r.Data.Amount})
	}
	want := []ref{
		{"C2001/1001", "1001", []tenure.RefundLineData{{LineID: "1", Quantity: 3, Amount: 600}}, 600},
		{"C2001/1002", "1002", []tenure.RefundLineData{{LineID: "2", Quantity: 1, Amount: 400}}, 400},
		{"C2002/1002", "1002", []tenure.RefundLineData{{LineID: "1", Quantity: 2, Amount: 420}}, 420},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("refunds = %+v\nwant      %+v", got, want)
	}
	if r := res.rejectReasons(); !reflect.DeepEqual(r, []string{"8:unmatched_cancellation"}) {
		t.Fatalf("rejects = %v", r)
	}
	if rec := res.rejects[0]; !reflect.DeepEqual(rec[3:], []string{"C2003", "A1", "Mug", "-3", "2011-01-08 09:00:00", "2.00", "42", "UK"}) {
		t.Errorf("the rejected row keeps its original fields: %v", rec)
	}
	if s := res.sum; s.Refunds != 3 || s.RefundLines != 3 || s.Refunded != 1420 {
		t.Errorf("summary refunds %d lines %d amount %d", s.Refunds, s.RefundLines, s.Refunded)
	}
}

func TestCancellationWithPositiveQuantityIsRejected(t *testing.T) {
	res := importCSV(t, header+"C1,A1,Mug,2,2011-01-06 09:00:00,2.00,42,UK\n", importer.Config{})
	if r := res.rejectReasons(); !reflect.DeepEqual(r, []string{"2:cancellation_quantity"}) {
		t.Errorf("rejects = %v", r)
	}
}

func TestLinesOfOneInvoiceApartWithinTheWindowAreMerged(t *testing.T) {
	res := importCSV(t, header+
		"1,P1,a,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"2,P2,b,1,2011-02-01 11:19:00,1.00,8,UK\n"+
		"3,P3,c,1,2011-02-01 11:19:00,1.00,9,UK\n"+
		"1,P4,d,1,2011-02-01 11:18:00,1.00,7,UK\n", importer.Config{Window: 3})
	if ids := res.orderIDs(); !reflect.DeepEqual(ids, []string{"1", "2", "3"}) {
		t.Fatalf("orders = %v, want 1, 2, 3 in order of first appearance", ids)
	}
	o := res.orders[0]
	if len(o.Data.Lines) != 2 || o.Data.Lines[1].ProductID != "P4" || !o.PlacedAt.Equal(time.Date(2011, 2, 1, 11, 18, 0, 0, time.UTC)) {
		t.Errorf("invoice 1 = %+v, want lines A and D, placed at the earliest line's time", o)
	}
}

func TestLineOfAnInvoiceClosedBeyondTheWindowIsRejected(t *testing.T) {
	res := importCSV(t, header+
		"1,P1,a,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"2,P2,b,1,2011-02-01 11:19:00,1.00,8,UK\n"+
		"3,P3,c,1,2011-02-01 11:19:00,1.00,9,UK\n"+
		"1,P4,d,1,2011-02-01 11:20:00,1.00,7,UK\n", importer.Config{Window: 2})
	if len(res.orders) != 3 || len(res.orders[0].Data.Lines) != 1 {
		t.Errorf("orders = %v", res.orderIDs())
	}
	if r := res.rejectReasons(); !reflect.DeepEqual(r, []string{"5:late_invoice_line"}) {
		t.Errorf("rejects = %v", r)
	}
}

func TestLineNamingAnotherCustomerThanItsInvoiceIsRejected(t *testing.T) {
	res := importCSV(t, header+
		"1,A,a,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,P2,b,1,2011-02-01 11:19:00,1.00,8,UK\n"+
		"1,P3,c,1,2011-02-01 11:19:00,1.00,,UK\n", importer.Config{})
	if r := res.rejectReasons(); !reflect.DeepEqual(r, []string{"3:customer_mismatch", "4:customer_mismatch"}) {
		t.Errorf("rejects = %v", r)
	}
}

func TestSubMinorPricesAreRejectedUnlessRounding(t *testing.T) {
	data := header + "1,PADS2,Pads,1,2011-04-15 09:27:00,0.001,13952,UK\n" +
		"1,A,a,3,2011-04-15 09:27:00,0.125,13952,UK\n"
	strict := importCSV(t, data, importer.Config{})
	if r := strict.rejectReasons(); !reflect.DeepEqual(r, []string{"2:price_precision", "3:price_precision"}) {
		t.Errorf("rejects = %v", r)
	}
	if strict.sum.FileTotalExact != "0.376" || strict.sum.FileTotal != 38 {
		t.Errorf("file total = %s (%d), want the exact 0.376 and 38 pence", strict.sum.FileTotalExact, strict.sum.FileTotal)
	}
	rounded := importCSV(t, data, importer.Config{RoundSubMinorPrices: true})
	if len(rounded.orders) != 1 || rounded.orders[0].Data.Lines[0].UnitPrice != 0 || rounded.orders[0].Data.Lines[1].UnitPrice != 12 {
		t.Errorf("rounded orders = %+v, want unit prices 0 and 12 (half to even)", rounded.orders)
	}
}

func TestUnreadableRowsAreRejectedAndTheImportGoesOn(t *testing.T) {
	res := importCSV(t, header+
		"1,A,a,1.5,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,A,a,x,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,A,a,1,01/02/2011 11:19,1.00,7,UK\n"+
		"1,A,a,1,2011-02-01 11:19:00,1.0.0,7,UK\n"+
		"1,A,a,1,2011-02-01 11:19:00,£1.00,7,UK\n"+
		",A,a,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1, ,a,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,A,a,1\n"+
		"1,A,a \"b,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,A,a,2000000,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,A,a\x00b,1,2011-02-01 11:19:00,1.00,7,UK\n"+
		"1,A,a,1,2011-02-01 11:19:00,1.00,shop\xffuser,UK\n"+
		"1,P2,\"quoted, with comma\",1,2011-02-01 11:19:00,1.00,7,UK\n", importer.Config{})
	want := []string{"2:bad_quantity", "3:bad_quantity", "4:bad_date", "5:bad_price", "6:bad_price",
		"7:missing_invoice", "8:missing_stock_code", "9:malformed_row", "10:malformed_row", "11:bad_quantity",
		"12:bad_text", "13:bad_text"}
	if r := res.rejectReasons(); !reflect.DeepEqual(r, want) {
		t.Errorf("rejects = %v\nwant      %v", r, want)
	}
	if len(res.orders) != 1 || res.orders[0].Data.Lines[0].Name != "quoted, with comma" {
		t.Errorf("the good row after the bad ones was not imported: %+v", res.orders)
	}
	if res.sum.Rows != 13 || res.sum.RejectedTotal() != 12 {
		t.Errorf("rows %d rejected %d", res.sum.Rows, res.sum.RejectedTotal())
	}
}

func TestMappingReadsOtherExports(t *testing.T) {
	data := "\ufeffOrder;SKU;Qty;Date;Price;Client;Name\r\n" +
		"A-1;x1;2;01.03.2024 18:30;1.234,50;c1;Kubek\r\n" +
		"A-1;x2;1;01.03.2024 18:30;0,99;c1;Talerz\r\n"
	warsaw, err := time.LoadLocation("Europe/Warsaw")
	if err != nil {
		warsaw = time.FixedZone("CET", 3600)
	}
	cfg := importer.Config{Mapping: importer.Mapping{Invoice: "order", StockCode: "sku", Quantity: "qty",
		Date: "date", UnitPrice: "price", CustomerID: "client", Description: "Name", Country: "none",
		DateLayout: "02.01.2006 15:04", Location: warsaw, Currency: "pln",
		DecimalSeparator: ',', ThousandsSeparator: '.', Comma: ';'},
		// "A-1" would read as a bad-debt adjustment under the Online Retail convention.
		CancellationPrefixes: []string{}, AdjustmentPrefixes: []string{}}
	res := importCSV(t, data, cfg)
	if len(res.orders) != 1 {
		t.Fatalf("orders = %v, rejects %v, summary %+v", res.orderIDs(), res.rejects, *res.sum)
	}
	o := res.orders[0]
	if o.Data.Currency != "PLN" || o.Data.Lines[0].UnitPrice != 123450 || o.Data.Lines[1].UnitPrice != 99 || o.Data.Lines[0].Name != "Kubek" {
		t.Errorf("order = %+v", o)
	}
	if want := time.Date(2024, 3, 1, 17, 30, 0, 0, time.UTC); !o.PlacedAt.Equal(want) || o.PlacedAt.Location() != time.UTC {
		t.Errorf("placed at %v, want %v in UTC", o.PlacedAt, want)
	}
	jpy := importCSV(t, header+"1,A,a,2,2011-02-01 11:19:00,1200,7,JP\n", importer.Config{Mapping: importer.Mapping{Currency: "JPY"}})
	if p := jpy.orders[0].Data.Lines[0].UnitPrice; p != 1200 {
		t.Errorf("JPY price = %d, want 1200 (no minor digits)", p)
	}
}

func TestLazyQuotesAcceptsAStrayQuote(t *testing.T) {
	data := header + "1,A1,12\" RULER,1,2011-02-01 11:19:00,1.00,7,UK\n"
	if strict := importCSV(t, data, importer.Config{}); len(strict.orders) != 0 || strict.sum.Rejected[importer.ReasonMalformed] != 1 {
		t.Errorf("strict quoting should reject the row: %+v", *strict.sum)
	}
	lazy := importCSV(t, data, importer.Config{Mapping: importer.Mapping{LazyQuotes: true}})
	if len(lazy.orders) != 1 || lazy.orders[0].Data.Lines[0].Name != `12" RULER` {
		t.Errorf("lazy quoting should keep the row: %+v", lazy.orders)
	}
}

func TestMissingColumnsAndBadMappingsFail(t *testing.T) {
	for name, tc := range map[string]struct {
		data string
		cfg  importer.Config
		want string
	}{
		"a header without a required column": {"InvoiceNo,StockCode,Quantity\n", importer.Config{}, "lacks column(s) InvoiceDate, UnitPrice, CustomerID"},
		"an empty file":                      {"", importer.Config{}, "empty"},
		"equal separators":                   {header, importer.Config{Mapping: importer.Mapping{ThousandsSeparator: '.'}}, "must differ"},
		"a delimiter that is a separator":    {header, importer.Config{Mapping: importer.Mapping{DecimalSeparator: ',', ThousandsSeparator: '.'}}, "clashes"},
		"a bad currency":                     {header, importer.Config{Mapping: importer.Mapping{Currency: "POUND"}}, "ISO 4217"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := importer.Import(context.Background(), strings.NewReader(tc.data), tc.cfg, importer.SinkFuncs{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestProgressReportsBytesRowsAndRate(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range 25 {
		b.WriteString("1,A,a,1,2011-02-01 11:19:00,1.00,7,UK\n")
	}
	clock := tenure.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	var got []importer.Progress
	cfg := importer.Config{ProgressEvery: 10, TotalBytes: int64(b.Len()), Clock: clock,
		Progress: func(p importer.Progress) { got = append(got, p); clock.Advance(time.Second) }}
	if _, err := importer.Import(context.Background(), strings.NewReader(b.String()), cfg, importer.SinkFuncs{}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Rows != 10 || got[1].Rows != 20 || got[2].Rows != 25 || !got[2].Done || got[1].Done {
		t.Fatalf("progress = %+v, want reports at 10, 20 and 25 rows, the last one done", got)
	}
	if got[2].BytesRead != int64(b.Len()) || got[2].Fraction() != 1 {
		t.Errorf("final bytes %d of %d", got[2].BytesRead, got[2].BytesTotal)
	}
	if r := got[1].RowsPerSecond(); r != 20 {
		t.Errorf("rate = %v rows/s, want 20 (20 rows in 1 s)", r)
	}
	p := importer.Progress{BytesRead: 25, BytesTotal: 100, Elapsed: time.Second}
	if eta, ok := p.ETA(); !ok || eta != 3*time.Second {
		t.Errorf("ETA = %v %v, want 3s", eta, ok)
	}
	if _, ok := (importer.Progress{BytesRead: 25, Elapsed: time.Second}).ETA(); ok {
		t.Error("ETA without a total should be unknown")
	}
}

func TestSinkErrorStopsTheImport(t *testing.T) {
	boom := errors.New("disk full")
	data := header + "1,A,a,1,2011-02-01 11:19:00,1.00,7,UK\n2,A,a,1,2011-02-01 11:19:00,1.00,7,UK\n"
	sum, err := importer.Import(context.Background(), strings.NewReader(data), importer.Config{},
		importer.SinkFuncs{OnOrder: func(*importer.Order) error { return boom }})
	if !errors.Is(err, boom) || sum == nil || sum.Rows != 2 {
		t.Errorf("err = %v, summary %+v", err, sum)
	}
}

func TestCancelledContextStopsTheImport(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for range 3000 {
		b.WriteString("1,A,a,1,2011-02-01 11:19:00,1.00,7,UK\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, err := importer.Import(ctx, strings.NewReader(b.String()), importer.Config{}, importer.SinkFuncs{})
	if !errors.Is(err, context.Canceled) || sum.Rows >= 3000 {
		t.Errorf("err = %v after %d rows", err, sum.Rows)
	}
}
