package app_test

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestTenantIsolation walks every operation of the OpenAPI document with tenant B's admin
// key against tenant A's ids, and proves B can read and change nothing of A's.
func TestTenantIsolation(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
		defer hook.Close()

		// Tenant A's data.
		a := s.key
		member := s.do("POST", "/v1/members", a, `{"external_id":"a-cust","email":"a@example.com","tags":["zebra-tag"]}`).JSON(t)["id"].(string)
		wh := s.do("POST", "/v1/webhooks", a, `{"url":"`+hook.URL+`"}`).JSON(t)["id"].(string)
		ev := s.do("POST", "/v1/events", a, `{"id":"a-evt","type":"order.paid","customer_id":"a-cust","order":{"id":"a-ord","lines":[{"quantity":1,"unit_price":10000}]}}`).JSON(t)
		s.do("POST", "/v1/members/a-cust/adjustments", a, `{"amount":500,"reason":"seed"}`)
		s.tick()
		deliveries := s.do("GET", "/v1/webhooks/"+wh+"/deliveries", a, nil).JSON(t)["data"].([]any)
		dlv := deliveries[0].(map[string]any)
		key := s.do("POST", "/v1/keys", a, `{"name":"a-int","scope":"integration"}`).JSON(t)["id"].(string)
		if r := s.do("PUT", "/v1/segments/a-only-seg", a, `{"name":"A's segment","condition":"\"zebra-tag\" in member.tags"}`); r.Status != 200 {
			t.Fatalf("segment: %d %s", r.Status, r.Body)
		}
		ids := map[string]string{
			"members": member, "events": ev["id"].(string), "orders": ev["order_id"].(string), "webhooks": wh,
			"deliveries": dlv["id"].(string), "messages": dlv["message_id"].(string), "keys": key, "segments": "a-only-seg", "rules": "a-rule",
			"rewards": isolationReward(t, s, a), "coupons": isolationCoupon(t, s, a, "a-cust"),
		}
		for kind, id := range isolationSubscription(t, s, a) {
			ids[kind] = id
		}
		external := map[string]string{"members": "a-cust", "events": "a-evt", "orders": "a-ord"}
		secrets := []string{"a@example.com", "zebra-tag", hook.URL}
		for _, id := range ids {
			secrets = append(secrets, id)
		}
		snapshot := func() string {
			var b strings.Builder
			for _, p := range []string{"/v1/members/a-cust", "/v1/members/a-cust/balance", "/v1/members/a-cust/ledger", "/v1/orders/a-ord",
				"/v1/webhooks/" + wh, "/v1/keys", "/v1/events/a-evt", "/v1/program", "/v1/segments", "/v1/segments/a-only-seg/members"} {
				b.Write(s.do("GET", p, a, nil).Body)
			}
			return b.String()
		}
		before := snapshot()

		b := s.newTenant("Tenant B")
		bodies := map[string]string{
			"put-program":              `{"name":"B","currency":"PLN","points_per_unit":5,"min_order":0,"include_shipping":false,"available_on":"payment","return_window_days":0,"expiry":{"mode":"never"},"negative_balance":"allow","auto_enrol":true,"point_value_micros":1,"time_zone":"UTC"}`,
			"create-key":               `{"name":"b","scope":"admin"}`,
			"create-member":            `{"external_id":"a-cust"}`,
			"update-member":            `{"first_name":"Mallory"}`,
			"create-adjustment":        `{"amount":-100,"reason":"steal"}`,
			"create-spend":             `{"amount":100}`,
			"create-transfer":          `{"from":"` + member + `","to":"b-cust","amount":100}`,
			"ingest-event":             `{"id":"a-evt","type":"order.refunded","customer_id":"a-cust","refund":{"order_id":"a-ord","full":true}}`,
			"ingest-batch":             `{"events":[{"id":"a-evt2","type":"order.cancelled","customer_id":"a-cust","order":{"id":"a-ord"}}]}`,
			"create-webhook":           `{"url":"http://127.0.0.1:9/b-hook"}`,
			"update-webhook":           `{"url":"http://127.0.0.1:1/stolen","active":false}`,
			"import-orders":            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n1,X,Mug,1,2011-01-01 10:00:00,2.50,a-cust,UK\n",
			"refresh-segments":         `{}`,
			"put-widget":               `{"allowed_origins":["https://evil.example"]}`,
			"rotate-widget-secret":     `{}`,
			"create-member-token":      `{"customer_id":"a-cust"}`,
			"put-segment":              `{"name":"steal","condition":"true"}`,
			"put-rules":                `{"rules":[{"id":"b","kind":"action","event":"review.posted","points":5}]}`,
			"evaluate-rules":           `{"event":{"id":"x","type":"order.paid","customer_id":"a-cust","order":{"id":"a-ord","lines":[{"quantity":1,"unit_price":100}]}}}`,
			"backtest-rules":           `{"rules":{"rules":[{"id":"b","kind":"spend","spend":{"points":5}}]},"from":"2000-01-01T00:00:00Z","to":"2100-01-01T00:00:00Z"}`,
			"put-tiers":                `{"metric":"orders","window":"lifetime","tiers":[{"key":"b-tier","name":"B","threshold":1}]}`,
			"put-member-tier":          `{"tier":"b-tier","reason":"steal"}`,
			"create-reward":            `{"name":"B reward","type":"free_shipping","cost":1}`,
			"update-reward":            `{"name":"stolen","type":"free_shipping","cost":0}`,
			"add-reward-codes":         `{"codes":["B-STOLEN"]}`,
			"create-redemption":        `{"reward_id":"` + ids["rewards"] + `"}`,
			"create-member-redemption": `{"reward_id":"` + ids["rewards"] + `"}`,
			"use-coupon":               `{"order_id":"b-order"}`,
			"cancel-coupon":            `{"reason":"steal"}`,
			"put-flow":                 `{"name":"B's flow","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"exit"}]}`,
			"enable-flow-preset":       ``,
			"put-member-consent":       `{"channel":"email","purpose":"marketing","granted":false}`,
			"unsubscribe":              `List-Unsubscribe=One-Click`,
			"put-shop":                 `{"domain":"b-shop.myshopify.com","webhook_secret":"b"}`,
		}
		for op, body := range isolationSubscriptionBodies(ids) {
			bodies[op] = body
		}
		walked := 0
		doc := s.app.API.OpenAPI()
		paths := make([]string, 0, len(doc.Paths))
		for p := range doc.Paths {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			item := doc.Paths[p]
			for method, o := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
				if o == nil {
					continue
				}
				walked++
				targets := []string{p}
				if strings.Contains(p, "{id}") {
					kind := strings.Split(p, "/")[2]
					id, ok := ids[kind]
					if !ok {
						t.Fatalf("%s %s: no tenant-A id for %q; add one to this test", method, p, kind)
					}
					targets = []string{strings.Replace(p, "{id}", id, 1)}
					if ext, ok := external[kind]; ok {
						targets = append(targets, strings.Replace(p, "{id}", ext, 1))
					}
				}
				body, hasBody := bodies[o.OperationID]
				if (method == "POST" || method == "PUT" || method == "PATCH") && !hasBody && !strings.HasSuffix(p, "/replay") {
					t.Fatalf("%s: no body for the isolation walk; add one", o.OperationID)
				}
				for i, target := range targets {
					var r response
					if hasBody {
						r = s.do(method, target, b, body)
					} else {
						r = s.do(method, target, b, nil)
					}
					// Tenant A's own ids must be unknown to B. A's external ids may name B's
					// own records (B sent events for "a-cust" above): those answers must
					// simply hold nothing of A's.
					// Segment keys are names within a tenant: B may create its own "a-only-seg".
					if strings.Contains(p, "{id}") && i == 0 && r.Status != 404 && !strings.HasPrefix(p, "/v1/segments/") {
						t.Errorf("%s %s with B's key: status %d, want 404: %s", method, target, r.Status, r.Body)
					}
					if r.Status >= 500 {
						t.Errorf("%s %s: %d %s", method, target, r.Status, r.Body)
					}
					for _, sec := range secrets {
						if strings.Contains(string(r.Body), sec) && !strings.Contains(target+body, sec) {
							t.Errorf("%s %s leaked tenant A's %q: %s", method, target, sec, r.Body)
						}
					}
				}
			}
		}
		if walked < 25 {
			t.Fatalf("walked only %d operations", walked)
		}
		if after := snapshot(); after != before {
			t.Fatalf("tenant A's data changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}
