package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/apptest"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/webhook"
)

// endpoint is a store's webhook receiver on 127.0.0.1:0 that answers after delay with
// status, and records every request by path and message id with its arrival time.
type endpoint struct {
	srv    *httptest.Server
	delay  time.Duration
	status atomic.Int32

	mu       sync.Mutex
	sends    map[string]int // path + " " + message id -> requests
	arrivals []arrival
}

type arrival struct {
	path, messageID, attempt string
	externalID               string // the member's, for member.created messages
	created, at              time.Time
}

func newEndpoint(t *testing.T, delay time.Duration) *endpoint {
	ep := &endpoint{delay: delay, sends: map[string]int{}}
	ep.status.Store(http.StatusNoContent)
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		var env webhook.Envelope
		_ = json.Unmarshal(body, &env)
		var member struct {
			ExternalID string `json:"external_id"`
		}
		_ = json.Unmarshal(env.Data, &member)
		ep.mu.Lock()
		ep.sends[r.URL.Path+" "+env.ID]++
		ep.arrivals = append(ep.arrivals, arrival{r.URL.Path, env.ID, r.Header.Get(webhook.HeaderAttempt), member.ExternalID, env.CreatedAt, at})
		ep.mu.Unlock()
		select {
		case <-time.After(ep.delay):
		case <-r.Context().Done(): // the sender gave up or shut down
			return
		}
		w.WriteHeader(int(ep.status.Load()))
	}))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *endpoint) got() []arrival {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]arrival(nil), ep.arrivals...)
}

// startLive serves the app on the wall clock (workers off: each test runs its own
// dispatchers) and bootstraps the first tenant.
func startLive(t *testing.T, e storagetest.Engine) *server {
	t.Helper()
	a, url := apptest.Serve(t, e, tenure.SystemClock{})
	var out bytes.Buffer
	if _, err := a.Bootstrap(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	key := ""
	for _, f := range strings.Fields(out.String()) {
		if strings.HasPrefix(f, "tnr_") {
			key = f
		}
	}
	return &server{t: t, app: a, url: url, key: key}
}

// register adds an endpoint for member.created messages and returns its id.
func (s *server) register(key, url string) string {
	s.t.Helper()
	r := s.do("POST", "/v1/webhooks", key, `{"url":"`+url+`","event_types":["member.created"]}`)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		s.t.Fatalf("register %s: %d %s", url, r.Status, r.Body)
	}
	return r.JSON(s.t)["id"].(string)
}

func (s *server) newMember(key, id string) {
	s.t.Helper()
	if r := s.do("POST", "/v1/members", key, `{"external_id":"`+id+`"}`); r.Status >= 300 {
		s.t.Fatalf("member %s: %d %s", id, r.Status, r.Body)
	}
}

// dispatch starts a dispatcher on db; the test's end closes it (before the database).
func dispatch(t *testing.T, db *storage.DB, o webhook.Options) *webhook.Dispatcher {
	t.Helper()
	d := webhook.New(db, o)
	d.Start()
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// eventually polls cond every 20 ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deliveryCounts(t *testing.T, db *storage.DB) map[string]int64 {
	t.Helper()
	var n map[string]int64
	if err := db.Read(context.Background(), func(tx *storage.Tx) (err error) { n, err = tx.DeliveryCounts(context.Background()); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A receiver that takes 10 s holds only its own endpoint's slots: another store's
// deliveries go out as soon as they are due.
func TestWebhookSlowEndpointDelaysOnlyItself(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		slow, fast := newEndpoint(t, 10*time.Second), newEndpoint(t, 0)
		s := startLive(t, e)
		keyB := s.newTenant("Store B")
		s.register(s.key, slow.srv.URL+"/a")
		s.register(keyB, fast.srv.URL+"/b")
		cfg, _, err := config.Load("test", nil, func(string) string { return "" }, io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		o, err := app.WebhookOptions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		o.Node = "node-1"
		dispatch(t, s.app.DB, o)

		// Store A queues twice as many messages as its endpoint may have in flight.
		for i := range 2 * o.PerEndpoint {
			s.newMember(s.key, fmt.Sprintf("a-%d", i))
		}
		eventually(t, 5*time.Second, "the slow endpoint never got its first messages", func() bool { return len(slow.got()) >= o.PerEndpoint })
		// A delivery is due once the transaction that queued it has committed, which is
		// before the API call returns.
		due := map[string]time.Time{}
		for i := range 3 {
			id := fmt.Sprintf("b-%d", i)
			s.newMember(keyB, id)
			due[id] = time.Now()
			time.Sleep(30 * time.Millisecond)
		}
		eventually(t, 5*time.Second, "store B's messages did not all arrive", func() bool { return len(fast.got()) == 3 })
		for _, a := range fast.got() {
			if lag := a.at.Sub(due[a.externalID]); lag > 100*time.Millisecond || due[a.externalID].IsZero() {
				t.Errorf("store B's message for %q arrived %v after it was due", a.externalID, lag)
			}
		}
		if n := len(slow.got()); n != o.PerEndpoint {
			t.Errorf("the slow endpoint has %d requests in flight, want its limit %d", n, o.PerEndpoint)
		}
	})
}

// Two nodes on one database, a receiver that answers after 9 s (longer than the 6 s lease
// used here, so only renewals keep the claims) and 100 due deliveries: every delivery is
// sent exactly once.
func TestWebhookTwoNodesNeverSendTheSameDeliveryTwice(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		t.Parallel()
		rc := newEndpoint(t, 9*time.Second)
		s := startLive(t, e)
		const endpoints, members = 5, 20
		for i := range endpoints {
			s.register(s.key, fmt.Sprintf("%s/hook-%d", rc.srv.URL, i))
		}
		for i := range members {
			s.newMember(s.key, fmt.Sprintf("m-%d", i))
		}
		if n := deliveryCounts(t, s.app.DB)["pending"]; n != endpoints*members {
			t.Fatalf("%d deliveries due, want %d", n, endpoints*members)
		}
		other, _ := apptest.Serve(t, e, tenure.SystemClock{}) // a second process: its own database handle
		var sentA, sentB atomic.Int32
		o := webhook.Options{PerEndpoint: 5, SendTimeout: 15 * time.Second, Lease: 6 * time.Second, Poll: 50 * time.Millisecond}
		oa, ob := o, o
		oa.Node, oa.Observe = "node-a", func(string) { sentA.Add(1) }
		ob.Node, ob.Observe = "node-b", func(string) { sentB.Add(1) }
		dispatch(t, s.app.DB, oa)
		// The second node starts after node A's first leases would have lapsed unrenewed.
		time.Sleep(7 * time.Second)
		dispatch(t, other.DB, ob)
		for deadline := time.Now().Add(45 * time.Second); deliveryCounts(t, s.app.DB)["succeeded"] < endpoints*members; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("after 45 s not every delivery succeeded: %v", deliveryCounts(t, s.app.DB))
				break
			}
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for k, n := range rc.sends {
			if n != 1 {
				t.Errorf("%s was sent %d times", k, n)
			}
		}
		if len(rc.sends) != endpoints*members {
			t.Errorf("the receiver got %d distinct deliveries, want %d", len(rc.sends), endpoints*members)
		}
		if sentA.Load() == 0 || sentB.Load() == 0 || int(sentA.Load()+sentB.Load()) != endpoints*members {
			t.Errorf("node A sent %d and node B %d", sentA.Load(), sentB.Load())
		}
	})
}

// With the retry schedule shortened through its environment variable, an endpoint that
// always fails dead-letters its delivery within a second; replaying the dead letter once
// the endpoint is back sends the same message id again.
func TestWebhookDeadLetterAndReplay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		rc := newEndpoint(t, 0)
		rc.status.Store(http.StatusServiceUnavailable)
		s := startLive(t, e)
		hook := s.register(s.key, rc.srv.URL+"/hook")
		env := map[string]string{"TENURE_WEBHOOK_RETRY_SCHEDULE": "50ms,100ms", "TENURE_WEBHOOK_BREAKER_FAILURES": "0"}
		cfg, _, err := config.Load("test", nil, func(k string) string { return env[k] }, io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		o, err := app.WebhookOptions(cfg)
		if err != nil || o.Schedule.MaxAttempts() != 3 {
			t.Fatalf("options %+v, %v", o, err)
		}
		o.Node = "node-1"
		dispatch(t, s.app.DB, o)
		s.newMember(s.key, "c1")

		var dead []any
		eventually(t, 10*time.Second, "the delivery was not dead-lettered", func() bool {
			dead = s.do("GET", "/v1/webhooks/"+hook+"/deliveries?state=dead", s.key, nil).JSON(t)["data"].([]any)
			return len(dead) == 1
		})
		d := dead[0].(map[string]any)
		if d["attempts"].(float64) != 3 || d["last_status"].(float64) != 503 {
			t.Fatalf("dead letter %v", d)
		}
		got := rc.got()
		if len(got) != 3 || got[0].attempt != "1" || got[2].attempt != "3" {
			t.Fatalf("the endpoint saw %+v", got)
		}
		first := got[0].messageID

		rc.status.Store(http.StatusNoContent)
		r := s.do("POST", "/v1/deliveries/"+d["id"].(string)+"/replay", s.key, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("replay: %d %s", r.Status, r.Body)
		}
		replay := r.JSON(t)["id"].(string)
		eventually(t, 5*time.Second, "the replay did not succeed", func() bool {
			return s.do("GET", "/v1/deliveries/"+replay, s.key, nil).JSON(t)["state"] == "succeeded"
		})
		got = rc.got()
		if len(got) != 4 || got[3].messageID != first || got[3].attempt != "1" {
			t.Fatalf("after the replay the endpoint saw %+v", got)
		}
	})
}

// Claims are per endpoint and never larger than asked; two database handles (two nodes)
// claim disjoint deliveries; only the lease holder renews; a released claim is due again
// with its attempt taken back; and only one node wins an open circuit's probe.
func TestWebhookClaims(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		s := start(t, e)
		hook := s.register(s.key, "http://127.0.0.1:9/hook")
		for i := range 10 {
			s.newMember(s.key, fmt.Sprintf("m-%d", i))
		}
		other, _ := apptest.Serve(t, e, s.clock)
		due := []storage.DueEndpoint{}
		if err := s.app.DB.Read(ctx, func(tx *storage.Tx) (err error) { due, err = tx.DueEndpoints(ctx, 10); return err }); err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].WebhookID != hook || due[0].Probe {
			t.Fatalf("due endpoints %+v", due)
		}
		claim := func(db *storage.DB, node string, limit int, e storage.DueEndpoint) []storage.ClaimedDelivery {
			var cs []storage.ClaimedDelivery
			if err := db.Write(ctx, func(tx *storage.Tx) (err error) {
				cs, err = tx.ClaimEndpoint(ctx, e, node, tx.Now.Add(time.Minute).UnixMicro(), limit)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return cs
		}
		a, b := claim(s.app.DB, "node-a", 3, due[0]), claim(other.DB, "node-b", 20, due[0])
		seen := map[string]bool{}
		for _, c := range append(a, b...) {
			if seen[c.ID] || c.Attempt != 1 {
				t.Fatalf("claim %+v twice or with attempt %d", c, c.Attempt)
			}
			seen[c.ID] = true
		}
		if len(a) != 3 || len(b) != 7 || len(claim(s.app.DB, "node-a", 5, due[0])) != 0 {
			t.Fatalf("node A claimed %d (limit 3), node B %d of the other 7", len(a), len(b))
		}
		ids := []string{a[0].ID, a[1].ID, a[2].ID}
		var held int
		renew := func(node string) int {
			if err := s.app.DB.Write(ctx, func(tx *storage.Tx) (err error) {
				held, err = tx.RenewLeases(ctx, node, ids, tx.Now.Add(time.Hour).UnixMicro())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return held
		}
		if renew("node-b") != 0 || renew("node-a") != 3 {
			t.Fatal("a lease was renewed by a node that does not hold it, or not by the one that does")
		}
		s.clock.Advance(2 * time.Minute) // node B's leases lapse; node A's were renewed
		if len(claim(other.DB, "node-c", 20, due[0])) != 7 {
			t.Fatal("lapsed leases were not due again, or renewed ones were")
		}
		if err := s.app.DB.Write(ctx, func(tx *storage.Tx) error { return tx.ReleaseClaims(ctx, "node-a", ids) }); err != nil {
			t.Fatal(err)
		}
		back := claim(other.DB, "node-b", 20, due[0])
		if len(back) != 3 || back[0].Attempt != 1 {
			t.Fatalf("released claims came back as %+v", back)
		}

		// An open circuit whose wait is over: both nodes try the probe, one wins.
		if _, err := s.app.DB.Raw().Exec(`UPDATE deliveries SET state = 'pending', lease_owner = '', lease_until = 0`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.DB.Raw().Exec(`INSERT INTO webhook_circuits (webhook_id, tenant_id, state, failures, opened, since, retry_at, last_error, failed_at, updated_at)
			VALUES ($1, $2, 'open', 5, 1, 0, 0, 'endpoint answered 503', 0, 0)`, hook, due[0].TenantID); err != nil {
			t.Fatal(err)
		}
		if err := s.app.DB.Read(ctx, func(tx *storage.Tx) (err error) { due, err = tx.DueEndpoints(ctx, 10); return err }); err != nil || len(due) != 1 || !due[0].Probe {
			t.Fatalf("due endpoints with an open circuit: %+v %v", due, err)
		}
		var wg sync.WaitGroup
		var probes atomic.Int32
		for i, db := range []*storage.DB{s.app.DB, other.DB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				probes.Add(int32(len(claim(db, fmt.Sprint("prober-", i), 10, due[0]))))
			}()
		}
		wg.Wait()
		if probes.Load() != 1 {
			t.Fatalf("%d probes went to the endpoint, want 1", probes.Load())
		}
		if len(claim(s.app.DB, "node-a", 10, storage.DueEndpoint{WebhookID: hook, TenantID: due[0].TenantID})) != 0 {
			t.Fatal("a half-open circuit let an ordinary claim through")
		}
	})
}
