// Package shopify connects Tenure to Shopify stores: it receives a store's webhooks on one
// address per connection, checks their signature, maps orders, refunds and customers to
// Tenure events, and creates the discount codes of redeemed rewards in the store through
// the Admin GraphQL API (and disables them when their coupons end). It reaches Tenure's
// state only through service.Shops.
package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/problem"
	"github.com/tenure-loyalty/tenure/service"
)

// MaxBody bounds a webhook's body; Shopify's largest orders stay far below it.
const MaxBody = 4 << 20

// Handler receives Shopify webhooks.
type Handler struct {
	shops *service.Shops
	log   *slog.Logger
}

// New returns the webhook receiver over shops.
func New(shops *service.Shops, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{shops: shops, log: log}
}

// Path is the webhook address of a connection, under the server's base URL.
func Path(connectionID string) string { return tenure.ShopWebhookPath(tenure.Shopify, connectionID) }

// Register adds the webhook address to mux.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("POST /shopify/{connection}/webhooks", http.HandlerFunc(h.receive))
}

// Sign returns the X-Shopify-Hmac-Sha256 value of body under secret: the base64 of its
// HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is body's X-Shopify-Hmac-Sha256 under secret, comparing
// in constant time.
func Verify(secret string, body []byte, signature string) bool {
	got, err := base64.StdEncoding.DecodeString(signature)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(m.Sum(nil), got) && err == nil
}

// answer is what Tenure replies to a webhook; Shopify only reads the status.
type answer struct {
	Outcome   string `json:"outcome"`
	Detail    string `json:"detail,omitempty"`
	Events    int    `json:"events"`
	Duplicate bool   `json:"duplicate"`
}

func (h *Handler) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.problem(w, &tenure.Error{Kind: tenure.KindTooLarge, Op: "shopify.receive", Message: "the webhook body is over 4 MiB"})
		return
	}
	if err != nil {
		h.problem(w, err)
		return
	}
	sig := r.Header.Get("X-Shopify-Hmac-Sha256")
	in, err := h.shops.Verify(r.Context(), r.PathValue("connection"), tenure.Shopify, func(secret string) bool { return Verify(secret, body, sig) })
	if err != nil {
		h.problem(w, err)
		return
	}
	var p tenure.Problems
	topic, id := r.Header.Get("X-Shopify-Topic"), r.Header.Get("X-Shopify-Webhook-Id")
	if topic == "" || len(topic) > 64 {
		p.Add("header.X-Shopify-Topic", "is required")
	}
	if fe := tenure.ValidateExternalID("header.X-Shopify-Webhook-Id", id); fe != nil {
		p = append(p, *fe)
	}
	if err := p.Err("shopify.receive"); err != nil {
		h.problem(w, err)
		return
	}
	if fe := tenure.CheckJSON(body); fe != nil {
		h.problem(w, tenure.Invalid("shopify.receive", strings.TrimSuffix("body."+fe.Field, "."), "%s", fe.Message))
		return
	}
	m := Map(topic, body)
	m.Delivery.ID, m.Delivery.Topic = id, topic
	d, dup, err := h.shops.Apply(r.Context(), in, m)
	if err != nil {
		h.problem(w, err)
		return
	}
	writeJSON(w, http.StatusOK, answer{Outcome: d.Outcome, Detail: d.Detail, Events: d.Events, Duplicate: dup})
}

// problem answers err as an RFC 9457 problem; internal errors are logged, not shown, and
// make the shop send the webhook again.
func (h *Handler) problem(w http.ResponseWriter, err error) {
	problem.Write(w, h.log, "shopify webhook", err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
