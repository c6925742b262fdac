package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
)

// TestAnalyticsOnlineRetail is the data README's check through the commands a store runs:
// `tenure import orders` of the Online Retail file, kept as the README's analysis keeps it
// (no stock code dropped as a fee, 0.001 prices rounded), then `tenure analytics -as-of
// 2011-12-09` gives its 4,338 customers and the December 2010 cohort's month-1 retention
// of 0.366; without -as-of the command says which day it chose. The same file imported
// into a second store gives the same reports: byte for byte for the store-wide ones, and
// for the per-member ones once each member id is replaced by the store's customer id
// (member ids are made by each store).
func TestAnalyticsOnlineRetail(t *testing.T) {
	file := filepath.Join("..", "..", "testdata", "online-retail", "online_retail_2010-12_2011-12.csv.gz")
	dir := t.TempDir()
	env := func(string) string { return "" }
	var reports [2]map[string]string
	for i := range reports {
		db := filepath.Join(dir, "store"+strconv.Itoa(i)+".db")
		var out, errs bytes.Buffer
		if code := run(context.Background(), []string{"import", "orders", file, "-currency", "GBP", "-set-currency", "-non-product-codes", "", "-round-prices", "-database-url", db}, &out, &errs, env); code != 0 {
			t.Fatalf("import: %d\n%s", code, errs.String())
		}
		outDir := filepath.Join(dir, "reports"+strconv.Itoa(i))
		out.Reset()
		if code := run(context.Background(), []string{"analytics", "-database-url", db, "-as-of", "2011-12-09", "-out", outDir}, &out, &errs, env); code != 0 {
			t.Fatalf("analytics: %d\n%s", code, errs.String())
		}
		if text := out.String(); !strings.Contains(text, "as of the end of 2011-12-09 (given)") || !strings.Contains(text, "4338 customers with") {
			t.Fatalf("analytics -as-of 2011-12-09:\n%s", text)
		}
		reports[i] = map[string]string{}
		for _, f := range service.SnapshotFiles {
			b, err := os.ReadFile(filepath.Join(outDir, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			reports[i][f.Name] = string(b)
			if f.PerMember {
				reports[i][f.Name] = byCustomerID(t, db, string(b))
			}
		}
		cohorts, err := csv.NewReader(strings.NewReader(reports[i]["cohorts.csv"])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(cohorts) < 2 || cohorts[1][0] != "2010-12" || cohorts[0][3] != "m1" {
			t.Fatalf("cohorts.csv starts %v", cohorts[:min(2, len(cohorts))])
		}
		if m1, _ := strconv.ParseFloat(cohorts[1][3], 64); math.Abs(m1-0.366) > 0.002 {
			t.Errorf("December 2010 cohort: month-1 retention %s, the README says 0.366", cohorts[1][3])
		}
		if i == 0 { // the latest order's day, said
			out.Reset()
			if code := run(context.Background(), []string{"analytics", "-database-url", db, "-out", filepath.Join(dir, "latest")}, &out, &errs, env); code != 0 {
				t.Fatalf("analytics: %d\n%s", code, errs.String())
			}
			if text := out.String(); !strings.Contains(text, "as of the end of 2011-12-09 (the end of the day of the latest order (2011-12-09)") {
				t.Fatalf("analytics without -as-of:\n%s", text)
			}
		}
	}
	for _, f := range service.SnapshotFiles {
		if reports[0][f.Name] != reports[1][f.Name] {
			t.Errorf("%s differs between two imports of the same file", f.Name)
		}
	}
}

// byCustomerID replaces the member ids in a per-member report's first column by the
// store's customer ids (from `tenure export members`).
func byCustomerID(t *testing.T, db, text string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"export", "members", "-database-url", db}, &out, &errs, func(string) string { return "" }); code != 0 {
		t.Fatalf("export members: %d\n%s", code, errs.String())
	}
	members, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	external := map[string]string{}
	for _, m := range members[1:] {
		external[m[0]] = m[1]
	}
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		id, ok := external[r[0]]
		if !ok {
			t.Fatalf("no member %s", r[0])
		}
		r[0] = id
	}
	slices.SortFunc(recs[1:], func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(recs)
	return buf.String()
}
