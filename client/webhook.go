package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of Tenure's webhook deliveries.
const (
	HeaderSignature = "Tenure-Signature"    // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
	HeaderMessageID = "Tenure-Message-Id"   // the same on every retry: deduplicate on it
	HeaderType      = "Tenure-Message-Type" // points.earned, reward.redeemed, ...
)

// Errors of VerifyWebhook.
var (
	ErrSignatureMalformed = errors.New("tenure webhook: malformed Tenure-Signature header")
	ErrSignatureExpired   = errors.New("tenure webhook: signature timestamp outside the tolerance")
	ErrSignatureMismatch  = errors.New("tenure webhook: signature does not match")
)

// VerifyWebhook checks a delivery's Tenure-Signature header against its raw body: the
// header's v1 must be the hex HMAC-SHA256 under secret of "<t>.<body>", compared in
// constant time, and t (Unix seconds) within tolerance of now, so that a captured delivery
// cannot be replayed later.
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureExpired
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := []byte(hex.EncodeToString(m.Sum(nil)))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

// Message is a delivered notification.
type Message struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// ReadWebhook reads a delivery from r, verifies its signature (tolerance five minutes)
// and decodes it. Answer 2xx once the message is handled (and deduplicated on its id).
func ReadWebhook(r *http.Request, secret string) (Message, error) {
	var m Message
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return m, err
	}
	if err := VerifyWebhook(secret, r.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		return m, err
	}
	return m, json.Unmarshal(body, &m)
}
