package woocommerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/woocommerce"
)

var ctx = context.Background()

const secret = "wc-webhook-secret-91f2"

type site struct {
	t      *testing.T
	svc    *service.Service
	shops  *service.Shops
	clock  *tenure.ManualClock
	tenant string
	conn   tenure.ShopConnection
	url    string
	n      int
}

func newSite(t *testing.T, e storagetest.Engine, apiURL string) *site {
	t.Helper()
	clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	db := storagetest.Open(t, e, clock)
	svc := service.New(db, nil)
	tn, _, err := svc.Tenants.Create(ctx, "Herbaciarnia")
	if err != nil {
		t.Fatal(err)
	}
	shops := svc.Shops
	in := service.ShopSettings{Domain: "herbaciarnia.example", WebhookSecret: secret}
	if apiURL != "" {
		in.APIURL, in.APIKey, in.APISecret = apiURL, "ck_4f2a", "cs_9d1e"
	}
	conn, err := shops.Connect(ctx, tn.ID, "test", tenure.WooCommerce, in)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	woocommerce.New(shops, nil).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{t: t, svc: svc, shops: shops, clock: clock, tenant: tn.ID, conn: conn, url: srv.URL + woocommerce.Path(conn.ID)}
}

func payload(t *testing.T, name string) []byte {
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

func (s *site) send(topic, deliveryID string, body []byte, signWith string) reply {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-WC-Webhook-Source", "https://herbaciarnia.example/")
	req.Header.Set("X-WC-Webhook-Topic", topic)
	req.Header.Set("X-WC-Webhook-ID", "12")
	req.Header.Set("X-WC-Webhook-Delivery-ID", deliveryID)
	req.Header.Set("X-WC-Webhook-Signature", woocommerce.Sign(signWith, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&r.body)
	return r
}

func (s *site) deliver(topic, file string) (string, reply) {
	s.t.Helper()
	s.n++
	id := strconv.Itoa(9000 + s.n)
	r := s.send(topic, id, payload(s.t, file), secret)
	if r.status != http.StatusOK {
		s.t.Fatalf("%s: status %d: %v", topic, r.status, r.body)
	}
	return id, r
}

func (s *site) balance(customer string) tenure.Balance {
	s.t.Helper()
	b, err := s.svc.Members.Balance(ctx, s.tenant, customer)
	if err != nil {
		s.t.Fatalf("balance of %s: %v", customer, err)
	}
	return b.Points
}

// Each recorded WooCommerce payload, signed and sent over HTTP, gives the right events and
// ledger: an order moves through its statuses (pending, processing, completed), a refund
// listed on the order is taken back once, a cancelled order earns nothing, customers are
// created, updated and erased; a wrong signature is 401 and writes nothing; a redelivery
// changes nothing.
func TestWebhooksToLedger(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := newSite(t, e, "")
		body := payload(t, "order_updated_processing.json")
		if r := s.send("order.updated", "bad", body, "wrong"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong signature: %d", r.status)
		}
		if _, err := s.svc.Members.Get(ctx, s.tenant, "25"); tenure.KindOf(err) != tenure.KindNotFound {
			t.Fatalf("a refused webhook wrote: %v", err)
		}
		// WooCommerce pings a new webhook's URL, unsigned.
		req, _ := http.NewRequest("POST", s.url, bytes.NewReader([]byte("webhook_id=12")))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("ping: %v %v", resp, err)
		}

		s.deliver("customer.created", "customer_created.json")
		if m, err := s.svc.Members.Get(ctx, s.tenant, "25"); err != nil || m.Email != "jan.kowalski@example.com" || m.Phone != "+48600300400" || m.City != "Kraków" {
			t.Fatalf("customer.created: %+v %v", m, err)
		}
		s.deliver("order.created", "order_created.json")
		if b := s.balance("25"); b.Pending != 0 {
			t.Fatalf("a pending order earns nothing: %+v", b)
		}
		paid, _ := s.deliver("order.updated", "order_updated_processing.json")
		// 3 x 19.99 less 10.00, and 20.01: 69.98 of goods, 69 points pending.
		if b := s.balance("25"); b.Pending != 69 {
			t.Fatalf("processing: %+v", b)
		}
		o, err := s.svc.Members.Order(ctx, s.tenant, "727")
		if err != nil || len(o.Lines) != 2 || o.Lines[0].UnitPrice != 1999 || o.Lines[0].Discount != 1000 || o.Shipping != 1200 {
			t.Fatalf("stored order %+v %v", o, err)
		}
		if r := s.send("order.updated", paid, body, secret); r.body["duplicate"] != true {
			t.Fatalf("redelivery: %v", r.body)
		}
		s.deliver("order.updated", "order_updated_processing.json") // the same state under a new delivery id
		if b := s.balance("25"); b.Pending != 69 {
			t.Fatalf("redelivery changed the balance: %+v", b)
		}
		s.deliver("order.updated", "order_updated_completed.json")
		if b := s.balance("25"); b.Available != 69 || b.Pending != 0 {
			t.Fatalf("completed: %+v", b)
		}
		s.deliver("order.updated", "order_updated_refund.json")
		s.deliver("order.updated", "order_updated_refund.json") // later updates repeat the refund
		// The ledger takes back the refunded share, rounded up: ceil(69 x 16.66 / 69.98) = 17.
		if b := s.balance("25"); b.Available != 52 || b.Reversed != 17 {
			t.Fatalf("refund of 16.66: %+v", b)
		}
		s.deliver("order.updated", "order_updated_cancelled.json")
		if o, err := s.svc.Members.Order(ctx, s.tenant, "728"); err != nil || o.CancelledAt == nil {
			t.Fatalf("cancelled order %+v %v", o, err)
		}
		if b := s.balance("25"); b.Available != 52 || b.Pending != 0 {
			t.Fatalf("a cancelled order changed points: %+v", b)
		}
		s.deliver("customer.updated", "customer_updated.json")
		if m, _ := s.svc.Members.Get(ctx, s.tenant, "25"); m.LastName != "Kowalski-Nowak" {
			t.Fatalf("customer.updated: %+v", m)
		}
		s.deliver("customer.deleted", "customer_deleted.json")
		if m, _ := s.svc.Members.Get(ctx, s.tenant, "25"); m.Email != "" || m.LastName != "" {
			t.Fatalf("customer.deleted kept %+v", m)
		}
		st, err := s.shops.Status(ctx, s.tenant, s.conn.ID, 50)
		if err != nil || len(st.Deliveries) != 10 || len(st.Failures) != 0 {
			t.Fatalf("log: %d deliveries, failures %+v, %v", len(st.Deliveries), st.Failures, err)
		}
	})
}

// Line totals that do not divide by the quantity net exactly: the unit price is rounded
// up and the difference counted as discount.
func TestMapUnevenLine(t *testing.T) {
	var o map[string]any
	decode(t, payload(t, "order_updated_processing.json"), &o)
	o["line_items"] = []map[string]any{{"id": 1, "product_id": 5, "quantity": 3, "subtotal": "20.00", "total": "20.00", "name": "x"}}
	o["coupon_lines"] = []any{}
	body, _ := json.Marshal(o)
	m := woocommerce.Map("order.updated", body)
	if len(m.Events) != 2 || m.Events[1].Type != tenure.OrderPaid {
		t.Fatalf("events %+v", m.Events)
	}
	l := m.Events[1].Order.Lines[0]
	if l.UnitPrice != 667 || l.Discount != 1 || l.Quantity*l.UnitPrice-l.Discount != 2000 {
		t.Fatalf("line %+v", l)
	}
}

// siteAPI stands in for a WooCommerce site's REST API, recording each request.
type siteAPI struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []wcCall
	script []func(w http.ResponseWriter)
}

type wcCall struct {
	Method, Path, Query, User, Pass string
	Body                            map[string]any
}

func newSiteAPI(t *testing.T) (*siteAPI, string) {
	a := &siteAPI{t: t}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		c := wcCall{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, User: u, Pass: p}
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &c.Body)
		}
		a.mu.Lock()
		a.calls = append(a.calls, c)
		if len(a.script) == 0 {
			a.mu.Unlock()
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		next := a.script[0]
		a.script = a.script[1:]
		a.mu.Unlock()
		next(w)
	}))
	t.Cleanup(srv.Close)
	return a, srv.URL
}

func (a *siteAPI) expect(status int, body string, headers ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.script = append(a.script, func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func (a *siteAPI) take() []wcCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.calls
	a.calls = nil
	if len(a.script) != 0 {
		a.t.Errorf("%d scripted answers not asked for", len(a.script))
		a.script = nil
	}
	return out
}

// A redeemed reward becomes one WooCommerce coupon (POST /wp-json/wc/v3/coupons with the
// code, amount, minimum, one use, the member's e-mail and the end date), a 429 is retried
// after its Retry-After without a second coupon, and cancelling deletes it.
func TestCouponsAtCheckout(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		api, apiURL := newSiteAPI(t)
		s := newSite(t, e, apiURL)
		coupons := woocommerce.NewCoupons(s.shops, nil, nil)
		s.deliver("customer.created", "customer_created.json")
		s.deliver("order.updated", "order_updated_completed.json") // 69 points
		r, err := s.svc.Rewards.Create(ctx, s.tenant, "test", rewards.RewardDefinition{Name: "15 zł", Type: rewards.FixedDiscount,
			Cost: 50, Value: 1500, MinOrder: 10000, ValidDays: 14})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.svc.Rewards.Redeem(ctx, s.tenant, "test", "25", "", service.RedeemRequest{RewardID: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		run := func() {
			t.Helper()
			if _, err := s.shops.QueueCodes(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := coupons.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(429, `{"code":"too_many_requests"}`, "Retry-After", "3")
		run()
		first := api.take()
		s.clock.Advance(3 * time.Second)
		api.expect(201, `{"id":4711,"code":"`+c.Code+`"}`)
		run()
		second := api.take()
		s.clock.Advance(time.Hour)
		run()
		if extra := api.take(); len(extra) != 0 {
			t.Fatalf("made again: %+v", extra)
		}
		want := wcCall{Method: "POST", Path: "/wp-json/wc/v3/coupons", User: "ck_4f2a", Pass: "cs_9d1e", Body: map[string]any{
			"code": lower(c.Code), "description": "Tenure reward: 15 zł", "discount_type": "fixed_cart", "amount": "15.00",
			"individual_use": false, "usage_limit": 1.0, "usage_limit_per_user": 1.0, "minimum_amount": "100.00",
			"date_expires_gmt": "2026-05-18T10:00:00", "email_restrictions": []any{"jan.kowalski@example.com"}}}
		if len(first) != 1 || len(second) != 1 || !reflect.DeepEqual(first[0], want) || !reflect.DeepEqual(second[0], want) {
			t.Fatalf("requests\n%+v\n%+v\nwant %+v", first, second, want)
		}
		if _, err := s.svc.Rewards.CancelCoupon(ctx, s.tenant, "test", c.ID, service.CouponCancel{}); err != nil {
			t.Fatal(err)
		}
		s.clock.Advance(service.CodeSettle + time.Second)
		api.expect(200, `{"id":4711}`)
		run()
		calls := api.take()
		if len(calls) != 1 || calls[0].Method != "DELETE" || calls[0].Path != "/wp-json/wc/v3/coupons/4711" || calls[0].Query != "force=true" {
			t.Fatalf("delete %+v", calls)
		}
	})
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// The backfill pages through /wp-json/wc/v3/orders until X-WP-TotalPages, waits out a 429,
// and imports each order's history with the webhooks' ids: a webhook for an imported
// order afterwards changes nothing.
func TestBackfillOrders(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var completed, cancelled map[string]any
		decode(t, payload(t, "order_updated_refund.json"), &completed)
		decode(t, payload(t, "order_updated_cancelled.json"), &cancelled)
		var requests []string
		calls := 0
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			u, p, _ := r.BasicAuth()
			requests = append(requests, r.URL.Path+"?"+r.URL.RawQuery+" "+u+":"+p)
			if calls == 1 {
				w.Header().Set("Retry-After", "5")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Header().Set("X-WP-Total", "2")
			w.Header().Set("X-WP-TotalPages", "2")
			page := []any{completed}
			if r.URL.Query().Get("page") == "2" {
				page = []any{cancelled}
			}
			_ = json.NewEncoder(w).Encode(page)
		}))
		defer api.Close()
		s := newSite(t, e, api.URL)
		s.deliver("customer.created", "customer_created.json")
		var waits []time.Duration
		b := woocommerce.Backfill{
			Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil },
			Apply: func(ctx context.Context, _ string, events []tenure.Event) error {
				_, err := s.svc.Intake.Ingest(ctx, s.tenant, events, service.IngestOptions{Batch: true, History: true, GrantPoints: true})
				return err
			},
		}
		sum, err := b.Run(ctx, s.conn)
		if err != nil {
			t.Fatal(err)
		}
		first := "/wp-json/wc/v3/orders?order=asc&orderby=date&page=1&per_page=100 ck_4f2a:cs_9d1e"
		want := []string{first, first, "/wp-json/wc/v3/orders?order=asc&orderby=date&page=2&per_page=100 ck_4f2a:cs_9d1e"}
		if !reflect.DeepEqual(requests, want) || !reflect.DeepEqual(waits, []time.Duration{5 * time.Second}) {
			t.Fatalf("requests %v waits %v", requests, waits)
		}
		if sum.Pages != 2 || sum.Orders != 2 || sum.Events != 6 || len(sum.Failed) != 0 {
			t.Fatalf("summary %+v", sum)
		}
		if b := s.balance("25"); b.Available != 52 || b.Reversed != 17 {
			t.Fatalf("imported ledger %+v", b)
		}
		s.deliver("order.updated", "order_updated_refund.json")
		if b := s.balance("25"); b.Available != 52 || b.Reversed != 17 {
			t.Fatalf("a webhook after the import changed the ledger: %+v", b)
		}
	})
}
