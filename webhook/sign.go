// Package webhook delivers outbox messages to the store's endpoints: signed with
// HMAC-SHA256, sent concurrently with a limit per endpoint, retried on a configurable
// schedule, dead-lettered after the schedule's last attempt, every attempt logged, and an
// endpoint that keeps failing backed off by a circuit breaker. Delivery is at-least-once;
// the message id is the deduplication key.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers sent with every delivery.
const (
	HeaderSignature = "Tenure-Signature"    // t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
	HeaderMessageID = "Tenure-Message-Id"   // stable across retries and replays
	HeaderType      = "Tenure-Message-Type" // e.g. points.earned
	HeaderAttempt   = "Tenure-Attempt"      // 1 for the first try
)

// Sign returns the signature header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body, rejecting timestamps further than
// tolerance from now (replay protection for receivers).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("malformed signature header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("signature timestamp outside tolerance")
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return errors.New("signature mismatch")
	}
	return nil
}
