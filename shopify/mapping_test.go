package shopify_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func str(s string) *string { return &s }

// The recorded payloads map to exactly these events: amounts in minor units read from
// Shopify's decimal strings, line discounts from their allocations, shipping net of its
// discounts, the refund per line with its shipping, and the codes the order used.
func TestMapRecordedPayloads(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v.UTC() }
	cust := &tenure.MemberPatch{Email: str("ania.nowak@example.com"), FirstName: str("Ania"), LastName: str("Nowak"),
		Phone: str("+48600100200"), Tags: &[]string{"vip", "newsletter"}}
	order := &tenure.OrderData{ID: "820982911946154508", Currency: "PLN", Shipping: 1500, Lines: []tenure.LineData{{
		ID: "466157049", ProductID: "632910392", SKU: "KAWA-250", Name: "Kawa Etiopia 250 g", Brand: "Palarnia Nowak",
		Quantity: 2, UnitPrice: 4999, Discount: 1000}}}
	total := int64(8998)
	for _, c := range []struct {
		topic string
		want  service.Mapped
	}{
		{"orders/paid", service.Mapped{
			Delivery: tenure.ShopDelivery{ResourceID: "820982911946154508"},
			Events: []tenure.Event{{ID: "shopify:orders/paid:820982911946154508", Type: tenure.OrderPaid, CustomerID: customer,
				OccurredAt: at("2026-05-04T08:00:00Z"), Customer: cust, Order: order}},
			CodesUsed: []service.CodeUse{{Code: "WELCOME10", OrderID: "820982911946154508", Total: &total}},
		}},
		{"refunds/create", service.Mapped{
			Delivery: tenure.ShopDelivery{ResourceID: "509562969"},
			Events: []tenure.Event{{ID: "shopify:refunds/create:509562969", Type: tenure.OrderRefunded, OccurredAt: at("2026-05-06T07:00:00Z"),
				Refund: &tenure.RefundData{ID: "509562969", OrderID: "820982911946154508", Shipping: 1500,
					Lines: []tenure.RefundLineData{{LineID: "466157049", Quantity: 1, Amount: 4499}}}}},
		}},
		{"customers/create", service.Mapped{
			Delivery: tenure.ShopDelivery{ResourceID: customer},
			Events: []tenure.Event{{ID: "shopify:customers/create:" + customer, Type: tenure.CustomerCreated, CustomerID: customer,
				OccurredAt: at("2026-05-04T07:12:00Z"), Customer: &tenure.MemberPatch{Email: str("ania.nowak@example.com"), FirstName: str("Ania"),
					LastName: str("Nowak"), Phone: str("+48600100200"), Tags: &[]string{"vip", "newsletter"},
					Consents: []tenure.Consent{{Channel: "email", Purpose: "marketing", Granted: true, At: at("2026-05-04T07:12:00Z"), Source: "shopify"}}}}},
		}},
		{"customers/redact", service.Mapped{Delivery: tenure.ShopDelivery{ResourceID: customer}, Redact: customer}},
		{"shop/redact", service.Mapped{Delivery: tenure.ShopDelivery{ResourceID: "palarnia-nowak.myshopify.com"}, ForgetShop: true}},
		{"app/uninstalled", service.Mapped{Uninstalled: true}},
	} {
		got := shopify.Map(c.topic, payload(t, map[string]string{"orders/paid": "orders_paid.json", "refunds/create": "refunds_create.json",
			"customers/create": "customers_create.json", "customers/redact": "customers_redact.json", "shop/redact": "shop_redact.json",
			"app/uninstalled": "app_uninstalled.json"}[c.topic]))
		if !reflect.DeepEqual(got, c.want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(c.want, "", " ")
			t.Errorf("%s:\n got %s\nwant %s", c.topic, g, w)
		}
	}
}

// A payload Tenure cannot use is logged as a mapping failure, shown in the status view,
// and answered 200 (sending it again would not change it); it writes no event.
func TestMappingFailuresAreLogged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := newShop(t, e, "")
		var o map[string]any
		decode(t, payload(t, "orders_paid.json"), &o)
		o["currency"] = "EUR" // the program counts in PLN
		body, _ := json.Marshal(o)
		r := s.send("orders/paid", "d-eur", body, secret)
		if r.status != http.StatusOK || r.body["outcome"] != "failed" {
			t.Fatalf("answered %d %v", r.status, r.body)
		}
		o["currency"], o["line_items"].([]any)[0].(map[string]any)["price"] = "PLN", "49.995"
		body, _ = json.Marshal(o)
		if r := s.send("orders/paid", "d-fraction", body, secret); r.body["outcome"] != "failed" {
			t.Fatalf("a price finer than a grosz: %v", r.body)
		}
		st := s.status()
		if len(st.Failures) != 2 || st.Failures[0].ID != "d-fraction" || st.Failures[1].ID != "d-eur" {
			t.Fatalf("failures %+v", st.Failures)
		}
		if _, err := s.svc.Members.Order(ctx, s.tenant, "820982911946154508"); tenure.KindOf(err) != tenure.KindNotFound {
			t.Fatalf("a failed mapping stored the order: %v", err)
		}
	})
}

// A refund that arrives before its order is refused without a write (409), so that
// Shopify sends it again; once the order is in, the same delivery is applied.
func TestRefundBeforeItsOrderIsSentAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := newShop(t, e, "")
		body := payload(t, "refunds_create.json")
		if r := s.send("refunds/create", "d-refund", body, secret); r.status != http.StatusConflict {
			t.Fatalf("refund first: %d %v", r.status, r.body)
		}
		if st := s.status(); len(st.Deliveries) != 0 {
			t.Fatalf("a refused refund was logged: %+v", st.Deliveries)
		}
		s.deliver("orders/paid")
		s.deliver("orders/fulfilled")
		if r := s.send("refunds/create", "d-refund", body, secret); r.status != 200 || r.body["events"] != 1.0 {
			t.Fatalf("refund again: %d %v", r.status, r.body)
		}
		if b := s.balance(customer); b.Available != 44 {
			t.Fatalf("balance %+v", b)
		}
	})
}
