package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Envelope is the JSON body of a delivery.
type Envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// post sends one signed attempt and returns the status code and, for a failure, why.
func post(ctx context.Context, client *http.Client, timeout time.Duration, hook tenure.Webhook, msg tenure.Message, attempt int, now time.Time) (int, string) {
	body, _ := json.Marshal(Envelope{ID: msg.ID, Type: msg.Type, CreatedAt: msg.CreatedAt, Data: msg.Data})
	ctx, cancel := context.WithTimeout(ctx, timeout)
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
	resp, err := client.Do(req)
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
