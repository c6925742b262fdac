package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestAnalyticsFromSnapshot checks that the analytics endpoints answer a request without
// its own range, as-of date or model options from the kept snapshot, and say so with the
// snapshot's as-of instant; a request with them is computed for it and says nothing.
func TestAnalyticsFromSnapshot(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.do("PUT", "/v1/program", s.key, `{"name":"UK","currency":"GBP","points_per_unit":1,"min_order":0,"include_shipping":false,"available_on":"payment","return_window_days":0,"expiry":{"mode":"never"},"negative_balance":"cap","auto_enrol":true,"point_value_micros":1000000,"time_zone":"Europe/London"}`)
		var csv strings.Builder
		csv.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
		for c := range 30 {
			for k := range 1 + c%4 {
				at := time.Date(2011, time.Month(1+k*3), 1+c%27, 10, 0, 0, 0, time.UTC)
				fmt.Fprintf(&csv, "%d,SKU%d,thing,%d,%s,%d.50,%d,UK\n", 600000+c*10+k, k, 1+k, at.Format(time.DateTime), 2+c%9, 20000+c)
			}
		}
		if r := s.do("POST", "/v1/imports/orders", s.key, csv.String(), "Content-Type", "text/csv"); r.Status != 200 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		for _, path := range []string{"/v1/analytics/metrics", "/v1/analytics/metrics.csv", "/v1/analytics/cohorts", "/v1/analytics/cohorts.csv",
			"/v1/analytics/rfm", "/v1/analytics/rfm.csv", "/v1/analytics/clv"} {
			r := s.do("GET", path, s.key, nil)
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", path, r.Status, r.Body)
			}
			// The history ended in 2011: the snapshot is as of the end of its last order's
			// day in the store's time zone (London's summer time ends on 30 October).
			if got := r.Header.Get("Tenure-Analytics-As-Of"); got != "2011-10-24T23:00:00Z" {
				t.Errorf("%s: as of %q, want the end of 2011-10-24 in London", path, got)
			}
			if _, err := time.Parse(time.RFC3339, r.Header.Get("Tenure-Analytics-Computed-At")); err != nil {
				t.Errorf("%s: computed at %q", path, r.Header.Get("Tenure-Analytics-Computed-At"))
			}
		}
		rfm := s.do("GET", "/v1/analytics/rfm", s.key, nil).JSON(t)
		if rfm["total"].(float64) != 30 {
			t.Errorf("rfm from the snapshot: %v members, want 30", rfm["total"])
		}
		for _, path := range []string{"/v1/analytics/metrics?from=2011-01-01T00:00:00Z", "/v1/analytics/cohorts?to=2011-12-01T00:00:00Z",
			"/v1/analytics/rfm?as_of=2011-11-01T00:00:00Z", "/v1/analytics/clv?as_of=2011-11-01T00:00:00Z", "/v1/analytics/metrics?granularity=quarter"} {
			r := s.do("GET", path, s.key, nil)
			if r.Status != 200 || r.Header.Get("Tenure-Analytics-As-Of") != "" {
				t.Errorf("%s: %d, as of %q; want computed for the request", path, r.Status, r.Header.Get("Tenure-Analytics-As-Of"))
			}
		}
		// The RFM file names each customer by the store's customer id, from the snapshot and
		// as of a date alike, and the two agree at the snapshot's instant.
		kept := s.do("GET", "/v1/analytics/rfm.csv", s.key, nil)
		asOf := s.do("GET", "/v1/analytics/rfm.csv?as_of="+kept.Header.Get("Tenure-Analytics-As-Of"), s.key, nil)
		for name, r := range map[string]response{"kept": kept, "as of": asOf} {
			lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
			if r.Status != 200 || !strings.HasPrefix(lines[0], "customer_id,email,member_id,") || len(lines) != 31 || !strings.HasPrefix(lines[1], "20000,,mem_") {
				t.Errorf("rfm.csv (%s): %d, %d lines, starting %q then %q", name, r.Status, len(lines), lines[0], lines[1])
			}
		}
		if string(kept.Body) != string(asOf.Body) {
			t.Errorf("rfm.csv from the snapshot and as of its instant differ:\n%s\n---\n%s", kept.Body, asOf.Body)
		}
		if computed := s.do("GET", "/v1/analytics/rfm?as_of=2011-10-25T00:00:00Z", s.key, nil).JSON(t); computed["total"] != rfm["total"] {
			t.Errorf("rfm as of the snapshot's date: computed %v members, snapshot %v", computed["total"], rfm["total"])
		}
	})
}
