package app_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestBadInput sends malformed, mistyped, oversize and unauthorised requests and checks
// each gets a 4xx problem naming the problem, and that none of them wrote anything.
func TestBadInput(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		s.do("POST", "/v1/members", s.key, `{"external_id":"c1"}`)
		readOnly := s.do("POST", "/v1/keys", s.key, `{"name":"ro","scope":"read_only"}`).JSON(t)["secret"].(string)
		integ := s.do("POST", "/v1/keys", s.key, `{"name":"int","scope":"integration"}`).JSON(t)
		revoked := s.do("POST", "/v1/keys", s.key, `{"name":"gone","scope":"admin"}`).JSON(t)
		if r := s.do("DELETE", "/v1/keys/"+revoked["id"].(string), s.key, nil); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		before := tableCounts(t, s)
		huge := `{"id":"big","type":"custom","action":"x","customer_id":"c1","properties":{"blob":"` + strings.Repeat("x", 2<<20) + `"}}`
		cases := []struct {
			name, method, path, key, body string
			status                        int
			mention                       string
		}{
			{"malformed JSON", "POST", "/v1/events", s.key, `{"id":"x","type":`, 400, ""},
			{"wrong type", "POST", "/v1/events", s.key, `{"id":"x","type":"order.paid","customer_id":"c1","order":{"id":"o","lines":[{"quantity":"two","unit_price":1}]}}`, 422, "body.order.lines[0].quantity"},
			{"unknown field", "POST", "/v1/events", s.key, `{"id":"x","type":"order.paid","customer_id":"c1","order":{"id":"o","lines":[{"qty":2,"unit_price":1}]}}`, 422, "qty"},
			{"unknown event type", "POST", "/v1/events", s.key, `{"id":"x","type":"order.teleported","customer_id":"c1"}`, 422, "body.type"},
			{"negative amount", "POST", "/v1/events", s.key, `{"id":"x","type":"order.paid","customer_id":"c1","order":{"id":"o","shipping":-1,"lines":[{"quantity":1,"unit_price":100}]}}`, 422, "body.order.shipping"},
			{"absurd amount", "POST", "/v1/events", s.key, `{"id":"x","type":"order.paid","customer_id":"c1","order":{"id":"o","lines":[{"quantity":1000000,"unit_price":999999999999}]}}`, 422, "body.order.lines[0].unit_price"},
			{"number too large for int64", "POST", "/v1/events", s.key, `{"id":"x","type":"order.paid","customer_id":"c1","order":{"id":"o","lines":[{"quantity":1,"unit_price":99999999999999999999999}]}}`, 422, "unit_price"},
			{"empty batch", "POST", "/v1/events/batch", s.key, `{"events":[]}`, 422, "body.events"},
			{"oversize body", "POST", "/v1/events", s.key, huge, 413, ""},
			{"unknown member for adjustment", "POST", "/v1/members/nobody/adjustments", s.key, `{"amount":5,"reason":"x"}`, 404, "nobody"},
			{"zero adjustment", "POST", "/v1/members/c1/adjustments", s.key, `{"amount":0,"reason":"x"}`, 422, "body.amount"},
			{"negative spend", "POST", "/v1/members/c1/spends", s.key, `{"amount":-5}`, 422, "body.amount"},
			{"unknown wallet", "POST", "/v1/members/c1/spends", s.key, `{"amount":5,"wallet":"gold"}`, 422, "wallet"},
			{"bad webhook URL", "POST", "/v1/webhooks", s.key, `{"url":"ftp://example.com"}`, 422, "body.url"},
			{"unknown webhook filter", "POST", "/v1/webhooks", s.key, `{"url":"https://example.com/h","event_types":["points.stolen"]}`, 422, "body.event_types[0]"},
			{"bad email", "PATCH", "/v1/members/c1", s.key, `{"email":"not-an-email"}`, 422, "body.email"},
			{"bad consent channel", "PATCH", "/v1/members/c1", s.key, `{"consents":[{"channel":"pigeon","purpose":"marketing","granted":true}]}`, 422, "channel"},
			{"missing key", "GET", "/v1/members", "", "", 401, "Authorization"},
			{"wrong key", "GET", "/v1/members", "tnr_nope", "", 401, "unknown or revoked"},
			{"revoked key", "GET", "/v1/members", revoked["secret"].(string), "", 401, "unknown or revoked"},
			{"read-only key cannot write", "POST", "/v1/members", readOnly, `{"external_id":"c2"}`, 403, "read_only"},
			{"integration key cannot manage keys", "POST", "/v1/keys", integ["secret"].(string), `{"name":"x","scope":"admin"}`, 403, "admin"},
			{"integration key cannot change the program", "PUT", "/v1/program", integ["secret"].(string), `{}`, 403, "admin"},
		}
		for _, c := range cases {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := s.do(c.method, c.path, c.key, body)
			if r.Status != c.status {
				t.Errorf("%s: status %d, want %d: %.300s", c.name, r.Status, c.status, r.Body)
				continue
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: content type %q", c.name, ct)
			}
			if c.mention != "" && !strings.Contains(string(r.Body), c.mention) {
				t.Errorf("%s: problem does not mention %q: %s", c.name, c.mention, r.Body)
			}
		}
		after := tableCounts(t, s)
		for k, n := range before {
			if after[k] != n {
				t.Errorf("table %s: %d rows before, %d after", k, n, after[k])
			}
		}
	})
}

func tableCounts(t *testing.T, s *server) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"members", "events", "orders", "order_lines", "lots", "ledger_entries", "balances", "outbox", "deliveries", "jobs", "webhooks", "idempotency_keys", "member_tags"} {
		var n int64
		if err := s.app.DB.Raw().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}
