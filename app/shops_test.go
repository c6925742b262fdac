package app_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// A shop is connected through the API; its credentials are sealed at rest and never
// shown; its webhooks arrive at the address the API gives, and the status view lists
// them; another tenant sees none of it; bad settings are a 422 naming the field.
func TestShopConnectionThroughAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		r := s.do("PUT", "/v1/shops/shopify", s.key, map[string]any{"domain": "palarnia.example.com", "webhook_secret": "x"})
		if r.Status != 422 || !strings.Contains(string(r.Body), `"location":"body.domain"`) {
			t.Fatalf("bad domain: %d %s", r.Status, r.Body)
		}
		r = s.do("PUT", "/v1/shops/shopify", s.key, map[string]any{"domain": "Palarnia-Nowak.myshopify.com",
			"webhook_secret": "shpss_secret_1", "api_key": "shpat_token_2"})
		if r.Status != 200 {
			t.Fatalf("connect: %d %s", r.Status, r.Body)
		}
		for _, secret := range []string{"shpss_secret_1", "shpat_token_2"} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Fatalf("the answer shows a credential: %s", r.Body)
			}
		}
		c := r.JSON(t)
		if c["domain"] != "palarnia-nowak.myshopify.com" || c["sync_codes"] != true || c["status"] != "active" ||
			c["webhook_path"] != "/shopify/"+c["id"].(string)+"/webhooks" || c["api_url"] != "https://palarnia-nowak.myshopify.com" {
			t.Fatalf("connection %v", c)
		}
		var stored string
		if err := s.app.DB.Raw().QueryRow(`SELECT webhook_secret FROM shop_connections`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored, "enc:v1:") || strings.Contains(stored, "shpss") {
			t.Fatalf("the webhook secret is stored as %q", stored)
		}

		body, err := os.ReadFile("../shopify/testdata/customers_create.json")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", s.url+c["webhook_path"].(string), bytes.NewReader(body))
		req.Header.Set("X-Shopify-Topic", "customers/create")
		req.Header.Set("X-Shopify-Webhook-Id", "wh-1")
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign("shpss_secret_1", body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook: %v %v", resp, err)
		}
		resp.Body.Close()
		if r := s.do("GET", "/v1/members/706405506930370084", s.key, nil); r.Status != 200 {
			t.Fatalf("the webhook's customer: %d %s", r.Status, r.Body)
		}
		st := s.do("GET", "/v1/shops/shopify/status", s.key, nil)
		if st.Status != 200 || !strings.Contains(string(st.Body), `"id":"wh-1"`) || !strings.Contains(string(st.Body), `"topic":"customers/create"`) {
			t.Fatalf("status: %d %s", st.Status, st.Body)
		}

		other := s.newTenant("Another store")
		if r := s.do("GET", "/v1/shops/shopify/status", other, nil); r.Status != 404 {
			t.Fatalf("another tenant's status: %d %s", r.Status, r.Body)
		}
		if r := s.do("GET", "/v1/shops", other, nil); r.Status != 200 || strings.Contains(string(r.Body), "palarnia") {
			t.Fatalf("another tenant's list: %s", r.Body)
		}
		// A change without credentials keeps them: the same signature still verifies.
		if r := s.do("PUT", "/v1/shops/shopify", s.key, map[string]any{"domain": "palarnia-nowak.myshopify.com", "sync_codes": false}); r.Status != 200 || r.JSON(t)["sync_codes"] != false {
			t.Fatalf("change: %d %s", r.Status, r.Body)
		}
		req, _ = http.NewRequest("POST", s.url+c["webhook_path"].(string), bytes.NewReader(body))
		req.Header.Set("X-Shopify-Topic", "customers/create")
		req.Header.Set("X-Shopify-Webhook-Id", "wh-2")
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign("shpss_secret_1", body))
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook after the change: %v %v", resp, err)
		}
		if r := s.do("DELETE", "/v1/shops/shopify", s.key, nil); r.Status != 200 {
			t.Fatalf("disconnect: %d %s", r.Status, r.Body)
		}
		if r := s.do("GET", "/v1/shops/shopify/status", s.key, nil); r.Status != 404 {
			t.Fatalf("status after disconnect: %d", r.Status)
		}
	})
}
