package shopify_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// standIn plays a Shopify store's Admin GraphQL API: it records every request and
// answers each from the script, in order.
type standIn struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []call
	script []answerFn
}

type call struct {
	Method, Path, Token, ContentType string
	Body                             map[string]any
}

type answerFn func(w http.ResponseWriter)

func newStandIn(t *testing.T) (*standIn, string) {
	s := &standIn{t: t}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		c := call{Method: r.Method, Path: r.URL.Path, Token: r.Header.Get("X-Shopify-Access-Token"), ContentType: r.Header.Get("Content-Type")}
		if err := json.Unmarshal(raw, &c.Body); err != nil {
			t.Errorf("request body is not JSON: %s", raw)
		}
		s.mu.Lock()
		s.calls = append(s.calls, c)
		if len(s.script) == 0 {
			s.mu.Unlock()
			t.Errorf("unexpected request %s", raw)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		next := s.script[0]
		s.script = s.script[1:]
		s.mu.Unlock()
		next(w)
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *standIn) expect(answers ...answerFn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, answers...)
}

func (s *standIn) take() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.calls
	s.calls = nil
	if len(s.script) != 0 {
		s.t.Errorf("%d scripted answers not asked for", len(s.script))
		s.script = nil
	}
	return out
}

func answer(status int, body string, headers ...string) answerFn {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func created(field, id string) answerFn {
	return answer(200, `{"data":{"`+field+`":{"codeDiscountNode":{"id":"`+id+`"},"userErrors":[]}},"extensions":{"cost":{"requestedQueryCost":10}}}`)
}

// mirror runs the code sync as a serving process would: the outbox read, then the calls.
func (s *shop) mirror(codes *shopify.Codes) int {
	s.t.Helper()
	if _, err := s.shops.QueueCodes(ctx); err != nil {
		s.t.Fatal(err)
	}
	n, err := codes.RunOnce(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func jsonOf(t *testing.T, v any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// Redeeming a reward on a connected store makes exactly one discountCodeBasicCreate with
// the coupon's code, value, minimum, one use, the member alone and its end date; a 429 is
// retried after its Retry-After without making a second code; cancelling the coupon
// deactivates it; a free-shipping reward uses the free-shipping mutation; and an order
// that used the code marks the coupon used.
func TestCodesAtCheckout(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		api, apiURL := newStandIn(t)
		s := newShop(t, e, apiURL)
		codes := shopify.NewCodes(s.shops, nil, nil)
		s.deliver("customers/create")
		s.deliver("orders/paid")
		s.deliver("orders/fulfilled") // 89 points available
		tenPercent, err := s.svc.Rewards.Create(ctx, s.tenant, "test", rewards.RewardDefinition{Name: "10% off", Type: rewards.PercentDiscount,
			Cost: 30, Percent: 10, MinOrder: 5000, ValidDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.svc.Rewards.Redeem(ctx, s.tenant, "test", customer, "", service.RedeemRequest{RewardID: tenPercent.ID})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing is called until the redemption's message has settled in the outbox.
		if n := s.mirror(codes); n != 0 || len(api.take()) != 0 {
			t.Fatalf("called the shop within the settle time")
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(answer(429, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`, "Retry-After", "2"))
		if n := s.mirror(codes); n != 0 {
			t.Fatalf("a 429 settled %d codes", n)
		}
		first := api.take()
		s.mirror(codes) // not due before Retry-After
		if calls := api.take(); len(calls) != 0 {
			t.Fatalf("retried before Retry-After: %+v", calls)
		}
		s.clock.Advance(2 * time.Second)
		api.expect(created("discountCodeBasicCreate", "gid://shopify/DiscountCodeNode/1057371201"))
		if n := s.mirror(codes); n != 1 {
			t.Fatalf("settled %d", n)
		}
		second := api.take()
		s.clock.Advance(time.Hour)
		s.mirror(codes)
		if calls := api.take(); len(calls) != 0 {
			t.Fatalf("a created code was made again: %+v", calls)
		}
		want := call{Method: "POST", Path: "/admin/api/" + shopify.APIVersion + "/graphql.json", Token: "shpat_0a1b2c3d", ContentType: "application/json",
			Body: jsonOf(t, map[string]any{
				"query": "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {\n  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {\n    codeDiscountNode { id }\n    userErrors { field code message }\n  }\n}",
				"variables": map[string]any{"basicCodeDiscount": map[string]any{
					"title":                  "Tenure reward: 10% off (" + c.Code + ")",
					"code":                   c.Code,
					"startsAt":               "2026-05-04T10:00:00Z",
					"endsAt":                 "2026-06-03T10:00:00Z",
					"usageLimit":             1,
					"appliesOncePerCustomer": true,
					"context":                map[string]any{"customers": map[string]any{"add": []string{"gid://shopify/Customer/" + customer}}},
					"minimumRequirement":     map[string]any{"subtotal": map[string]any{"greaterThanOrEqualToSubtotal": "50.00"}},
					"customerGets":           map[string]any{"value": map[string]any{"percentage": 0.1}, "items": map[string]any{"all": true}},
				}},
			})}
		if len(first) != 1 || len(second) != 1 || !reflect.DeepEqual(first[0], want) || !reflect.DeepEqual(second[0], want) {
			t.Fatalf("requests:\n first %+v\nsecond %+v\n  want %+v", first, second, want)
		}
		st := s.status()
		if len(st.Codes) != 1 || st.Codes[0].State != "active" || st.Codes[0].RemoteID != "gid://shopify/DiscountCodeNode/1057371201" || st.Codes[0].Attempts != 2 {
			t.Fatalf("code mirror %+v", st.Codes)
		}

		// Cancelling the coupon deactivates the discount.
		if _, err := s.svc.Rewards.CancelCoupon(ctx, s.tenant, "test", c.ID, service.CouponCancel{Reason: "changed my mind"}); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(created("discountCodeDeactivate", "gid://shopify/DiscountCodeNode/1057371201"))
		s.mirror(codes)
		calls := api.take()
		if len(calls) != 1 || !reflect.DeepEqual(calls[0].Body["variables"], map[string]any{"id": "gid://shopify/DiscountCodeNode/1057371201"}) ||
			calls[0].Body["query"] != "mutation discountCodeDeactivate($id: ID!) {\n  discountCodeDeactivate(id: $id) {\n    codeDiscountNode { id }\n    userErrors { field code message }\n  }\n}" {
			t.Fatalf("deactivation requests %+v", calls)
		}

		// Free shipping takes its own mutation; the order that uses the code marks the
		// coupon used.
		ship, err := s.svc.Rewards.Create(ctx, s.tenant, "test", rewards.RewardDefinition{Name: "Free delivery", Type: rewards.FreeShipping, Cost: 20})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := s.svc.Rewards.Redeem(ctx, s.tenant, "test", customer, "", service.RedeemRequest{RewardID: ship.ID})
		if err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(created("discountCodeFreeShippingCreate", "gid://shopify/DiscountCodeNode/1057371202"))
		s.mirror(codes)
		calls = api.take()
		if len(calls) != 1 {
			t.Fatalf("free shipping requests %+v", calls)
		}
		in := calls[0].Body["variables"].(map[string]any)["freeShippingCodeDiscount"].(map[string]any)
		if in["code"] != fs.Code || in["endsAt"] != nil || !reflect.DeepEqual(in["destination"], map[string]any{"all": true}) || in["usageLimit"] != 1.0 {
			t.Fatalf("free shipping input %+v", in)
		}
		var o map[string]any
		decode(t, payload(t, "orders_paid.json"), &o)
		o["id"], o["name"] = json.Number("820982911946154600"), "#1003"
		o["discount_codes"] = []map[string]any{{"code": fs.Code, "amount": "15.00", "type": "shipping"}}
		body, _ := json.Marshal(o)
		if r := s.send("orders/paid", "d-used", body, secret); r.status != 200 {
			t.Fatalf("orders/paid with the code: %d %v", r.status, r.body)
		}
		used, err := s.svc.Rewards.Coupon(ctx, s.tenant, fs.ID)
		if err != nil || used.State != rewards.Used || used.OrderID != "820982911946154600" {
			t.Fatalf("the code's use did not come back: %+v %v", used, err)
		}
	})
}

// A create whose answer was lost (a 502 after the shop may have made the code) looks the
// code up before trying again, and adopts the discount it finds instead of making a
// second one.
func TestLostAnswerIsLookedUp(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		api, apiURL := newStandIn(t)
		s := newShop(t, e, apiURL)
		codes := shopify.NewCodes(s.shops, nil, nil)
		s.deliver("customers/create")
		s.deliver("orders/paid")
		s.deliver("orders/fulfilled")
		r, err := s.svc.Rewards.Create(ctx, s.tenant, "test", rewards.RewardDefinition{Name: "20 zł", Type: rewards.FixedDiscount, Cost: 40, Value: 2000})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.svc.Rewards.Redeem(ctx, s.tenant, "test", customer, "", service.RedeemRequest{RewardID: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(answer(502, `<html>Bad Gateway</html>`))
		s.mirror(codes)
		if calls := api.take(); len(calls) != 1 || calls[0].Body["variables"].(map[string]any)["basicCodeDiscount"].(map[string]any)["customerGets"].(map[string]any)["value"].(map[string]any)["discountAmount"].(map[string]any)["amount"] != "20.00" {
			t.Fatalf("first attempt %+v", calls)
		}
		s.clock.Advance(time.Hour)
		api.expect(answer(200, `{"data":{"codeDiscountNodeByCode":{"id":"gid://shopify/DiscountCodeNode/77"}}}`))
		s.mirror(codes)
		calls := api.take()
		if len(calls) != 1 || !reflect.DeepEqual(calls[0].Body["variables"], map[string]any{"code": c.Code}) {
			t.Fatalf("the retry did not look the code up: %+v", calls)
		}
		if st := s.status(); st.Codes[0].State != "active" || st.Codes[0].RemoteID != "gid://shopify/DiscountCodeNode/77" {
			t.Fatalf("mirror %+v", st.Codes)
		}
	})
}

// A coupon that expires unused has its discount deactivated; one used through the API
// (not at the store's checkout) too, so that it cannot be used in the store again.
func TestExpiredAndUsedCodesAreDeactivated(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		api, apiURL := newStandIn(t)
		s := newShop(t, e, apiURL)
		codes := shopify.NewCodes(s.shops, nil, nil)
		s.deliver("customers/create")
		s.deliver("orders/paid")
		s.deliver("orders/fulfilled")
		r, err := s.svc.Rewards.Create(ctx, s.tenant, "test", rewards.RewardDefinition{Name: "5 zł", Type: rewards.FixedDiscount, Cost: 10, Value: 500, ValidDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		expiring, err := s.svc.Rewards.Redeem(ctx, s.tenant, "test", customer, "", service.RedeemRequest{RewardID: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		used, err := s.svc.Rewards.Redeem(ctx, s.tenant, "test", customer, "", service.RedeemRequest{RewardID: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(created("discountCodeBasicCreate", "gid://shopify/DiscountCodeNode/1"), created("discountCodeBasicCreate", "gid://shopify/DiscountCodeNode/2"))
		s.mirror(codes)
		if calls := api.take(); len(calls) != 2 {
			t.Fatalf("creations %+v", calls)
		}
		if _, err := s.svc.Rewards.UseCoupon(ctx, s.tenant, "test", used.ID, service.CouponUse{OrderID: "pos-17"}); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(25 * time.Hour)
		if _, err := s.svc.RunDueJobs(ctx, "test", 10); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.svc.Rewards.Coupon(ctx, s.tenant, expiring.ID); c.State != rewards.Expired {
			t.Fatalf("coupon %s", c.State)
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(created("discountCodeDeactivate", "x"), created("discountCodeDeactivate", "x"))
		s.mirror(codes)
		var ids []any
		for _, c := range api.take() {
			ids = append(ids, c.Body["variables"].(map[string]any)["id"])
		}
		if len(ids) != 2 || !(ids[0] == "gid://shopify/DiscountCodeNode/1" || ids[1] == "gid://shopify/DiscountCodeNode/1") ||
			!(ids[0] == "gid://shopify/DiscountCodeNode/2" || ids[1] == "gid://shopify/DiscountCodeNode/2") {
			t.Fatalf("deactivated %v", ids)
		}
	})
}
