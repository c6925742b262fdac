package app_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func TestImportAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.do("PUT", "/v1/program", s.key, `{"name":"UK","currency":"GBP","points_per_unit":1,"min_order":0,"include_shipping":false,"available_on":"payment","return_window_days":0,"expiry":{"mode":"never"},"negative_balance":"cap","auto_enrol":true,"point_value_micros":1000000,"time_zone":"Europe/London"}`)
		csv := "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
			"536365,85123A, WHITE HANGING HEART ,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n" +
			"536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n" +
			"536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,,United Kingdom\n" +
			"C536379,85123A,WHITE HANGING HEART,-2,2010-12-01 09:41:00,2.55,17850.0,United Kingdom\n" +
			"536380,POST,POSTAGE,1,2010-12-01 09:45:00,18.00,17850.0,United Kingdom\n" +
			"536381,22633,HAND WARMER,1,2010-12-01 09:46:00,abc,17850.0,United Kingdom\n"
		for round := 0; round < 2; round++ {
			r := s.do("POST", "/v1/imports/orders", s.key, csv, "Content-Type", "text/csv")
			if r.Status != 200 {
				t.Fatalf("import: %d %s", r.Status, r.Body)
			}
			sum := r.JSON(t)["summary"].(map[string]any)
			if sum["orders"].(float64) != 1 || sum["refunds"].(float64) != 1 || sum["guest_invoices"].(float64) != 1 || sum["customers"].(float64) != 1 {
				t.Fatalf("round %d summary: %v", round, sum)
			}
			if rej := r.JSON(t)["rejects"].(string); !strings.Contains(rej, "536381") {
				t.Fatalf("rejected rows: %q", rej)
			}
		}
		o := s.do("GET", "/v1/orders/536365", s.key, nil)
		if o.Status != 200 || !strings.Contains(string(o.Body), `"product_id":"85123A"`) || !strings.Contains(string(o.Body), `"credited":0`) {
			t.Fatalf("imported order: %d %s", o.Status, o.Body)
		}
		m := s.do("GET", "/v1/members?external_id=17850", s.key, nil)
		if !strings.Contains(string(m.Body), `"external_id":"17850"`) {
			t.Fatalf("imported customer: %s", m.Body)
		}
		if r := s.do("GET", "/v1/analytics/cohorts", s.key, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"size":1`) {
			t.Fatalf("cohorts: %d %s", r.Status, r.Body)
		}
		if r := s.do("GET", "/v1/analytics/metrics.csv", s.key, nil); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("metrics csv: %d %s", r.Status, r.Header)
		}
	})
}
