package shopify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// The backfill pages through the orders API with the Link cursor, waits out a 429 for its
// Retry-After and slows down at the call limit, and imports each order's history with the
// webhooks' event ids: the ledger is the one the live webhooks give, and a webhook for an
// imported order afterwards changes nothing.
func TestBackfillOrders(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var mu sync.Mutex
		var requests []string
		var srvURL string
		fulfilled := map[string]any{}
		decode(t, payload(t, "orders_fulfilled.json"), &fulfilled)
		fulfilled["financial_status"] = "partially_refunded"
		var refund any
		decode(t, payload(t, "refunds_create.json"), &refund)
		fulfilled["refunds"] = []any{refund}
		guest := map[string]any{}
		decode(t, payload(t, "orders_paid.json"), &guest)
		guest["id"], guest["customer"] = json.Number("820982911946154999"), nil
		cancelled := map[string]any{}
		decode(t, payload(t, "orders_cancelled.json"), &cancelled)
		calls := 0
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			requests = append(requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" token="+r.Header.Get("X-Shopify-Access-Token"))
			w.Header().Set("Content-Type", "application/json")
			switch {
			case calls == 1:
				w.Header().Set("Retry-After", "2.0")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`)
			case r.URL.Query().Get("page_info") == "":
				w.Header().Set("X-Shopify-Shop-Api-Call-Limit", "39/40")
				w.Header().Set("Link", `<`+srvURL+`/admin/api/`+shopify.APIVersion+`/orders.json?limit=250&page_info=eyJsYXN0X2lkIjo0fQ>; rel="next"`)
				_ = json.NewEncoder(w).Encode(map[string]any{"orders": []any{fulfilled, guest}})
			default:
				w.Header().Set("X-Shopify-Shop-Api-Call-Limit", "2/40")
				w.Header().Set("Link", `<`+srvURL+`/admin/api/`+shopify.APIVersion+`/orders.json?limit=250&page_info=eyJsYXN0X2lkIjo0fQ>; rel="previous"`)
				_ = json.NewEncoder(w).Encode(map[string]any{"orders": []any{cancelled}})
			}
		}))
		defer api.Close()
		srvURL = api.URL
		s := newShop(t, e, api.URL)
		var waits []time.Duration
		b := shopify.Backfill{
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
		base := "GET /admin/api/" + shopify.APIVersion + "/orders.json?"
		want := []string{
			base + "limit=250&order=created_at+asc&status=any token=shpat_0a1b2c3d",
			base + "limit=250&order=created_at+asc&status=any token=shpat_0a1b2c3d",
			base + "limit=250&page_info=eyJsYXN0X2lkIjo0fQ token=shpat_0a1b2c3d",
		}
		if !reflect.DeepEqual(requests, want) {
			t.Fatalf("requests\n%v\nwant\n%v", requests, want)
		}
		if !reflect.DeepEqual(waits, []time.Duration{2 * time.Second, time.Second}) {
			t.Fatalf("waits %v", waits)
		}
		if sum.Pages != 2 || sum.Orders != 3 || sum.Skipped != 1 || len(sum.Failed) != 0 || sum.Events != 6 {
			t.Fatalf("summary %+v", sum)
		}
		// placed, paid, fulfilled and refunded: 89 points, less the refunded share.
		if b := s.balance(customer); b.Available != 44 || b.Reversed != 45 {
			t.Fatalf("imported ledger %+v", b)
		}
		if o, err := s.svc.Members.Order(ctx, s.tenant, "820982911946154509"); err != nil || o.CancelledAt == nil {
			t.Fatalf("cancelled order %+v %v", o, err)
		}
		before := s.balance(customer)
		s.deliver("orders/paid")
		s.deliver("refunds/create")
		if after := s.balance(customer); !sameBalance(after, before) {
			t.Fatalf("webhooks after the import changed the ledger: %+v -> %+v", before, after)
		}
	})
}
