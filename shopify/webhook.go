// Package shopify connects Tenure to Shopify stores: it receives a store's webhooks on one
// address per connection, checks their signature, maps orders, refunds and customers to
// Tenure events, and creates the discount codes of redeemed rewards in the store through
// the Admin GraphQL API (and disables them when their coupons end). It reaches Tenure's
// state only through service.Shops.
package shopify

import (
	"log/slog"
	"net/http"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shophook"
)

// Handler receives Shopify webhooks.
type Handler struct{ receiver *shophook.Receiver }

// New returns the webhook receiver over shops.
func New(shops *service.Shops, log *slog.Logger) *Handler {
	return &Handler{receiver: shophook.New(shops, log, shophook.Spec{
		Platform: tenure.Shopify, Op: "shopify.receive",
		SignatureHeader: "X-Shopify-Hmac-Sha256", TopicHeader: "X-Shopify-Topic", DeliveryHeader: "X-Shopify-Webhook-Id",
		Map: Map,
	})}
}

// Path is the webhook address of a connection, under the server's base URL.
func Path(connectionID string) string { return tenure.ShopWebhookPath(tenure.Shopify, connectionID) }

// Register adds the webhook address to mux.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("POST /shopify/{connection}/webhooks", h.receiver)
}

// Sign returns the X-Shopify-Hmac-Sha256 value of body under secret: the base64 of its
// HMAC-SHA256.
func Sign(secret string, body []byte) string { return shophook.Sign(secret, body) }
