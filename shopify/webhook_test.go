package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var ctx = context.Background()

const secret = "shpss_5f1c0e7d9a"

// shop is a Tenure server with one tenant connected to a Shopify store, its webhook
// receiver on 127.0.0.1.
type shop struct {
	t      testing.TB
	svc    *service.Service
	shops  *service.Shops
	clock  *tenure.ManualClock
	tenant string
	conn   tenure.ShopConnection
	url    string
	n      int
}

func newShop(t testing.TB, e storagetest.Engine, apiURL string) *shop {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	db := storagetest.Open(t, e, clock)
	svc := service.New(db, nil)
	tn, _, err := svc.Tenants.Create(ctx, "Palarnia Nowak")
	if err != nil {
		t.Fatal(err)
	}
	shops := svc.Shops
	in := service.ShopSettings{Domain: "palarnia-nowak.myshopify.com", WebhookSecret: secret}
	if apiURL != "" {
		in.APIURL, in.APIKey = apiURL, "shpat_0a1b2c3d"
	}
	conn, err := shops.Connect(ctx, tn.ID, "test", tenure.Shopify, in)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	shopify.New(shops, nil).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &shop{t: t, svc: svc, shops: shops, clock: clock, tenant: tn.ID, conn: conn, url: srv.URL + shopify.Path(conn.ID)}
}

func payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type reply struct {
	status int
	body   map[string]any
}

// send posts a webhook as Shopify does: topic and delivery id headers, the body signed
// with sign's secret.
func (s *shop) send(topic, deliveryID string, body []byte, signWith string) reply {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Webhook-Id", deliveryID)
	req.Header.Set("X-Shopify-Shop-Domain", "palarnia-nowak.myshopify.com")
	req.Header.Set("X-Shopify-API-Version", "2025-10")
	req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(signWith, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&r.body)
	return r
}

// deliver sends topic's recorded payload under a new delivery id and expects 200.
func (s *shop) deliver(topic string) (string, reply) {
	s.t.Helper()
	s.n++
	id := "b54557e4-" + strings.ReplaceAll(topic, "/", "-") + "-" + string(rune('a'+s.n))
	r := s.send(topic, id, payload(s.t, strings.ReplaceAll(topic, "/", "_")+".json"), secret)
	if r.status != http.StatusOK {
		s.t.Fatalf("%s: status %d: %v", topic, r.status, r.body)
	}
	return id, r
}

func (s *shop) balance(customer string) tenure.Balance {
	s.t.Helper()
	b, err := s.svc.Members.Balance(ctx, s.tenant, customer)
	if err != nil {
		s.t.Fatalf("balance of %s: %v", customer, err)
	}
	return b.Points
}

func (s *shop) status() service.ShopStatus {
	s.t.Helper()
	st, err := s.shops.Status(ctx, s.tenant, s.conn.ID, 50)
	if err != nil {
		s.t.Fatal(err)
	}
	return st
}

const customer = "706405506930370084"

// Every topic's recorded payload, sent signed over HTTP, gives the events and the ledger
// the same facts sent to the API would, on every engine.
func TestWebhooksToLedger(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := newShop(t, e, "")
		s.deliver("customers/create")
		m, err := s.svc.Members.Get(ctx, s.tenant, customer)
		if err != nil || m.Email != "ania.nowak@example.com" || m.FirstName != "Ania" || m.Phone != "+48600100200" {
			t.Fatalf("customers/create enrolled %+v, %v", m, err)
		}
		if len(m.Tags) != 2 {
			t.Fatalf("tags %v", m.Tags)
		}

		s.deliver("orders/create")
		if b := s.balance(customer); b.Pending != 0 || b.Available != 0 {
			t.Fatalf("a placed order earns nothing yet: %+v", b)
		}
		paidID, r := s.deliver("orders/paid")
		if r.body["events"] != 1.0 || r.body["outcome"] != "applied" {
			t.Fatalf("orders/paid answered %v", r.body)
		}
		// 2 x 49.99 less the 10.00 discount is 89.98 of goods (shipping earns nothing):
		// 89 points at the default 1 point per zloty, pending until fulfilment.
		if b := s.balance(customer); b.Pending != 89 || b.Available != 0 {
			t.Fatalf("after orders/paid: %+v", b)
		}
		o, err := s.svc.Members.Order(ctx, s.tenant, "820982911946154508")
		if err != nil {
			t.Fatal(err)
		}
		if o.Currency != "PLN" || len(o.Lines) != 1 || o.Lines[0].UnitPrice != 4999 || o.Lines[0].Quantity != 2 ||
			o.Lines[0].Discount != 1000 || o.Shipping != 1500 || o.Lines[0].SKU != "KAWA-250" || o.Lines[0].Brand != "Palarnia Nowak" {
			t.Fatalf("stored order %+v", o)
		}

		// A redelivery (same X-Shopify-Webhook-Id) changes nothing.
		before := s.balance(customer)
		r = s.send("orders/paid", paidID, payload(t, "orders_paid.json"), secret)
		if r.status != 200 || r.body["duplicate"] != true {
			t.Fatalf("redelivery answered %d %v", r.status, r.body)
		}
		// The same order paid event under another delivery id is not applied twice either.
		s.deliver("orders/paid")
		if b := s.balance(customer); !sameBalance(b, before) {
			t.Fatalf("redelivery changed the balance: %+v -> %+v", before, b)
		}

		s.deliver("orders/fulfilled")
		if b := s.balance(customer); b.Available != 89 || b.Pending != 0 {
			t.Fatalf("after orders/fulfilled: %+v", b)
		}

		// One of the two bags refunded at its net 44.99, and the 15.00 shipping.
		s.deliver("refunds/create")
		o, _ = s.svc.Members.Order(ctx, s.tenant, "820982911946154508")
		if len(o.Refunds) != 1 || o.Refunds[0].Amount != 4499 || o.Refunds[0].Shipping != 1500 {
			t.Fatalf("stored refunds %+v", o.Refunds)
		}
		if b := s.balance(customer); b.Available != 44 || b.Reversed != 45 {
			t.Fatalf("after the partial refund (44.99 of goods left): %+v", b)
		}

		s.deliver("customers/update")
		if m, _ := s.svc.Members.Get(ctx, s.tenant, customer); m.Email != "ania.kowalska@example.com" || m.LastName != "Kowalska" {
			t.Fatalf("customers/update: %+v", m)
		}

		s.deliver("orders/cancelled")
		if o, err := s.svc.Members.Order(ctx, s.tenant, "820982911946154509"); err != nil || o.CancelledAt == nil {
			t.Fatalf("orders/cancelled: %+v %v", o, err)
		}

		_, r = s.deliver("carts/update")
		if r.body["outcome"] != "skipped" {
			t.Fatalf("carts/update: %v", r.body)
		}
		_, r = s.deliver("customers/data_request")
		if r.body["outcome"] != "applied" || !strings.Contains(r.body["detail"].(string), "data request 9999") {
			t.Fatalf("customers/data_request: %v", r.body)
		}
		s.deliver("customers/redact")
		if m, _ := s.svc.Members.Get(ctx, s.tenant, customer); m.Email != "" || m.Phone != "" || m.FirstName != "" || m.LastName != "" {
			t.Fatalf("customers/redact left %+v", m)
		}
		if b := s.balance(customer); b.Available != 44 {
			t.Fatalf("redaction must keep the points: %+v", b)
		}
		s.deliver("app/uninstalled")
		if c, _ := s.shops.Connection(ctx, s.tenant, s.conn.ID); c.Status != "uninstalled" {
			t.Fatalf("app/uninstalled: %+v", c)
		}
		s.deliver("shop/redact")

		st := s.status()
		if len(st.Deliveries) != 13 || len(st.Failures) != 0 {
			t.Fatalf("delivery log: %d deliveries, failures %+v", len(st.Deliveries), st.Failures)
		}
	})
}

// A webhook whose signature does not match is refused with 401 and writes nothing: no
// event, no delivery record.
func TestWrongSignatureWritesNothing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := newShop(t, e, "")
		body := payload(t, "orders_paid.json")
		for name, sig := range map[string]string{"another secret": "not-the-secret", "empty secret": ""} {
			r := s.send("orders/paid", "d-"+name, body, sig)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("%s: status %d", name, r.status)
			}
		}
		tampered := bytes.Replace(body, []byte(`"49.99"`), []byte(`"4999.00"`), 1)
		req, _ := http.NewRequest("POST", s.url, bytes.NewReader(tampered))
		req.Header.Set("X-Shopify-Topic", "orders/paid")
		req.Header.Set("X-Shopify-Webhook-Id", "d-tampered")
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("tampered body: status %d", resp.StatusCode)
		}
		if _, err := s.svc.Members.Get(ctx, s.tenant, customer); tenure.KindOf(err) != tenure.KindNotFound {
			t.Fatalf("a refused webhook enrolled the customer: %v", err)
		}
		if st := s.status(); len(st.Deliveries) != 0 {
			t.Fatalf("a refused webhook was logged: %+v", st.Deliveries)
		}
		// An unknown connection gets the same answer as a bad signature.
		req, _ = http.NewRequest("POST", strings.Replace(s.url, s.conn.ID, "shp_unknown", 1), bytes.NewReader(body))
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(secret, body))
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unknown connection: status %d", resp.StatusCode)
		}
	})
}

// decode reads a recorded payload keeping its numbers exact (Shopify's ids exceed a
// float's 53 bits).
func decode(t testing.TB, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// sameBalance compares the figures of two balances (not their timestamps' locations).
func sameBalance(a, b tenure.Balance) bool {
	return a.Available == b.Available && a.Pending == b.Pending && a.Earned == b.Earned && a.Reversed == b.Reversed &&
		a.Spent == b.Spent && a.UpdatedAt.Equal(b.UpdatedAt)
}
