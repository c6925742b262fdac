package app_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// step is one API call of a scenario and what it must answer.
type step struct {
	name     string
	method   string
	path     string
	body     any
	status   int
	contains []string
}

func TestAPIScenario(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		steps := []step{
			{"enrol a member", "POST", "/v1/members", `{"external_id":"cust-1","email":"Ola@Example.com","tags":["VIP"],"birthday":"1990-04-02","time_zone":"Europe/Warsaw","consents":[{"channel":"email","purpose":"marketing","granted":true,"source":"checkout"}]}`,
				200, []string{`"external_id":"cust-1"`, `"email":"ola@example.com"`, `"tags":["vip"]`, `"source":"checkout"`}},
			{"enrolling twice conflicts", "POST", "/v1/members", `{"external_id":"cust-1"}`, 409, []string{`body.external_id`}},
			{"find by email", "GET", "/v1/members?email=ola@example.com", nil, 200, []string{`"cust-1"`}},
			{"find by tag", "GET", "/v1/members?tag=vip", nil, 200, []string{`"cust-1"`}},
			{"update", "PATCH", "/v1/members/cust-1", `{"first_name":"Ola","attributes":{"size":"M"}}`, 200, []string{`"first_name":"Ola"`, `"size":"M"`}},
			{"send an order", "POST", "/v1/events", `{"id":"evt-100","type":"order.paid","customer_id":"cust-1","order":{"id":"ord-100","lines":[{"product_id":"mug","category":"kitchen","quantity":2,"unit_price":4900}],"shipping":1500}}`,
				201, []string{`"earned":98`, `"pending":true`, `"replay":false`}},
			{"the same event again is a replay", "POST", "/v1/events", `{"id":"evt-100","type":"order.paid","customer_id":"cust-1","order":{"id":"ord-100","lines":[{"product_id":"mug","category":"kitchen","quantity":2,"unit_price":4900}],"shipping":1500}}`,
				200, []string{`"replay":true`, `"earned":98`}},
			{"pending points show in the balance", "GET", "/v1/members/cust-1/balance", nil, 200, []string{`"pending":98`, `"available":0`}},
			{"fulfilment makes them available", "POST", "/v1/events", `{"id":"evt-101","type":"order.fulfilled","customer_id":"cust-1","order":{"id":"ord-100"}}`, 201, []string{`"released":98`}},
			{"balance after fulfilment", "GET", "/v1/members/cust-1/balance", nil, 200, []string{`"available":98`, `"pending":0`, `"next_expiry_amount":98`}},
			{"redeem by adjustment", "POST", "/v1/members/cust-1/adjustments", `{"amount":-50,"reason":"10% coupon"}`, 200, []string{`"available":48`}},
			{"an adjustment needs a reason", "POST", "/v1/members/cust-1/adjustments", `{"amount":-5}`, 422, []string{`body.reason`}},
			{"overspending conflicts", "POST", "/v1/members/cust-1/spends", `{"amount":49}`, 409, []string{`insufficient`}},
			{"history names each cause", "GET", "/v1/members/cust-1/ledger", nil, 200, []string{`"reason":"10% coupon"`, `"reason":"order.paid ord-100: Points for every purchase +98"`, `"kind":"release"`}},
			{"the order keeps its lines", "GET", "/v1/orders/ord-100", nil, 200, []string{`"product_id":"mug"`, `"credited":98`}},
			{"a batch is atomic", "POST", "/v1/events/batch", `{"events":[{"id":"b1","type":"customer.created","customer_id":"cust-2"},{"id":"b2","type":"order.paid","customer_id":"cust-2","order":{"id":"o2","lines":[{"quantity":1,"unit_price":-1}]}}]}`,
				422, []string{`body.events[1].order.lines[0].unit_price`}},
			{"nothing of the failed batch was written", "GET", "/v1/members/cust-2", nil, 404, nil},
			{"a dry run shows effects only", "POST", "/v1/events?dry_run=true", `{"id":"dry","type":"order.paid","customer_id":"cust-3","order":{"id":"o3","lines":[{"quantity":1,"unit_price":100000}]}}`,
				201, []string{`"earned":1000`, `"dry_run":true`}},
			{"the dry run wrote nothing", "GET", "/v1/members/cust-3", nil, 404, nil},
			{"program settings", "GET", "/v1/program", nil, 200, []string{`"points_per_unit":1`}},
			{"invalid program settings name the field", "PUT", "/v1/program", `{"name":"x","currency":"PL","points_per_unit":1,"min_order":0,"include_shipping":false,"available_on":"payment","return_window_days":14,"expiry":{"mode":"never"},"negative_balance":"cap","auto_enrol":true,"point_value_micros":1,"time_zone":"Mars/Base"}`,
				422, []string{`body.currency`, `body.time_zone`}},
			{"audit log", "GET", "/v1/audit-log", nil, 200, []string{`"action":"points.adjusted"`}},
			{"a second member", "POST", "/v1/members", `{"external_id":"cust-4"}`, 200, nil},
			{"a third member", "POST", "/v1/members", `{"external_id":"cust-5"}`, 200, nil},
			{"the first page has a cursor", "GET", "/v1/members?limit=2", nil, 200, []string{`"cust-1"`, `"cust-4"`, `"next_cursor"`}},
		}
		var cursor string
		for _, st := range steps {
			r := s.do(st.method, st.path, s.key, st.body)
			if st.name == "the first page has a cursor" {
				cursor, _ = r.JSON(t)["next_cursor"].(string)
			}
			if r.Status != st.status {
				t.Fatalf("%s: status %d, want %d: %s", st.name, r.Status, st.status, r.Body)
			}
			for _, c := range st.contains {
				if !strings.Contains(string(r.Body), c) {
					t.Fatalf("%s: body lacks %s: %s", st.name, c, r.Body)
				}
			}
			if r.Status >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: error content type %q", st.name, r.Header.Get("Content-Type"))
			}
		}
		last := s.do("GET", "/v1/members?limit=2&cursor="+cursor, s.key, nil)
		if body := string(last.Body); !strings.Contains(body, `"cust-5"`) || strings.Contains(body, `"cust-1"`) || strings.Contains(body, "next_cursor") {
			t.Fatalf("second page: %s", body)
		}
	})
}

func TestOperations(t *testing.T) {
	s := start(t, storagetest.Engines(t)[0])
	for _, c := range []struct{ path, want string }{
		{"/healthz", `"ok"`}, {"/readyz", `"ready"`}, {"/openapi.json", `"openapi":"3.1.0"`},
	} {
		if r := s.do("GET", c.path, "", nil); r.Status != 200 || !strings.Contains(string(r.Body), c.want) {
			t.Fatalf("%s: %d %s", c.path, r.Status, r.Body)
		}
	}
	s.do("POST", "/v1/events", s.key, `{"id":"m1","type":"customer.created","customer_id":"x"}`)
	s.do("POST", "/v1/events", s.key, `{"id":"m2","type":"nope","customer_id":"x"}`)
	r := s.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`tenure_events_ingested_total{outcome="processed",type="customer.created"} 1`,
		`tenure_http_request_duration_seconds_bucket{operation="ingest-event",status="201"`,
		`tenure_job_lag_seconds`, `tenure_webhook_deliveries_total`, `tenure_ledger_entries_total`,
	} {
		if !strings.Contains(string(r.Body), want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
}
