package service_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// sameSecondHistory is an order-line file in which every customer places two invoices in
// the same second, the first (in file order) small and the second large, and a third a
// month later: which of the two is "first" decides the first-order figures.
func sameSecondHistory() string {
	var b strings.Builder
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	inv := 500000
	for c := range 40 {
		at := time.Date(2011, 1, 3+c%20, 9, c, 7, 0, time.UTC).Format(time.DateTime)
		later := time.Date(2011, 2, 3+c%20, 9, c, 7, 0, time.UTC).Format(time.DateTime)
		// Invoice numbers run against file order for half the customers, so neither the
		// store's order id nor its number can stand in for input order.
		first, second := inv+1, inv+2
		if c%2 == 1 {
			first, second = second, first
		}
		fmt.Fprintf(&b, "%d,A1,small thing,1,%s,%d.50,%d,UK\n", first, at, 1+c, 12000+c)
		fmt.Fprintf(&b, "%d,B2,large thing,3,%s,%d.25,%d,UK\n", second, at, 40+c, 12000+c)
		fmt.Fprintf(&b, "%d,A1,small thing,2,%s,7.00,%d,UK\n", inv+3, later, 12000+c)
		inv += 3
	}
	// One cancellation: a refund of one unit of the first customer's large invoice.
	fmt.Fprintf(&b, "C%d,B2,large thing,-1,%s,40.25,12000,UK\n", inv+1, time.Date(2011, 1, 25, 10, 0, 0, 0, time.UTC).Format(time.DateTime))
	return b.String()
}

// TestImportedAnalyticsRepeat imports the same file into two fresh stores: their analytics
// reports are identical, byte for byte for the store-wide ones and row for row (member
// ids, which are made at import, replaced by the store's customer ids) for the per-member
// ones; and each customer's first order is the one first in the file.
func TestImportedAnalyticsRepeat(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		data := sameSecondHistory()
		var reports [2]map[string]string
		for i := range reports {
			eng := e
			if i > 0 {
				eng = freshEngine(t, e)
			}
			v := newEnv(t, eng, func(p *tenure.Program) { p.Currency = "GBP" })
			// The first store imports the file twice: the second import changes nothing.
			var sn *service.Snapshot
			for range 2 - i {
				sum, err := v.svc.Intake.ImportOrders(ctx, v.tenant, strings.NewReader(data), importer.Config{}, service.ImportOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if sum.Orders != 120 || sum.Refunds != 1 {
					t.Fatalf("imported %d orders and %d refunds, want 120 and 1", sum.Orders, sum.Refunds)
				}
				again, err := v.svc.Reports.SnapshotAt(ctx, v.tenant, service.SnapshotOptions{AsOf: time.Date(2011, 3, 1, 0, 0, 0, 0, time.UTC)})
				if err != nil {
					t.Fatal(err)
				}
				if sn != nil && (again.Orders != sn.Orders || again.Monthly[1].Revenue != sn.Monthly[1].Revenue) {
					t.Fatalf("importing the file again changed the store: %d orders worth %d in January, then %d worth %d",
						sn.Orders, sn.Monthly[1].Revenue, again.Orders, again.Monthly[1].Revenue)
				}
				sn = again
			}
			if sn.Orders != 120 || sn.Customers != 40 {
				t.Fatalf("%d orders of %d customers, want 120 of 40", sn.Orders, sn.Customers)
			}
			jan := sn.Monthly[slices.IndexFunc(sn.Monthly, func(m analytics.PeriodMetrics) bool { return m.Start.Month() == time.January })]
			var want, large int64
			for c := range 40 {
				want += int64(1+c)*100 + 50         // the small invoice, first in the file
				large += 3 * (int64(40+c)*100 + 25) // the large one
			}
			if large -= 4025; jan.RepeatOrders.Revenue != large { // less the refunded unit
				t.Fatalf("January's repeat orders are worth %d, want %d", jan.RepeatOrders.Revenue, large)
			}
			if jan.FirstOrders.Orders != 40 || jan.FirstOrders.Revenue != want {
				t.Fatalf("January's first orders: %d worth %d, want 40 worth %d", jan.FirstOrders.Orders, jan.FirstOrders.Revenue, want)
			}
			reports[i] = map[string]string{}
			for _, f := range service.SnapshotFiles {
				var buf bytes.Buffer
				if err := f.WriteCSV(&buf, sn); err != nil {
					t.Fatal(err)
				}
				text := buf.String()
				if f.PerMember {
					text = byCustomer(t, v, text)
				}
				reports[i][f.Name] = text
			}
		}
		for _, f := range service.SnapshotFiles {
			if a, b := reports[0][f.Name], reports[1][f.Name]; a != b {
				t.Errorf("%s differs between two imports of one file:\n%s\n---\n%s", f.Name, a, b)
			}
		}
	})
}

// byCustomer replaces the member ids of a per-member report's first column with the
// store's customer ids and sorts the rows.
func byCustomer(t *testing.T, v *env, text string) string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		m, err := v.svc.Members.Get(ctx, v.tenant, r[0])
		if err != nil {
			t.Fatal(err)
		}
		r[0] = m.ExternalID
	}
	slices.SortFunc(recs[1:], func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(recs)
	return buf.String()
}

// freshEngine returns another empty database on e's engine.
func freshEngine(t *testing.T, e storagetest.Engine) storagetest.Engine {
	if e.Name == "sqlite" {
		return storagetest.Engine{Name: e.Name, DSN: filepath.Join(t.TempDir(), "second.db")}
	}
	return storagetest.Engine{Name: e.Name, DSN: storagetest.FreshSchema(t, os.Getenv(storagetest.PostgresEnv))}
}
