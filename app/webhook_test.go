package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/webhook"
)

// receiver is a store's webhook endpoint that checks signatures.
type receiver struct {
	mu       sync.Mutex
	secret   string
	fail     int // answer 500 to this many requests first
	got      []webhook.Envelope
	badSigs  int
	attempts []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts = append(rc.attempts, r.Header.Get(webhook.HeaderAttempt))
	if err := webhook.Verify(rc.secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 365*24*time.Hour*10); err != nil {
		rc.badSigs++
		http.Error(w, err.Error(), 400)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try later", 500)
		return
	}
	var env webhook.Envelope
	_ = json.Unmarshal(body, &env)
	if env.ID != r.Header.Get(webhook.HeaderMessageID) {
		http.Error(w, "id mismatch", 400)
		return
	}
	rc.got = append(rc.got, env)
	w.WriteHeader(204)
}

func TestWebhooks(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		rc := &receiver{fail: 1}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		created := s.do("POST", "/v1/webhooks", s.key, `{"url":"`+srv.URL+`","event_types":["points.*"]}`).JSON(t)
		rc.secret = created["secret"].(string)
		hookID := created["id"].(string)

		s.do("POST", "/v1/events", s.key, `{"id":"e1","type":"order.paid","customer_id":"c1","order":{"id":"o1","lines":[{"quantity":1,"unit_price":25000}]}}`)
		s.tick()
		ds := s.do("GET", "/v1/webhooks/"+hookID+"/deliveries", s.key, nil).JSON(t)["data"].([]any)
		if len(ds) != 1 {
			t.Fatalf("want one delivery (member.created is filtered out), got %d", len(ds))
		}
		d := ds[0].(map[string]any)
		if d["state"] != "pending" || d["last_status"].(float64) != 500 {
			t.Fatalf("after a failed first attempt: %v", d)
		}
		if _, n := s.tick(); n != 0 {
			t.Fatalf("retried before the backoff elapsed")
		}
		s.clock.Advance(webhook.Backoff(1))
		s.tick()
		detail := s.do("GET", "/v1/deliveries/"+d["id"].(string), s.key, nil).JSON(t)
		log := detail["log"].([]any)
		if detail["state"] != "succeeded" || len(log) != 2 || log[0].(map[string]any)["status_code"].(float64) != 500 || log[1].(map[string]any)["status_code"].(float64) != 204 {
			t.Fatalf("delivery after retry: %v", detail)
		}
		rc.mu.Lock()
		if len(rc.got) != 1 || rc.got[0].Type != "points.earned" || rc.badSigs != 0 {
			t.Fatalf("receiver got %+v, bad signatures %d", rc.got, rc.badSigs)
		}
		first := rc.got[0].ID
		rc.mu.Unlock()

		// Replay sends the same message id again.
		if r := s.do("POST", "/v1/deliveries/"+d["id"].(string)+"/replay", s.key, nil); r.Status != 200 {
			t.Fatalf("replay: %d %s", r.Status, r.Body)
		}
		s.tick()
		rc.mu.Lock()
		if len(rc.got) != 2 || rc.got[1].ID != first {
			t.Fatalf("replay delivered %+v", rc.got)
		}
		rc.mu.Unlock()

		// An endpoint that always fails ends dead-lettered after MaxAttempts.
		dead := &receiver{fail: 1 << 30}
		deadSrv := httptest.NewServer(dead)
		defer deadSrv.Close()
		dh := s.do("POST", "/v1/webhooks", s.key, `{"url":"`+deadSrv.URL+`","event_types":["member.created"]}`).JSON(t)
		dead.secret = dh["secret"].(string)
		s.do("POST", "/v1/members", s.key, `{"external_id":"c2"}`)
		for i := 1; i <= webhook.MaxAttempts+2; i++ {
			s.tick()
			s.clock.Advance(webhook.Backoff(i))
		}
		dd := s.do("GET", "/v1/webhooks/"+dh["id"].(string)+"/deliveries?state=dead", s.key, nil).JSON(t)["data"].([]any)
		if len(dd) != 1 || dd[0].(map[string]any)["attempts"].(float64) != webhook.MaxAttempts {
			t.Fatalf("dead letters: %v", dd)
		}
		dead.mu.Lock()
		if len(dead.attempts) != webhook.MaxAttempts {
			t.Fatalf("dead endpoint saw %d attempts", len(dead.attempts))
		}
		dead.mu.Unlock()
	})
}

// An endpoint that keeps failing opens its circuit: its deliveries wait without using up
// attempts, one probe goes when the cooldown ends (the cooldown doubling when the probe
// fails), and a successful probe closes the circuit and lets the rest through.
func TestWebhookCircuitBreaker(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		rc := &receiver{fail: 1 << 30}
		srv := httptest.NewServer(rc)
		defer srv.Close()
		created := s.do("POST", "/v1/webhooks", s.key, `{"url":"`+srv.URL+`","event_types":["member.created"]}`).JSON(t)
		rc.secret = created["secret"].(string)
		hookID := created["id"].(string)
		tenants, err := s.app.Service.Tenants.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		tenantID := tenants[0].ID
		circuit := func() tenure.Circuit {
			cs, err := s.app.Service.Webhooks.Circuits(context.Background(), tenantID)
			if err != nil {
				t.Fatal(err)
			}
			return cs[hookID]
		}
		for i := range 8 {
			s.do("POST", "/v1/members", s.key, fmt.Sprintf(`{"external_id":"c%d"}`, i))
		}
		per := s.app.Webhooks.Options().PerEndpoint
		if _, n := s.tick(); n != per {
			t.Fatalf("first pass attempted %d, want the endpoint's limit %d", n, per)
		}
		if c := circuit(); c.State != tenure.CircuitClosed || c.Failures != per {
			t.Fatalf("after %d failures: %+v", per, c)
		}
		s.tick()
		c := circuit()
		policy := s.app.Webhooks.Options().Breaker
		if c.State != tenure.CircuitOpen || !c.RetryAt.Equal(s.clock.Now().Add(policy.Cooldown)) || c.LastError != "endpoint answered 500" {
			t.Fatalf("after 8 failures the circuit is %+v", c)
		}
		if _, n := s.tick(); n != 0 {
			t.Fatalf("an open circuit let %d deliveries through", n)
		}
		s.clock.Advance(policy.Cooldown)
		if _, n := s.tick(); n != 1 {
			t.Fatalf("the cooldown's end let %d deliveries through, want one probe", n)
		}
		if c := circuit(); c.State != tenure.CircuitOpen || c.Opened != 2 || !c.RetryAt.Equal(s.clock.Now().Add(2*policy.Cooldown)) {
			t.Fatalf("after a failed probe: %+v", c)
		}
		s.clock.Advance(policy.Cooldown)
		if _, n := s.tick(); n != 0 {
			t.Fatalf("the doubled cooldown let %d through", n)
		}
		s.clock.Advance(policy.Cooldown)
		rc.mu.Lock()
		rc.fail = 0
		rc.mu.Unlock()
		if _, n := s.tick(); n != 1 {
			t.Fatalf("second probe: %d", n)
		}
		if c := circuit(); c.State != tenure.CircuitClosed || c.Failures != 0 {
			t.Fatalf("after a successful probe: %+v", c)
		}
		s.clock.Advance(time.Hour) // every retry is due
		for {
			if _, n := s.tick(); n == 0 {
				break
			}
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.got) != 8 {
			t.Fatalf("the endpoint got %d of 8 messages once it recovered", len(rc.got))
		}
	})
}
