package shopify_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shopify"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// BenchmarkWebhook measures one signed orders/paid webhook over HTTP on 127.0.0.1 (verify,
// dedupe, map, ingest, log the delivery) against the same event sent straight to the
// intake, in the same run:
//
//	go test ./shopify -run '^$' -bench Webhook -benchtime 2000x -count 3
func BenchmarkWebhook(b *testing.B) {
	for _, e := range storagetest.Engines(b) {
		var tmpl map[string]any
		decode(b, payload(b, "orders_paid.json"), &tmpl)
		order := func(i int) []byte {
			tmpl["id"] = json.Number(strconv.Itoa(1_000_000 + i))
			body, err := json.Marshal(tmpl)
			if err != nil {
				b.Fatal(err)
			}
			return body
		}
		b.Run(e.Name+"/webhook", func(b *testing.B) {
			s := newShop(b, e, "")
			b.ResetTimer()
			for i := range b.N {
				body := order(i)
				req, _ := http.NewRequest("POST", s.url, bytes.NewReader(body))
				req.Header.Set("X-Shopify-Topic", "orders/paid")
				req.Header.Set("X-Shopify-Webhook-Id", "bench-"+strconv.Itoa(i))
				req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(secret, body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("webhook %d: %v %v", i, resp, err)
				}
				resp.Body.Close()
			}
		})
		b.Run(e.Name+"/intake", func(b *testing.B) {
			s := newShop(b, e, "")
			b.ResetTimer()
			for i := range b.N {
				m := shopify.Map("orders/paid", order(i))
				if _, err := s.svc.Intake.Ingest(ctx, s.tenant, m.Events, service.IngestOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
