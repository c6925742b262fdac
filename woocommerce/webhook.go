// Package woocommerce connects Tenure to WooCommerce sites: it receives a site's webhooks
// on one address per connection, checks their signature, maps orders (with their status
// transitions) and customers to Tenure events, and creates redeemed coupons' codes through
// the site's REST API (deleting them when the coupons end). It reaches Tenure's state
// only through service.Shops.
package woocommerce

import (
	"bytes"
	"log/slog"
	"net/http"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shophook"
)

// Handler receives WooCommerce webhooks.
type Handler struct{ receiver *shophook.Receiver }

// New returns the webhook receiver over shops.
func New(shops *service.Shops, log *slog.Logger) *Handler {
	return &Handler{receiver: shophook.New(shops, log, shophook.Spec{
		Platform: tenure.WooCommerce, Op: "woocommerce.receive",
		SignatureHeader: "X-WC-Webhook-Signature", TopicHeader: "X-WC-Webhook-Topic", DeliveryHeader: "X-WC-Webhook-Delivery-ID",
		Map: Map,
		// WooCommerce pings a new webhook's URL once, unsigned, when it is saved.
		Ping: func(topic string, body []byte) bool {
			return topic == "" && bytes.HasPrefix(body, []byte("webhook_id="))
		},
	})}
}

// Path is the delivery URL of a connection, under the server's base URL.
func Path(connectionID string) string {
	return tenure.ShopWebhookPath(tenure.WooCommerce, connectionID)
}

// Register adds the webhook address to mux.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("POST /woocommerce/{connection}/webhooks", h.receiver)
}

// Sign returns the X-WC-Webhook-Signature of body under secret: the base64 of its
// HMAC-SHA256.
func Sign(secret string, body []byte) string { return shophook.Sign(secret, body) }
