// Package client is a Go client of Tenure's JSON API for store backends. Each method is
// one operation of the OpenAPI document (docs/openapi.json; a test keeps the two in step).
// It retries 429 and 5xx answers, waiting as long as Retry-After says, sends an
// Idempotency-Key with every unsafe call (the same key on each retry), pages through lists
// with iterators, and verifies the signatures of Tenure's webhooks.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one Tenure server with one API key. It is safe for concurrent use.
type Client struct {
	base       string
	key        string
	http       *http.Client
	maxRetries int
	maxWait    time.Duration
	sleep      func(ctx context.Context, d time.Duration) error
	userAgent  string
}

// Option changes a client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetries sets how many times a call is retried after a 429, a 5xx or a network error
// (default 4), and the longest wait between attempts (default 30 s): a Retry-After beyond it
// is not waited for, the error is returned instead.
func WithRetries(n int, maxWait time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.maxWait = n, maxWait }
}

// WithSleep replaces how the client waits between attempts (tests record the waits).
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// New returns a client of the server at baseURL (e.g. https://tenure.example.com) using
// the API key key (tnr_...).
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), key: key, http: &http.Client{Timeout: 30 * time.Second},
		maxRetries: 4, maxWait: 30 * time.Second, sleep: sleepCtx, userAgent: "tenure-go-client"}
	for _, o := range opts {
		o(c)
	}
	return c
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Error is an RFC 9457 problem Tenure answered with.
type Error struct {
	Status int          `json:"status"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors"`
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration `json:"-"`
}

// FieldError names one offending input ("body.order.lines[0].quantity").
type FieldError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("tenure: %d %s", e.Status, e.Title)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	for _, f := range e.Errors {
		s += "; " + f.Location + ": " + f.Message
	}
	return s
}

// StatusOf returns the HTTP status of a Tenure error (0 for other errors).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// NewIdempotencyKey returns a random key for an unsafe call.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "idem_" + hex.EncodeToString(b[:])
}

type idemKey struct{}

// WithIdempotencyKey makes the unsafe calls made with ctx use key instead of a fresh
// random one: retrying an operation later (after a crash, say) with the same key returns
// the first result and changes nothing.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idemKey{}, key)
}

// call makes one operation: op's method and path with params filled in, query, the JSON
// body in, decoding a 2xx answer into out.
func (c *Client) call(ctx context.Context, op operation, params []string, query url.Values, in, out any) error {
	path := op.Path
	for i := 0; i+1 < len(params); i += 2 {
		path = strings.Replace(path, "{"+params[i]+"}", url.PathEscape(params[i+1]), 1)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	key := ""
	if op.Method != http.MethodGet {
		key, _ = ctx.Value(idemKey{}).(string)
		if key == "" {
			key = NewIdempotencyKey()
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, op.Method, u, key, body, out)
		if err == nil {
			return nil
		}
		wait, retry := c.retryable(err, attempt)
		if !retry {
			return err
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// retryable says whether a failed attempt is tried again, and after how long: a 429 or a
// 5xx after the server's Retry-After, or else (and after a network error) after an
// exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at maxWait.
func (c *Client) retryable(err error, attempt int) (time.Duration, bool) {
	if attempt >= c.maxRetries || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Status != http.StatusTooManyRequests && e.Status < 500 {
			return 0, false
		}
		if e.RetryAfter > 0 {
			return e.RetryAfter, e.RetryAfter <= c.maxWait
		}
	}
	d := min(500*time.Millisecond<<attempt, c.maxWait)
	j, _ := rand.Int(rand.Reader, big.NewInt(int64(d/4)+1))
	return d - d/8 + time.Duration(j.Int64()), true
}

func (c *Client) once(ctx context.Context, method, u, key string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		_ = json.Unmarshal(raw, e)
		e.Status = resp.StatusCode
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("tenure: decoding the answer to %s %s: %w", method, u, err)
	}
	return nil
}

func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
