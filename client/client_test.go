package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/client"
	"github.com/tenure-loyalty/tenure/webhook"
)

// flaky answers each request with the next scripted status, recording the requests.
type flaky struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter, r *http.Request)
	got     []*http.Request
	bodies  []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.got, f.bodies = append(f.got, r), append(f.bodies, string(b))
	next := f.answers[0]
	f.answers = f.answers[1:]
	f.mu.Unlock()
	next(w, r)
}

func status(code int, body string, headers ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func recorder() (*[]time.Duration, client.Option) {
	var waits []time.Duration
	return &waits, client.WithSleep(func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil })
}

// A 429 is retried after its Retry-After, a 503 after a backoff, and every attempt of the
// unsafe call carries the same Idempotency-Key.
func TestRetriesHonourRetryAfterWithOneIdempotencyKey(t *testing.T) {
	f := &flaky{answers: []func(http.ResponseWriter, *http.Request){
		status(429, `{"title":"Too Many Requests","status":429}`, "Retry-After", "7"),
		status(503, `upstream restarting`),
		status(200, `{"balance":{"available":48},"entries":[{"id":"le_1","amount":-50}]}`),
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	waits, sleep := recorder()
	c := client.New(srv.URL, "tnr_test", sleep)
	r, err := c.Adjust(context.Background(), "cust-42", client.LedgerOp{Amount: -50, Reason: "redeemed"})
	if err != nil || r.Balance.Available != 48 || len(r.Entries) != 1 {
		t.Fatalf("adjust: %+v %v", r, err)
	}
	if len(f.got) != 3 || len(*waits) != 2 {
		t.Fatalf("%d attempts, waits %v", len(f.got), *waits)
	}
	if (*waits)[0] != 7*time.Second {
		t.Fatalf("waited %v after Retry-After: 7", (*waits)[0])
	}
	if w := (*waits)[1]; w < 800*time.Millisecond || w > 1400*time.Millisecond {
		t.Fatalf("second backoff %v, want about 1 s", w)
	}
	key := f.got[0].Header.Get("Idempotency-Key")
	for i, r := range f.got {
		if r.Method != "POST" || r.URL.Path != "/v1/members/cust-42/adjustments" || r.Header.Get("Authorization") != "Bearer tnr_test" ||
			r.Header.Get("Idempotency-Key") != key || key == "" || f.bodies[i] != `{"amount":-50,"reason":"redeemed"}` {
			t.Fatalf("attempt %d: %s %s %v %s", i, r.Method, r.URL, r.Header, f.bodies[i])
		}
	}
}

// A problem the caller caused (422) is returned at once, with its fields; a Retry-After
// beyond the client's longest wait is returned too, not slept through; GETs carry no
// Idempotency-Key.
func TestErrorsThatAreNotRetried(t *testing.T) {
	f := &flaky{answers: []func(http.ResponseWriter, *http.Request){
		status(422, `{"title":"Unprocessable Entity","status":422,"detail":"validation failed","errors":[{"location":"body.order.lines[0].quantity","message":"must be between 1 and 1000000"}]}`),
		status(429, `{}`, "Retry-After", "3600"),
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	waits, sleep := recorder()
	c := client.New(srv.URL, "tnr_test", sleep)
	_, err := c.Send(context.Background(), tenure.Event{ID: "e1", Type: tenure.OrderPaid, CustomerID: "c"})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 422 || len(e.Errors) != 1 || e.Errors[0].Location != "body.order.lines[0].quantity" {
		t.Fatalf("422: %v", err)
	}
	_, err = c.Balance(context.Background(), "c")
	if client.StatusOf(err) != 429 || len(*waits) != 0 || len(f.got) != 2 {
		t.Fatalf("long Retry-After: %v, waits %v, %d requests", err, *waits, len(f.got))
	}
	if f.got[1].Header.Get("Idempotency-Key") != "" {
		t.Fatal("a GET carried an Idempotency-Key")
	}
}

// Iteration follows next_cursor page by page and stops where the caller stops.
func TestCursorIteration(t *testing.T) {
	var cursors []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := r.URL.Query().Get("cursor")
		cursors = append(cursors, cur)
		n, _ := strconv.Atoi(cur)
		out := map[string]any{"data": []map[string]any{{"id": "m" + strconv.Itoa(n)}, {"id": "m" + strconv.Itoa(n+1)}}}
		if n < 4 {
			out["next_cursor"] = strconv.Itoa(n + 2)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	c := client.New(srv.URL, "k")
	var ids []string
	for m, err := range c.Members(context.Background(), client.MemberFilter{Tag: "vip", PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if len(ids) != 6 || ids[5] != "m5" || len(cursors) != 3 || cursors[1] != "2" {
		t.Fatalf("ids %v cursors %v", ids, cursors)
	}
	ids = nil
	for m := range c.Members(context.Background(), client.MemberFilter{}) {
		ids = append(ids, m.ID)
		if len(ids) == 3 {
			break
		}
	}
	if len(ids) != 3 || len(cursors) != 5 {
		t.Fatalf("stopping early fetched %d pages in all", len(cursors))
	}
}

// VerifyWebhook accepts what Tenure's dispatcher signs and refuses a tampered body, another
// secret, an old timestamp and a malformed header.
func TestVerifyWebhook(t *testing.T) {
	now := time.Now()
	body := []byte(`{"id":"msg_1","type":"points.earned","data":{}}`)
	h := webhook.Sign("whsec_1", now, body)
	if err := client.VerifyWebhook("whsec_1", h, body, now, 5*time.Minute); err != nil {
		t.Fatalf("valid: %v", err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
		want           error
	}{
		"tampered body":  {"whsec_1", h, []byte(`{"id":"msg_2"}`), now, client.ErrSignatureMismatch},
		"another secret": {"whsec_2", h, body, now, client.ErrSignatureMismatch},
		"too old":        {"whsec_1", h, body, now.Add(10 * time.Minute), client.ErrSignatureExpired},
		"malformed":      {"whsec_1", "v1=abc", body, now, client.ErrSignatureMalformed},
	} {
		if err := client.VerifyWebhook(c.secret, c.header, c.body, c.now, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
