package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
