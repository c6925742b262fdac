package app_test

import (
	"net/url"
	"os"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// FuzzIngestHTTP posts arbitrary bodies to /v1/events, /v1/events/batch and /v1/members,
// and uses them as a member search parameter and a path id, on every engine: every answer
// must be a success or a 4xx problem, never a 5xx, and both engines must give the same
// status (the input contract: NUL and invalid UTF-8 are refused alike everywhere).
//
//	go test -fuzz FuzzIngestHTTP -fuzztime 60s ./app
func FuzzIngestHTTP(f *testing.F) {
	for _, s := range []string{
		`{"id":"e1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":2,"unit_price":4900}]}}`,
		`{"events":[{"id":"e2","type":"order.refunded","customer_id":"c1","refund":{"order_id":"o1","amount":100}}]}`,
		`{"id":"e3","type":"customer.updated","customer_id":"c1","customer":{"time_zone":"Europe/Warsaw","tags":["a","A"]}}`,
		`[]`, `null`, `{"id":1}`, `{"events":[null]}`,
		`{"external_id":"a\u0000b"}`,
		"{\"external_id\":\"shop\xffuser\"}",
		`{"id":"e4","type":"custom","action":"x","customer_id":"c\ud800","properties":{"k\u0000":"v"}}`,
	} {
		f.Add([]byte(s))
	}
	engines := []*server{start(f, storagetest.Engine{Name: "sqlite", DSN: f.TempDir() + "/fuzz.db"})}
	if pg := os.Getenv(storagetest.PostgresEnv); pg != "" {
		engines = append(engines, start(f, storagetest.Engine{Name: "postgres", DSN: storagetest.FreshSchema(f, pg)}))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		requests := [][3]string{
			{"POST", "/v1/events", string(body)},
			{"POST", "/v1/events/batch", string(body)},
			{"POST", "/v1/members", string(body)},
			{"GET", "/v1/members?email=" + url.QueryEscape(string(body)), ""},
			{"GET", "/v1/members/" + url.PathEscape(string(body)), ""},
		}
		for _, rq := range requests {
			status := 0
			for i, s := range engines {
				s.t = t
				var b any
				if rq[2] != "" {
					b = rq[2]
				}
				r := s.do(rq[0], rq[1], s.key, b)
				if r.Status >= 500 {
					t.Fatalf("%s %s answered %d to %q: %s", rq[0], rq[1], r.Status, body, r.Body)
				}
				if r.Status >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%s %s: %d without a problem body", rq[0], rq[1], r.Status)
				}
				if i > 0 && r.Status != status {
					t.Fatalf("%s %s with %q: SQLite answered %d, PostgreSQL %d: %s", rq[0], rq[1], body, status, r.Status, r.Body)
				}
				status = r.Status
			}
		}
	})
}
