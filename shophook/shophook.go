// Package shophook receives a shop platform's signed webhooks, the part Shopify and
// WooCommerce share: a bounded body, the base64 HMAC-SHA256 signature checked in constant
// time against the connection's secret, the topic and delivery id headers, the text
// contract, then the platform's mapping applied through service.Shops (which deduplicates
// by delivery id). Each platform's package gives only its header names and its mapping.
package shophook

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

// MaxBody bounds a webhook's body; the platforms' largest orders stay far below it.
const MaxBody = 4 << 20

// Sign returns the signature header value of body under secret: the base64 of its
// HMAC-SHA256 (both platforms sign this way).
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is Sign(secret, body), comparing in constant time.
func Verify(secret string, body []byte, signature string) bool {
	got, err := base64.StdEncoding.DecodeString(signature)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(m.Sum(nil), got) && err == nil
}

// Spec is what one platform's webhooks differ in.
type Spec struct {
	Platform        tenure.Platform
	Op              string // names the operation in problems, e.g. "shopify.receive"
	SignatureHeader string
	TopicHeader     string
	DeliveryHeader  string
	// Map turns a topic's payload into Tenure events (or a skip or a failure, with why).
	Map func(topic string, body []byte) service.Mapped
	// Ping, when set, reports whether an unsigned request is the platform's check that the
	// address answers; it is answered as skipped without a signature check.
	Ping func(topic string, body []byte) bool
}

// Answer is what Tenure replies to a webhook; the platforms only read the status.
type Answer struct {
	Outcome   string `json:"outcome"`
	Detail    string `json:"detail,omitempty"`
	Events    int    `json:"events"`
	Duplicate bool   `json:"duplicate"`
}

// Receiver answers one platform's webhooks.
type Receiver struct {
	shops *service.Shops
	log   *slog.Logger
	spec  Spec
}

// New returns the receiver of spec's platform over shops.
func New(shops *service.Shops, log *slog.Logger, spec Spec) *Receiver {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{shops: shops, log: log, spec: spec}
}

// ServeHTTP receives one delivery on the address of the connection in the path.
func (h *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sp := h.spec
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.problem(w, &tenure.Error{Kind: tenure.KindTooLarge, Op: sp.Op, Message: "the webhook body is over 4 MiB"})
		return
	}
	if err != nil {
		h.problem(w, err)
		return
	}
	topic, id := r.Header.Get(sp.TopicHeader), r.Header.Get(sp.DeliveryHeader)
	if sp.Ping != nil && sp.Ping(topic, body) {
		writeJSON(w, Answer{Outcome: tenure.ShopSkipped, Detail: "ping"})
		return
	}
	sig := r.Header.Get(sp.SignatureHeader)
	in, err := h.shops.Verify(r.Context(), r.PathValue("connection"), sp.Platform, func(secret string) bool { return Verify(secret, body, sig) })
	if err != nil {
		h.problem(w, err)
		return
	}
	var p tenure.Problems
	if topic == "" || len(topic) > 64 {
		p.Add("header."+sp.TopicHeader, "is required")
	}
	if fe := tenure.ValidateExternalID("header."+sp.DeliveryHeader, id); fe != nil {
		p = append(p, *fe)
	}
	if err := p.Err(sp.Op); err != nil {
		h.problem(w, err)
		return
	}
	if fe := tenure.CheckJSON(body); fe != nil {
		h.problem(w, tenure.Invalid(sp.Op, strings.TrimSuffix("body."+fe.Field, "."), "%s", fe.Message))
		return
	}
	m := sp.Map(topic, body)
	m.Delivery.ID, m.Delivery.Topic = id, topic
	d, dup, err := h.shops.Apply(r.Context(), in, m)
	if err != nil {
		h.problem(w, err)
		return
	}
	writeJSON(w, Answer{Outcome: d.Outcome, Detail: d.Detail, Events: d.Events, Duplicate: dup})
}

// problem answers err as an RFC 9457 problem; internal errors are logged, not shown, and
// make the platform send the webhook again.
func (h *Receiver) problem(w http.ResponseWriter, err error) {
	problem.Write(w, h.log, string(h.spec.Platform)+" webhook", err)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}
