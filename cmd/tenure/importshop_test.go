package main

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

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
)

// `tenure import shopify` reads the connected store's orders through its API and books
// their history: here one fulfilled order of a customer, and one guest order it skips.
func TestImportShopify(t *testing.T) {
	ctx := context.Background()
	order, err := os.ReadFile("../../shopify/testdata/orders_fulfilled.json")
	if err != nil {
		t.Fatal(err)
	}
	guest := bytes.Replace(order, []byte(`"customer": {`), []byte(`"no_customer": {`), 1)
	guest = bytes.Replace(guest, []byte(`"id": 820982911946154508`), []byte(`"id": 820982911946154777`), 1)
	var requests []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests = append(requests, r.URL.Path+" "+r.Header.Get("X-Shopify-Access-Token"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"orders":[` + string(order) + `,` + string(guest) + `]}`))
	}))
	defer api.Close()

	dsn := filepath.Join(t.TempDir(), "tenure.db")
	db, err := storage.Open(ctx, dsn, tenure.SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, nil)
	tn, _, err := svc.Tenants.Create(ctx, "Palarnia")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Shops.Connect(ctx, tn.ID, "test", tenure.Shopify, service.ShopSettings{Domain: "palarnia-nowak.myshopify.com",
		APIURL: api.URL, WebhookSecret: "s", APIKey: "shpat_cli"}); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	var stdout, stderr bytes.Buffer
	env := func(string) string { return "" }
	if code := run(ctx, []string{"import", "shopify", "-database-url", dsn, "-grant-points", "-log-level", "warn"}, &stdout, &stderr, env); code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Imported 1 orders (3 events) from palarnia-nowak.myshopify.com in 1 pages") ||
		!strings.Contains(stdout.String(), "1 without a customer") {
		t.Fatalf("summary: %s", stdout.String())
	}
	if len(requests) != 1 || requests[0] != "/admin/api/2025-10/orders.json shpat_cli" {
		t.Fatalf("requests %v", requests)
	}
	db, err = storage.Open(ctx, dsn, tenure.SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := service.New(db, nil).Members.Balance(ctx, tn.ID, "706405506930370084")
	if err != nil || b.Points.Available != 89 {
		out, _ := json.Marshal(b)
		t.Fatalf("balance %s %v", out, err)
	}
}
