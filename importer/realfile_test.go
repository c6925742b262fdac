package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tenure-loyalty/tenure/importer"
)

// onlineRetail is the UCI Online Retail file shared by the repository's tests.
var onlineRetail = filepath.Join("..", "testdata", "online-retail", "online_retail_2010-12_2011-12.csv.gz")

func openOnlineRetail(t testing.TB) *os.File {
	t.Helper()
	f, err := os.Open(onlineRetail)
	if err != nil {
		t.Fatalf("the Online Retail file is required for this test: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestOnlineRetailReferenceFigures checks the README's figures. Its total revenue, GBP
// 9,747,747.93, is the sum of Quantity x UnitPrice over all 541,909 rows, cancellations,
// bad-debt adjustments, guests, fees and zero prices included; exactly it is 9747747.934
// (four rows have a price of 0.001), which rounds to 974,774,793 pence. The 397,884 lines of
// 4,338 customers are the rows with a customer id, quantity > 0, price > 0 and no C or A
// invoice, which is what the importer keeps when no stock code is treated as a non-product
// and 0.001 prices are rounded (to 0 pence) rather than rejected.
func TestOnlineRetailReferenceFigures(t *testing.T) {
	cfg := importer.DefaultConfig()
	cfg.NonProductCodes = []string{}
	cfg.RoundSubMinorPrices = true
	var orders, lines int64
	sink := importer.SinkFuncs{OnOrder: func(o *importer.Order) error {
		orders++
		lines += int64(len(o.Data.Lines))
		return nil
	}}
	s, err := importer.Import(context.Background(), openOnlineRetail(t), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *s)
	check := func(name string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	check("rows", s.Rows, 541_909)
	check("file total (pence)", s.FileTotal, 974_774_793)
	if s.FileTotalExact != "9747747.934" {
		t.Errorf("exact file total = %s, want 9747747.934", s.FileTotalExact)
	}
	check("member lines", s.Lines, 397_884)
	check("lines delivered", lines, 397_884)
	check("customers", s.Customers, 4_338)
	check("orders delivered", orders, s.Orders)
	check("adjustment rows skipped", s.Skipped[importer.ReasonAdjustment], 3)
	check("late lines", s.Rejected[importer.ReasonLateLine], 0)
	// Every row is accounted for exactly once.
	accounted := s.Lines + s.GuestLines + s.RefundLines + s.SkippedTotal() + s.RejectedTotal()
	check("rows accounted for", accounted, s.Rows)
}

// TestOnlineRetailDefaults imports with the default configuration (fees and postage
// skipped) and checks the bookkeeping holds together.
func TestOnlineRetailDefaults(t *testing.T) {
	var revenue, refunded int64
	sink := importer.SinkFuncs{
		OnOrder:  func(o *importer.Order) error { revenue += o.Total(); return nil },
		OnRefund: func(r *importer.Refund) error { refunded += r.Data.Amount; return nil },
	}
	s, err := importer.Import(context.Background(), openOnlineRetail(t), importer.Config{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *s)
	if revenue != s.Revenue || refunded != s.Refunded {
		t.Errorf("delivered revenue %d / refunds %d, summary says %d / %d", revenue, refunded, s.Revenue, s.Refunded)
	}
	if s.Skipped[importer.ReasonNonProduct] == 0 || s.Refunds == 0 || s.GuestInvoices == 0 {
		t.Errorf("expected non-product skips, refunds and guest invoices: %+v", *s)
	}
	accounted := s.Lines + s.GuestLines + s.RefundLines + s.SkippedTotal() + s.RejectedTotal()
	if accounted != s.Rows {
		t.Errorf("rows accounted for = %d, want %d", accounted, s.Rows)
	}
}
