package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/service"
)

// TestAnalyticsCommand builds a small demo store with `tenure demo -no-serve`, then writes
// its analytics reports with `tenure analytics` and reads them back.
func TestAnalyticsCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	env := func(string) string { return "" }
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"demo", "-no-serve", "-customers", "200", "-months", "6", "-database-url", db}, &out, &errs, env); code != 0 {
		t.Fatalf("demo: %d\n%s", code, errs.String())
	}
	reports := filepath.Join(dir, "reports")
	out.Reset()
	if code := run(context.Background(), []string{"analytics", "-database-url", db, "-out", reports}, &out, &errs, env); code != 0 {
		t.Fatalf("analytics: %d\n%s", code, errs.String())
	}
	if !strings.Contains(out.String(), "wrote 8 reports") {
		t.Fatalf("output: %s", out.String())
	}
	rows := map[string]int{}
	for _, f := range service.SnapshotFiles {
		b, err := os.ReadFile(filepath.Join(reports, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s: %v, %d records", f.Name, err, len(recs))
		}
		rows[f.Name] = len(recs) - 1
	}
	// One RFM row per customer with an order, the seven lifecycle segments, one program
	// metric per line, and a lift report for the weekend campaign's holdout.
	if rows["rfm.csv"] < 150 || rows["rfm.csv"] > 200 || rows["lifecycle.csv"] != 7 || rows["program.csv"] != 15 || rows["lift.csv"] != 4 {
		t.Fatalf("rows per report: %v", rows)
	}
	// The same store exported: every member once, and a ledger whose points add up to the
	// members' points.
	members := filepath.Join(dir, "members.csv")
	if code := run(context.Background(), []string{"export", "members", "-database-url", db, "-out", members}, &out, &errs, env); code != 0 {
		t.Fatalf("export members: %d\n%s", code, errs.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"export", "ledger", "-database-url", db}, &out, &errs, env); code != 0 {
		t.Fatalf("export ledger: %d\n%s", code, errs.String())
	}
	b, _ := os.ReadFile(members)
	mrecs, _ := csv.NewReader(bytes.NewReader(b)).ReadAll()
	lrecs, _ := csv.NewReader(&out).ReadAll()
	var held, entries int64
	for _, r := range mrecs[1:] {
		n, _ := strconv.ParseInt(r[9], 10, 64)
		p, _ := strconv.ParseInt(r[10], 10, 64)
		held += n + p
	}
	for _, r := range lrecs[1:] {
		if r[2] == "points" {
			n, _ := strconv.ParseInt(r[5], 10, 64)
			entries += n
		}
	}
	if len(mrecs) != 201 || len(lrecs) < 1000 || held != entries {
		t.Fatalf("%d member rows, %d ledger rows; members hold %d points, the ledger sums to %d", len(mrecs), len(lrecs), held, entries)
	}
	if code := run(context.Background(), []string{"export", "orders", "-database-url", db}, &out, &errs, env); code == 0 {
		t.Fatal("an unknown export succeeded")
	}
	if code := run(context.Background(), []string{"analytics", "-database-url", filepath.Join(dir, "missing", "x.db"), "-out", reports}, &out, &errs, env); code == 0 {
		t.Fatal("a database that cannot be opened gave no error")
	}
}

// TestAnalyticsAsOf imports a history that ended years before today: without -as-of the
// figures are as of its last order's day and the output says so; -as-of long after the
// history's end gives a CLV fit that is not called clean; a bad date names the flag.
func TestAnalyticsAsOf(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	env := func(string) string { return "" }
	var b strings.Builder
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	inv, seed := 100000, uint32(7)
	next := func(n uint32) uint32 { seed = seed*1664525 + 1013904223; return seed >> 8 % n }
	for c := range 300 {
		day := int(next(200))
		for range 1 + next(6) {
			if day >= 340 {
				break
			}
			at := time.Date(2011, 1, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, day).Add(time.Duration(c) * time.Minute)
			inv++
			fmt.Fprintf(&b, "%d,SKU%d,thing,%d,%s,%d.%02d,%d,UK\n", inv, next(50), 1+next(3), at.Format(time.DateTime), 2+next(30), next(100), 20000+c)
			day += 5 + int(next(60))
		}
	}
	file := filepath.Join(dir, "history.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"import", "orders", file, "-currency", "GBP", "-set-currency", "-database-url", db}, &out, &errs, env); code != 0 {
		t.Fatalf("import: %d\n%s", code, errs.String())
	}
	analyticsRun := func(args ...string) (string, int) {
		out.Reset()
		errs.Reset()
		code := run(context.Background(), append([]string{"analytics", "-database-url", db, "-out", filepath.Join(dir, "reports")}, args...), &out, &errs, env)
		return out.String() + errs.String(), code
	}
	text, code := analyticsRun()
	if code != 0 || !strings.Contains(text, "as of the end of 2011-12-") || !strings.Contains(text, "the latest order (2011-12-") || !strings.Contains(text, "more than a month before now") {
		t.Fatalf("analytics without -as-of: %d\n%s", code, text)
	}
	text, code = analyticsRun("-as-of", "2011-12-31")
	if code != 0 || !strings.Contains(text, "as of the end of 2011-12-31 (given)") || !strings.Contains(text, "from 2010-12-01") {
		t.Fatalf("analytics -as-of 2011-12-31: %d\n%s", code, text)
	}
	text, code = analyticsRun("-as-of", "2014-06-30")
	if code != 0 || strings.Contains(text, "fit cleanly") || !strings.Contains(text, "warning: no order in the") {
		t.Fatalf("analytics long after the history: %d\n%s", code, text)
	}
	if text, code = analyticsRun("-as-of", "30/06/2014"); code == 0 || !strings.Contains(text, "-as-of") {
		t.Fatalf("a bad -as-of: %d\n%s", code, text)
	}
	if text, code = analyticsRun("-from", "2011-06-01", "-to", "2011-03-01"); code == 0 || !strings.Contains(text, "from") {
		t.Fatalf("a window that ends before it starts: %d\n%s", code, text)
	}
}
