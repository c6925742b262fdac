package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
)

// importOrders loads a history of orders from a CSV file (gzip is detected), with a
// progress bar, a summary and an optional file of rejected rows.
func importOrders(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && (args[0] == string(tenure.Shopify) || args[0] == string(tenure.WooCommerce)) {
		return importShop(ctx, tenure.Platform(args[0]), args[1:], stdout, stderr, getenv)
	}
	if len(args) == 0 || args[0] != "orders" {
		return fmt.Errorf("usage: tenure import orders FILE.csv[.gz] [-grant-points] [-rejects FILE] [column flags]\n       tenure import shopify|woocommerce [-since YYYY-MM-DD] [-grant-points]")
	}
	args = args[1:]
	m := importer.DefaultMapping()
	cfg := importer.DefaultConfig()
	var tenantID, rejects, location string
	var grant, setCurrency bool
	cols := []struct {
		name string
		dst  *string
	}{{"col-invoice", &m.Invoice}, {"col-sku", &m.StockCode}, {"col-description", &m.Description}, {"col-quantity", &m.Quantity},
		{"col-date", &m.Date}, {"col-price", &m.UnitPrice}, {"col-customer", &m.CustomerID}, {"col-country", &m.Country}}
	var file string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	a, rest, err := open(ctx, "import orders", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
		fs.BoolVar(&grant, "grant-points", false, "award points for the imported orders through the current earning rules")
		fs.StringVar(&rejects, "rejects", "", "write rejected rows with their reasons to this CSV file")
		fs.StringVar(&m.Currency, "currency", m.Currency, "ISO 4217 currency of the prices")
		fs.BoolVar(&setCurrency, "set-currency", false, "set the program currency to -currency first (only for a tenant without members)")
		fs.StringVar(&m.DateLayout, "date-layout", m.DateLayout, "Go time layout of the date column")
		fs.StringVar(&location, "date-zone", "UTC", "IANA time zone the dates are written in")
		fs.Func("non-product-codes", "comma-separated stock codes that are fees or postage, not products (default "+strings.Join(importer.DefaultNonProductCodes, ",")+"; empty: none)", func(v string) error {
			cfg.NonProductCodes = []string{}
			for _, c := range strings.Split(v, ",") {
				if c = strings.TrimSpace(c); c != "" {
					cfg.NonProductCodes = append(cfg.NonProductCodes, c)
				}
			}
			return nil
		})
		fs.BoolVar(&cfg.RoundSubMinorPrices, "round-prices", false, "round prices with more decimals than the currency has (e.g. 0.001) instead of rejecting the row")
		for _, c := range cols {
			fs.StringVar(c.dst, c.name, *c.dst, "column name")
		}
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if file == "" && len(rest) > 0 {
		file = rest[0]
	}
	if file == "" {
		return fmt.Errorf("which file? tenure import orders FILE.csv")
	}
	if m.Location, err = time.LoadLocation(location); err != nil {
		return fmt.Errorf("-date-zone: %w", err)
	}
	cfg.Mapping = m
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, true); err != nil {
		return err
	}
	if setCurrency {
		t, err := a.Service.Tenants.Get(ctx, tenantID)
		if err != nil {
			return err
		}
		members, _, err := a.Service.Members.List(ctx, tenantID, storageFilter(1))
		if err != nil {
			return err
		}
		if len(members) > 0 && t.Program.Currency != m.Currency {
			return fmt.Errorf("-set-currency: the tenant already has members")
		}
		t.Program.Currency = m.Currency
		if _, err := a.Service.Tenants.UpdateProgram(ctx, tenantID, "cli", t.Program); err != nil {
			return err
		}
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if rejects != "" {
		rf, err := os.Create(rejects)
		if err != nil {
			return err
		}
		defer rf.Close()
		cfg.Rejects = rf
	}
	if st, err := f.Stat(); err == nil {
		cfg.TotalBytes = st.Size()
	}
	bar := newProgress(stderr, "bytes")
	cfg.Progress = func(p importer.Progress) {
		total := p.BytesTotal
		if total <= 0 {
			total = p.BytesRead + 1
		}
		done := p.BytesRead
		if p.Done {
			done = total
		}
		bar.update(int(done), int(total))
	}
	start := time.Now()
	sum, err := a.Service.Intake.ImportOrders(ctx, tenantID, f, cfg, service.ImportOptions{GrantPoints: grant})
	if sum != nil {
		printSummary(stdout, sum, time.Since(start))
	}
	return err
}

func printSummary(w io.Writer, s *importer.Summary, took time.Duration) {
	fmt.Fprintf(w, "Imported in %.1fs (%.0f rows/s)\n", took.Seconds(), float64(s.Rows)/took.Seconds())
	fmt.Fprintf(w, "  rows read        %d\n  orders           %d (%d lines, revenue %s %s)\n  refunds          %d (%d lines, %s %s)\n  customers        %d\n",
		s.Rows, s.Orders, s.Lines, money(s.Revenue), s.Currency, s.Refunds, s.RefundLines, money(s.Refunded), s.Currency, s.Customers)
	fmt.Fprintf(w, "  guests           %d lines, %d invoices, revenue %s %s (counted, not enrolled)\n", s.GuestLines, s.GuestInvoices, money(s.GuestRevenue), s.Currency)
	printCounts(w, "skipped", s.Skipped)
	printCounts(w, "rejected", s.Rejected)
}

func printCounts[K ~string](w io.Writer, what string, m map[K]int64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-16s %d %s\n", what, m[K(k)], k)
	}
}

func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

// soleTenant returns id, or the only tenant's id when id is empty. With no tenant at all
// it creates one when create is set (an import into a fresh database) and fails otherwise.
func soleTenant(ctx context.Context, svc *service.Service, id string, create bool) (string, error) {
	if id != "" {
		return id, nil
	}
	ts, err := svc.Tenants.List(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case len(ts) == 0 && create:
		t, _, err := svc.Tenants.Create(ctx, "Imported store")
		return t.ID, err
	case len(ts) == 1:
		return ts[0].ID, nil
	}
	return "", fmt.Errorf("%d tenants: pass -tenant ID", len(ts))
}

func storageFilter(limit int) tenure.MemberFilter { return tenure.MemberFilter{Limit: limit} }
