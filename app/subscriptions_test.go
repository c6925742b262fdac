package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSubscriptionAPI drives seed 000's plans through the HTTP API: plans, subscribing,
// actions with Idempotency-Key, the save flow, payment reports of the external provider,
// the metrics and their CSV; and bad input that must be a 4xx naming the field and
// write nothing.
func TestSubscriptionAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		for _, p := range []string{
			`{"key":"basic","name":"Basic","currency":"PLN","price":4900,"interval":{"unit":"month","count":1},"benefits":{"extra_percent_off":10},"products":["coffee-250","tea-100"],"active":true,"proration":"immediate"}`,
			`{"key":"premium","name":"Premium","currency":"PLN","price":8900,"interval":{"unit":"week","count":2},"benefits":{"extra_percent_off":20,"exclusive_rewards":true},"active":true}`,
			`{"key":"gold","name":"Gold","currency":"PLN","price":12900,"interval":{"unit":"week","count":1},"benefits":{"extra_percent_off":30,"promo_codes":true},"active":true}`,
		} {
			if r := s.do("POST", "/v1/subscription-plans", s.key, p); r.Status != 200 {
				t.Fatalf("create plan: %d %s", r.Status, r.Body)
			}
		}
		if r := s.do("GET", "/v1/subscription-plans", s.key, nil); r.Status != 200 || strings.Count(string(r.Body), `"key"`) != 3 {
			t.Fatalf("list plans: %d %s", r.Status, r.Body)
		}
		r := s.do("POST", "/v1/subscriptions", s.key, `{"customer_id":"ola","plan":"basic","payment_method":"card_succeeds"}`, "Idempotency-Key", "sub-ola")
		if r.Status != 200 {
			t.Fatalf("subscribe: %d %s", r.Status, r.Body)
		}
		sub := r.JSON(t)
		id := sub["id"].(string)
		if sub["state"] != "active" || sub["paid_renewals"].(float64) != 1 {
			t.Fatalf("subscription %s", r.Body)
		}
		if again := s.do("POST", "/v1/subscriptions", s.key, `{"customer_id":"ola","plan":"basic","payment_method":"card_succeeds"}`, "Idempotency-Key", "sub-ola"); again.JSON(t)["id"] != id {
			t.Fatalf("replayed subscribe made another subscription: %s", again.Body)
		}
		// Skip the next delivery twice with one key: one skip.
		for range 2 {
			if r := s.do("POST", "/v1/subscriptions/"+id+"/skip", s.key, `{}`, "Idempotency-Key", "skip-1"); r.Status != 200 {
				t.Fatalf("skip: %d %s", r.Status, r.Body)
			}
		}
		tl := s.do("GET", "/v1/subscriptions/"+id, s.key, nil)
		if strings.Count(string(tl.Body), `"event":"skipped"`) != 1 {
			t.Fatalf("timeline after two skips with one key: %s", tl.Body)
		}

		// The external provider: renewal_due, then the store reports the payment.
		r = s.do("POST", "/v1/subscriptions", s.key, `{"customer_id":"piotr","plan":"premium","provider":"external"}`)
		ext := r.JSON(t)
		if ext["state"] != "active" || ext["paid_renewals"].(float64) != 0 {
			t.Fatalf("external subscribe: %s", r.Body)
		}
		extTL := s.do("GET", "/v1/subscriptions/"+ext["id"].(string), s.key, nil).JSON(t)
		ren := extTL["renewals"].([]any)[0].(map[string]any)
		if ren["status"] != "pending" {
			t.Fatalf("external renewal %v", ren)
		}
		pay := fmt.Sprintf(`{"type":"payment.succeeded","renewal_id":%q,"reference":"pay_1"}`, ren["id"])
		for range 2 { // a repeated report changes nothing
			if r := s.do("POST", "/v1/subscription-payments", s.key, pay); r.Status != 200 || r.JSON(t)["status"] != "paid" {
				t.Fatalf("payment report: %d %s", r.Status, r.Body)
			}
		}
		if r := s.do("GET", "/v1/subscriptions/"+ext["id"].(string), s.key, nil); !strings.Contains(string(r.Body), `"paid_renewals":1`) {
			t.Fatalf("after the payment: %s", r.Body)
		}

		// Save flow: too expensive on Premium offers a discount and a cheaper plan.
		r = s.do("POST", "/v1/subscriptions/"+ext["id"].(string)+"/cancel-flow", s.key, `{"reason":"too_expensive"}`)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"kind":"discount"`) || !strings.Contains(string(r.Body), `"plan":"basic"`) {
			t.Fatalf("cancel flow: %d %s", r.Status, r.Body)
		}
		flow := r.JSON(t)["id"].(string)
		if r := s.do("POST", "/v1/subscription-cancel-flows/"+flow+"/decision", s.key, `{"accept":"discount"}`); r.Status != 200 || r.JSON(t)["outcome"] != "accepted" {
			t.Fatalf("decision: %d %s", r.Status, r.Body)
		}

		// Metrics and CSV.
		s.clock.Advance(24 * time.Hour)
		m := s.do("GET", "/v1/subscription-metrics?from=2026-06-01T00:00:00Z", s.key, nil)
		if m.Status != 200 || !strings.Contains(string(m.Body), `"new":24183`) || !strings.Contains(string(m.Body), `"save_rate":1`) {
			t.Fatalf("metrics: %d %s", m.Status, m.Body)
		}
		csv := s.do("GET", "/v1/subscription-metrics.csv?from=2026-06-01T00:00:00Z", s.key, nil)
		if csv.Status != 200 || !strings.HasPrefix(string(csv.Body), "month,start_mrr,new") || !strings.Contains(string(csv.Body), "2026-06,0,24183,") {
			t.Fatalf("metrics csv: %d %s", csv.Status, csv.Body)
		}

		// Bad input.
		if r := s.do("POST", "/v1/subscriptions/"+id+"/cancel", s.key, `{}`); r.Status != 200 {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		other := s.newTenant("Other store")
		live := ext["id"].(string)
		before := tableCounts(t, s)
		subBefore := subscriptionCounts(t, s)
		cases := []struct {
			name, method, path, key, body string
			status                        int
			mention                       string
		}{
			{"unknown plan", "POST", "/v1/subscriptions", s.key, `{"customer_id":"zoe","plan":"platinum"}`, 422, "plan"},
			{"interval 0", "POST", "/v1/subscriptions", s.key, `{"customer_id":"zoe","plan":"basic","interval":{"unit":"month","count":0}}`, 422, "interval"},
			{"negative price", "POST", "/v1/subscription-plans", s.key, `{"key":"neg","name":"Neg","currency":"PLN","price":-1,"interval":{"unit":"month","count":1},"active":true}`, 422, "price"},
			{"pause in the past", "POST", "/v1/subscriptions/" + live + "/pause", s.key, `{"until":"2020-01-01T00:00:00Z"}`, 422, "until"},
			{"skip of a past delivery", "POST", "/v1/subscriptions/" + live + "/skip", s.key, `{"delivery_at":"2026-06-01T09:00:00Z"}`, 422, "delivery_at"},
			{"action on a cancelled subscription", "POST", "/v1/subscriptions/" + id + "/pause", s.key, `{}`, 409, "state"},
			{"another tenant's subscription", "POST", "/v1/subscriptions/" + live + "/pause", other, `{}`, 404, "not found"},
			{"another tenant's timeline", "GET", "/v1/subscriptions/" + live, other, "", 404, "not found"},
			{"unknown reason", "POST", "/v1/subscriptions/" + live + "/cancel-flow", s.key, `{"reason":"bored"}`, 422, "reason"},
			{"unknown payment type", "POST", "/v1/subscription-payments", s.key, `{"type":"payment.maybe","renewal_id":"x"}`, 422, "type"},
			{"unknown renewal", "POST", "/v1/subscription-payments", s.key, `{"type":"payment.failed","renewal_id":"ren_nope"}`, 422, "renewal_id"},
			{"quantity 0", "POST", "/v1/subscriptions/" + live + "/quantity", s.key, `{"quantity":0}`, 422, "quantity"},
			{"metrics range backwards", "GET", "/v1/subscription-metrics?from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", s.key, "", 422, "from"},
		}
		for _, c := range cases {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := s.do(c.method, c.path, c.key, body)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.mention) {
				t.Errorf("%s: %d %.300s, want %d mentioning %q", c.name, r.Status, r.Body, c.status, c.mention)
			}
		}
		after := tableCounts(t, s)
		for k, n := range before {
			if after[k] != n {
				t.Errorf("table %s: %d rows before the bad requests, %d after", k, n, after[k])
			}
		}
		if got := subscriptionCounts(t, s); fmt.Sprint(got) != fmt.Sprint(subBefore) {
			t.Errorf("subscription tables changed: %v -> %v", subBefore, got)
		}
	})
}

func subscriptionCounts(t *testing.T, s *server) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"subscription_plans", "subscriptions", "subscription_transitions", "subscription_renewals", "subscription_charges", "subscription_saves", "audit_log"} {
		var n int64
		if err := s.app.DB.Raw().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// isolationSubscription makes tenant A's plan, subscription (collected by the store, so
// its renewal waits), cancel flow and renewal, for the tenant isolation walk.
func isolationSubscription(t *testing.T, s *server, key string) map[string]string {
	t.Helper()
	plan := s.do("POST", "/v1/subscription-plans", key, `{"key":"a-plan","name":"A plan","currency":"PLN","price":4900,"interval":{"unit":"month","count":1},"active":true}`)
	if plan.Status != 200 {
		t.Fatalf("plan: %d %s", plan.Status, plan.Body)
	}
	sub := s.do("POST", "/v1/subscriptions", key, `{"customer_id":"a-cust","plan":"a-plan","provider":"external"}`).JSON(t)
	id := sub["id"].(string)
	tl := s.do("GET", "/v1/subscriptions/"+id, key, nil).JSON(t)
	renewal := tl["renewals"].([]any)[0].(map[string]any)["id"].(string)
	flow := s.do("POST", "/v1/subscriptions/"+id+"/cancel-flow", key, `{"reason":"other"}`).JSON(t)["id"].(string)
	return map[string]string{"subscription-plans": plan.JSON(t)["id"].(string), "subscriptions": id,
		"subscription-cancel-flows": flow, "subscription-renewals": renewal}
}

// isolationSubscriptionBodies are tenant B's request bodies aimed at tenant A's records.
func isolationSubscriptionBodies(ids map[string]string) map[string]string {
	out := map[string]string{
		"create-plan":         `{"key":"a-plan","name":"B","currency":"PLN","price":1,"interval":{"unit":"month","count":1},"active":true}`,
		"create-subscription": `{"customer_id":"a-cust","plan":"` + ids["subscription-plans"] + `"}`,
		"start-cancel-flow":   `{"reason":"other"}`,
		"decide-cancel-flow":  `{}`,
		"put-save-flow":       `{"other":[{"kind":"bonus_points","points":5}]}`,
		"report-payment":      `{"type":"payment.succeeded","renewal_id":"` + ids["subscription-renewals"] + `"}`,
		"refund-renewal":      `{}`,
	}
	for _, a := range []string{"pause", "resume", "cancel", "uncancel", "skip", "change-plan", "change-frequency", "swap", "quantity"} {
		out[a+"-subscription"] = `{"plan":"a-plan","quantity":2,"product":"x","interval":{"unit":"month","count":1}}`
		out["member-"+a+"-subscription"] = `{"quantity":2,"product":"x","interval":{"unit":"month","count":1}}`
	}
	out["member-start-cancel-flow"] = `{"reason":"other"}`
	out["member-decide-cancel-flow"] = `{}`
	return out
}
