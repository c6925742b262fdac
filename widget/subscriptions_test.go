package widget_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

// TestMemberSubscriptions: a shopper sees and manages their own subscription from the
// widget (skip, pause, resume, the cancel save flow), never another shopper's.
func TestMemberSubscriptions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		s := start(t, e)
		subs := s.app.Service.Subscriptions
		if _, err := subs.CreatePlan(ctx, s.tenant, "test", subscription.Plan{Key: "premium", Name: "Premium", Currency: "PLN", Price: 8900,
			Interval: subscription.Interval{Unit: subscription.Week, Count: 2}, Products: []string{"ethiopia", "colombia"}, Active: true}); err != nil {
			t.Fatal(err)
		}
		s.member(s.tenant, "cust-a", "Ala", 0)
		s.member(s.tenant, "cust-b", "Bea", 0)
		a, err := subs.Subscribe(ctx, s.tenant, "test", "", service.SubscribeRequest{CustomerID: "cust-a", Plan: "premium"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := subs.Subscribe(ctx, s.tenant, "test", "", service.SubscribeRequest{CustomerID: "cust-b", Plan: "premium"})
		if err != nil {
			t.Fatal(err)
		}
		tok := s.token("cust-a")
		list := s.do("GET", "/v1/member/subscriptions", tok, nil)
		if list.Status != 200 || !strings.Contains(string(list.Body), a.ID) || strings.Contains(string(list.Body), b.ID) || !strings.Contains(string(list.Body), "too_expensive") {
			t.Fatalf("list: %d %s", list.Status, list.Body)
		}
		// Skip needs an Idempotency-Key; with one, a retry skips once.
		if r := s.do("POST", "/v1/member/subscriptions/"+a.ID+"/skip", tok, map[string]any{}); r.Status != 422 || !strings.Contains(string(r.Body), "Idempotency-Key") {
			t.Fatalf("skip without a key: %d %s", r.Status, r.Body)
		}
		for range 2 {
			if r := s.do("POST", "/v1/member/subscriptions/"+a.ID+"/skip", tok, map[string]any{}, "Idempotency-Key", "skip-1"); r.Status != 200 {
				t.Fatalf("skip: %d %s", r.Status, r.Body)
			}
		}
		if got, _ := subs.Subscription(ctx, s.tenant, a.ID); len(got.Skips) != 1 {
			t.Fatalf("skips after a retried skip: %v", got.Skips)
		}
		if r := s.do("POST", "/v1/member/subscriptions/"+a.ID+"/swap", tok, map[string]any{"product": "colombia"}, "Idempotency-Key", "swap-1"); r.Status != 200 {
			t.Fatalf("swap: %d %s", r.Status, r.Body)
		}
		// Another shopper's subscription does not exist for this one.
		if r := s.do("POST", "/v1/member/subscriptions/"+b.ID+"/pause", tok, map[string]any{}, "Idempotency-Key", "p-1"); r.Status != 404 {
			t.Fatalf("pausing another's subscription: %d %s", r.Status, r.Body)
		}
		if r := s.do("POST", "/v1/member/subscriptions/"+a.ID+"/change-plan", tok, map[string]any{}, "Idempotency-Key", "x"); r.Status != 404 {
			t.Fatalf("unknown action: %d", r.Status)
		}
		// The save flow: too expensive, accept the discount.
		flow := s.do("POST", "/v1/member/subscriptions/"+a.ID+"/cancel-flow", tok, map[string]any{"reason": "too_expensive"})
		if flow.Status != 200 || !strings.Contains(string(flow.Body), `"discount"`) {
			t.Fatalf("cancel flow: %d %s", flow.Status, flow.Body)
		}
		id := flow.JSON(t)["id"].(string)
		if r := s.do("POST", "/v1/member/cancel-flows/"+id+"/decision", s.token("cust-b"), map[string]any{"accept": "discount"}, "Idempotency-Key", "d-1"); r.Status != 404 {
			t.Fatalf("another shopper deciding: %d", r.Status)
		}
		if r := s.do("POST", "/v1/member/cancel-flows/"+id+"/decision", tok, map[string]any{"accept": "discount"}, "Idempotency-Key", "d-1"); r.Status != 200 || !strings.Contains(string(r.Body), `"accepted"`) {
			t.Fatalf("decision: %d %s", r.Status, r.Body)
		}
		if got, _ := subs.Subscription(ctx, s.tenant, a.ID); got.Offer == nil || got.Product != "colombia" {
			t.Fatalf("after the flow: offer %+v product %s", got.Offer, got.Product)
		}
		if r := s.do("POST", "/v1/member/subscriptions/"+a.ID+"/pause", tok, map[string]any{"until": "2020-01-01T00:00:00Z"}, "Idempotency-Key", "p-2"); r.Status != 422 || !strings.Contains(string(r.Body), "until") {
			t.Fatalf("pause in the past: %d %s", r.Status, r.Body)
		}
	})
}
