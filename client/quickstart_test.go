package client_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/client"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func str(s string) *string { return &s }

// The README quickstart, step by step, through the client against the real server on
// 127.0.0.1: a key for the shop backend, a webhook endpoint whose deliveries the client
// verifies, a member, an order paid and fulfilled (98 points), a replay that changes
// nothing, a manual adjustment, and the ledger naming every cause; then a redemption
// retried with the same idempotency key issues one coupon.
func TestQuickstart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		a, url := apptest.Serve(t, e, tenure.SystemClock{})
		var out bytes.Buffer
		if _, err := a.Bootstrap(ctx, &out); err != nil {
			t.Fatal(err)
		}
		admin := ""
		for _, f := range strings.Fields(out.String()) {
			if strings.HasPrefix(f, "tnr_") {
				admin = f
			}
		}
		c := client.New(url, admin)

		backend, err := c.CreateKey(ctx, "shop backend", tenure.ScopeIntegration)
		if err != nil || backend.Scope != tenure.ScopeIntegration || !strings.HasPrefix(backend.Secret, "tnr_") {
			t.Fatalf("key: %+v %v", backend, err)
		}

		var mu sync.Mutex
		var received []client.Message
		var secret string
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			m, err := client.ReadWebhook(r, secret)
			if err != nil {
				t.Errorf("delivery: %v", err)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			received = append(received, m)
		}))
		defer receiver.Close()
		hook, err := c.CreateWebhook(ctx, client.WebhookInput{URL: receiver.URL, EventTypes: []string{"points.*"}})
		if err != nil || !strings.HasPrefix(hook.Secret, "whsec_") {
			t.Fatalf("webhook: %+v %v", hook, err)
		}
		mu.Lock()
		secret = hook.Secret
		mu.Unlock()

		shop := client.New(url, backend.Secret)
		m, err := shop.CreateMember(ctx, client.NewMember{ExternalID: "cust-42", MemberPatch: tenure.MemberPatch{Email: str("ola@example.com"), FirstName: str("Ola")}})
		if err != nil || m.ExternalID != "cust-42" || m.Email != "ola@example.com" {
			t.Fatalf("member: %+v %v", m, err)
		}
		paid := tenure.Event{ID: "shop-evt-1001", Type: tenure.OrderPaid, CustomerID: "cust-42", Order: &tenure.OrderData{ID: "ORD-1001",
			Lines: []tenure.LineData{{ProductID: "mug", Category: "kitchen", Quantity: 2, UnitPrice: 4900}}, Shipping: 1500}}
		r, err := shop.Send(ctx, paid)
		if err != nil || r.Replay || r.Points == nil || r.Points.Earned != 98 || !r.Points.Pending {
			t.Fatalf("order.paid: %+v %v", r, err)
		}
		if b, err := shop.Balance(ctx, "cust-42"); err != nil || b.Points.Pending != 98 {
			t.Fatalf("balance after payment: %+v %v", b, err)
		}
		if r, err := shop.Send(ctx, paid); err != nil || !r.Replay {
			t.Fatalf("replay: %+v %v", r, err)
		}
		if _, err := shop.Send(ctx, tenure.Event{ID: "shop-evt-1002", Type: tenure.OrderFulfilled, CustomerID: "cust-42", Order: &tenure.OrderData{ID: "ORD-1001"}}); err != nil {
			t.Fatal(err)
		}
		if b, err := shop.Balance(ctx, "cust-42"); err != nil || b.Points.Available != 98 || b.Points.Pending != 0 {
			t.Fatalf("balance after fulfilment: %+v %v", b, err)
		}
		adj, err := shop.Adjust(ctx, "cust-42", client.LedgerOp{Amount: -50, Reason: "redeemed: 5 zł off"})
		if err != nil || adj.Balance.Available != 48 {
			t.Fatalf("adjustment: %+v %v", adj, err)
		}
		var causes []string
		for e, err := range shop.Ledger(ctx, "cust-42", "") {
			if err != nil {
				t.Fatal(err)
			}
			causes = append(causes, string(e.Kind)+":"+e.Reason)
		}
		if len(causes) < 2 || !strings.Contains(strings.Join(causes, "|"), "redeemed: 5 zł off") {
			t.Fatalf("ledger %v", causes)
		}

		// Deliveries: the workers are off in tests, so one pass sends what is due.
		if _, _, err := a.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		types := map[string]bool{}
		for _, m := range received {
			types[m.Type] = true
		}
		mu.Unlock()
		for _, want := range []string{"points.earned", "points.available", "points.adjusted"} {
			if !types[want] {
				t.Errorf("no verified %s delivery; got %v", want, types)
			}
		}

		// A redemption retried with the same idempotency key issues one coupon.
		reward, err := c.CreateReward(ctx, rewards.RewardDefinition{Name: "Free delivery", Type: rewards.FreeShipping, Cost: 20})
		if err != nil {
			t.Fatal(err)
		}
		kctx := client.WithIdempotencyKey(ctx, "redeem-cust-42-1")
		first, err := shop.Redeem(kctx, "cust-42", reward.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		again, err := shop.Redeem(kctx, "cust-42", reward.ID, 0)
		if err != nil || again.ID != first.ID {
			t.Fatalf("the retried redemption: %+v %v", again, err)
		}
		n := 0
		for _, err := range shop.Coupons(ctx, "cust-42", "") {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if b, _ := shop.Balance(ctx, "cust-42"); n != 1 || b.Points.Available != 28 {
			t.Fatalf("%d coupons, balance %+v", n, b.Points)
		}
	})
}
