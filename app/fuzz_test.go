package app_test

import (
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// FuzzIngestHTTP posts arbitrary bodies to /v1/events and /v1/events/batch of a real
// server: every answer must be a success or a 4xx problem, never a 5xx.
//
//	go test -fuzz FuzzIngestHTTP -fuzztime 60s ./app
func FuzzIngestHTTP(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":2,"unit_price":4900}]}}`,
		`{"events":[{"id":"e2","type":"order.refunded","customer_id":"c1","refund":{"order_id":"o1","amount":100}}]}`,
		`{"id":"e3","type":"customer.updated","customer_id":"c1","customer":{"time_zone":"Europe/Warsaw","tags":["a","A"]}}`,
		`[]`, `null`, `{"id":1}`, `{"events":[null]}`,
	} {
		f.Add([]byte(s))
	}
	s := start(f, storagetest.Engine{Name: "sqlite", DSN: f.TempDir() + "/fuzz.db"})
	f.Fuzz(func(t *testing.T, body []byte) {
		s.t = t
		for _, path := range []string{"/v1/events", "/v1/events/batch"} {
			r := s.do("POST", path, s.key, body)
			if r.Status >= 500 {
				t.Fatalf("%s answered %d to %q: %s", path, r.Status, body, r.Body)
			}
			if r.Status >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: %d without a problem body", path, r.Status)
			}
		}
	})
}
