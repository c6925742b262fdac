package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// MaxAttempts is how many times a delivery is tried before it is dead-lettered.
const MaxAttempts = 10

// Backoff returns the wait after failed attempt n (1-based): 30 s tripling (30 s, 90 s,
// 4.5 min, 13.5 min, 40.5 min, ~2 h), capped at six hours, so ten attempts span about 21
// hours: long enough to ride out a store's outage overnight.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 3
	}
	return min(d, 6*time.Hour)
}

// Worker sends due deliveries.
type Worker struct {
	DB     *storage.DB
	Client *http.Client
	Node   string // lease owner name, unique per process
	Lease  time.Duration
	Log    *slog.Logger
	// Observe, when set, is told each attempt's outcome ("succeeded", "failed", "dead").
	Observe func(outcome string)
}

// Envelope is the JSON body of a delivery.
type Envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// RunOnce claims up to limit due deliveries and attempts each; it returns how many it
// attempted.
func (w *Worker) RunOnce(ctx context.Context, limit int) (int, error) {
	var claimed []storage.ClaimedDelivery
	err := w.DB.Write(ctx, func(tx *storage.Tx) (err error) {
		claimed, err = tx.ClaimDeliveries(ctx, w.Node, tx.Now.Add(w.Lease).UnixMicro(), limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, c := range claimed {
		if err := w.attempt(ctx, c); err != nil {
			return 0, err
		}
	}
	return len(claimed), nil
}

func (w *Worker) attempt(ctx context.Context, c storage.ClaimedDelivery) error {
	var msg tenure.Message
	var hook tenure.Webhook
	err := w.DB.Read(ctx, func(tx *storage.Tx) (err error) {
		if msg, err = tx.Message(ctx, c.TenantID, c.MessageID); err != nil {
			return err
		}
		hook, err = tx.Webhook(ctx, c.TenantID, c.WebhookID)
		return err
	})
	if err != nil && tenure.KindOf(err) != tenure.KindNotFound {
		return err
	}
	now := w.DB.Clock().Now()
	a := tenure.Attempt{Attempt: c.Attempt, At: now, Node: w.Node}
	if err != nil {
		a.Error = "endpoint or message gone: " + err.Error()
		return w.finish(ctx, c, "dead", now, a)
	}
	body, _ := json.Marshal(Envelope{ID: msg.ID, Type: msg.Type, CreatedAt: msg.CreatedAt, Data: msg.Data})
	start := time.Now()
	a.StatusCode, a.Error = w.post(ctx, hook, msg, body, c.Attempt, now)
	a.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	state, next := "succeeded", now
	if a.Error != "" {
		state, next = "pending", now.Add(Backoff(c.Attempt))
		if c.Attempt >= MaxAttempts {
			state = "dead"
		}
	}
	return w.finish(ctx, c, state, next, a)
}

func (w *Worker) post(ctx context.Context, hook tenure.Webhook, msg tenure.Message, body []byte, attempt int, now time.Time) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tenure-Webhooks/1")
	req.Header.Set(HeaderSignature, Sign(hook.Secret, now, body))
	req.Header.Set(HeaderMessageID, msg.ID)
	req.Header.Set(HeaderType, msg.Type)
	req.Header.Set(HeaderAttempt, strconv.Itoa(attempt))
	resp, err := w.Client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Sprintf("endpoint answered %d", resp.StatusCode)
	}
	return resp.StatusCode, ""
}

func (w *Worker) finish(ctx context.Context, c storage.ClaimedDelivery, state string, next time.Time, a tenure.Attempt) error {
	if w.Observe != nil {
		outcome := state
		if state == "pending" {
			outcome = "failed"
		}
		w.Observe(outcome)
	}
	if state != "succeeded" {
		w.Log.Warn("webhook delivery failed", "delivery", c.ID, "attempt", c.Attempt, "state", state, "err", a.Error)
	}
	return w.DB.Write(ctx, func(tx *storage.Tx) error {
		return tx.FinishDelivery(ctx, c, w.Node, state, next.UnixMicro(), a)
	})
}
