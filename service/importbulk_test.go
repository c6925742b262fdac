package service

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// bulkHistory is an order-line file with what the bulk import must treat as the intake
// does: customers new and known, invoices of one customer spread over chunks, refunds of
// an order in the same chunk, in an earlier chunk, and of an order that arrived live
// (with points) before the import.
func bulkHistory() string {
	var b strings.Builder
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	day := func(d int) string { return time.Date(2011, 1, 1+d, 10, d, 0, 0, time.UTC).Format(time.DateTime) }
	for i := range 30 {
		inv, cust := 1000+i, 100+i%7
		fmt.Fprintf(&b, "%d,A%d,thing %d,%d,%s,%d.25,%d,UK\n", inv, i%4, i, 1+i%3, day(i), 2+i%5, cust)
		fmt.Fprintf(&b, "%d,B%d,other %d,2,%s,1.50,%d,UK\n", inv, i%3, i, day(i), cust)
		if i%6 == 5 { // a cancellation of the invoice just before: same chunk
			fmt.Fprintf(&b, "C%d,B%d,other %d,-1,%s,1.50,%d,UK\n", 5000+i, i%3, i, day(i), cust)
		}
		if i == 20 { // a cancellation of an early invoice: an earlier chunk
			fmt.Fprintf(&b, "C%d,A1,thing 1,-1,%s,3.25,101,UK\n", 6000+i, day(i))
		}
		if i == 25 { // a cancellation of the invoice that arrived live
			fmt.Fprintf(&b, "C%d,A3,thing 3,-1,%s,5.25,103,UK\n", 7000+i, day(i))
		}
	}
	// A guest invoice and a head of the real file, with its cancellations.
	fmt.Fprintf(&b, "9999,Z1,guest thing,1,%s,3.00,,UK\n", day(31))
	return b.String()
}

// onlineRetailHead is the first n rows of the Online Retail file.
func onlineRetailHead(t *testing.T, n int) string {
	f, err := os.Open(filepath.Join("..", "testdata", "online-retail", "online_retail_2010-12_2011-12.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	var b strings.Builder
	for i := 0; i <= n && sc.Scan(); i++ {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestImportBulkEqualsIntake imports the same files into two stores, one through the bulk
// path and one through the event intake, and requires every table to hold the same rows
// (generated ids replaced by what they name), after a first import and after importing
// the same files again; the orders' sequence follows the file in both.
func TestImportBulkEqualsIntake(t *testing.T) {
	defer func(n int) { historyChunk = n }(historyChunk)
	historyChunk = 5
	files := []string{bulkHistory(), onlineRetailHead(t, 3000)}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		var dumps [2][]string
		for i, via := range []bool{false, true} {
			eng := e
			if i > 0 {
				eng = secondEngine(t, e)
			}
			clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
			db := storagetest.Open(t, eng, clock)
			svc := New(db, nil)
			tn, _, err := svc.Tenants.Create(ctx, "Import store")
			if err != nil {
				t.Fatal(err)
			}
			p := tn.Program
			p.Currency = "GBP"
			if _, err := svc.Tenants.UpdateProgram(ctx, tn.ID, "test", p); err != nil {
				t.Fatal(err)
			}
			// Invoice 1003 arrived live, with points, before the history was imported.
			live := tenure.Event{ID: "live-1003", Type: tenure.OrderPaid, CustomerID: "103", OccurredAt: time.Date(2011, 1, 4, 10, 3, 0, 0, time.UTC),
				Order: &tenure.OrderData{ID: "1003", Lines: []tenure.LineData{{ID: "1", ProductID: "A3", Quantity: 1, UnitPrice: 525}, {ID: "2", ProductID: "B0", Quantity: 2, UnitPrice: 150}}}}
			if _, err := svc.Intake.Ingest(ctx, tn.ID, []tenure.Event{live}, IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				for _, f := range files {
					sum, err := svc.Intake.ImportOrders(ctx, tn.ID, strings.NewReader(f), importer.Config{}, ImportOptions{viaIntake: via})
					if err != nil {
						t.Fatal(err)
					}
					if sum.Orders == 0 || sum.Refunds == 0 {
						t.Fatalf("imported %d orders and %d refunds", sum.Orders, sum.Refunds)
					}
				}
				d := dumpStore(t, db)
				if round == 1 && !slices.Equal(d, dumps[i]) {
					t.Errorf("importing the files again (intake %v) changed the store:\n%s", via, diffLines(dumps[i], d))
				}
				dumps[i] = d
			}
		}
		if !slices.Equal(dumps[0], dumps[1]) {
			t.Fatalf("bulk import and intake import differ:\n%s", diffLines(dumps[1], dumps[0]))
		}
		if len(dumps[0]) < 2000 {
			t.Fatalf("the store holds only %d rows", len(dumps[0]))
		}
	})
}

func secondEngine(t *testing.T, e storagetest.Engine) storagetest.Engine {
	if e.Name == "sqlite" {
		return storagetest.Engine{Name: e.Name, DSN: filepath.Join(t.TempDir(), "second.db")}
	}
	return storagetest.Engine{Name: e.Name, DSN: storagetest.FreshSchema(t, os.Getenv(storagetest.PostgresEnv))}
}

var generatedID = regexp.MustCompile(`\b([a-z]+)_[0-9a-z]{26}\b`)

// dumpStore lists every row of the tables an import writes as text, sorted, with member
// and order ids replaced by the store's ids for them, other generated ids by their kind,
// and orders' seq by their rank.
func dumpStore(t *testing.T, db *storage.DB) []string {
	t.Helper()
	names := map[string]string{}
	for _, q := range []string{`SELECT id, 'M:' || external_id FROM members`, `SELECT id, 'O:' || external_id FROM orders`} {
		rows, err := db.Raw().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			names[id] = name
		}
		rows.Close()
	}
	norm := func(s string) string {
		return generatedID.ReplaceAllStringFunc(s, func(id string) string {
			if n, ok := names[id]; ok {
				return n
			}
			return id[:strings.IndexByte(id, '_')]
		})
	}
	var out []string
	tables := map[string]string{
		"members": "", "balances": "", "orders": "", "order_lines": "", "outbox": "", "jobs": "", "tier_stats": "",
		"events": "", "ledger_entries": "", "lots": "", "member_tags": "", "deliveries": "",
	}
	for table := range tables {
		rows, err := db.Raw().Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString(table)
			for i, c := range cols {
				if c == "seq" {
					continue
				}
				v := vals[i]
				if bs, ok := v.([]byte); ok && c == "doc" && table == "events" {
					// An event's compressed document compares by what it holds: the ids
					// inside it differ between the two stores until named.
					result, payload, err := storage.DecodeEventDoc(bs)
					if err != nil {
						t.Fatal(err)
					}
					v = string(result) + " " + string(payload)
				} else if ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, " %s=%v", c, v)
			}
			out = append(out, norm(b.String()))
		}
		rows.Close()
	}
	// The orders' sequence, as the ranks of the store's order ids.
	rows, err := db.Raw().Query(`SELECT external_id FROM orders ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		seq = append(seq, id)
	}
	rows.Close()
	slices.Sort(out)
	return append(out, "seq: "+strings.Join(seq, " "))
}

func diffLines(want, got []string) string {
	var b strings.Builder
	n := 0
	for _, l := range want {
		if !slices.Contains(got, l) && n < 10 {
			fmt.Fprintf(&b, "- %s\n", l)
			n++
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) && n < 20 {
			fmt.Fprintf(&b, "+ %s\n", l)
			n++
		}
	}
	return b.String()
}
