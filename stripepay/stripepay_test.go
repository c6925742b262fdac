package stripepay_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/stripepay"
	"github.com/tenure-loyalty/tenure/subscription"
)

var ctx = context.Background()

// stripeMock starts stripe-mock on a loopback port and returns its URL. Without the
// binary the test fails where CI runs it (CI, TENURE_REQUIRE_POSTGRES=1) and is skipped
// with the install command elsewhere.
func stripeMock(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		if home, herr := os.UserHomeDir(); herr == nil {
			if p := filepath.Join(home, "go", "bin", "stripe-mock"); fileExists(p) {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		msg := "stripe-mock is not installed: go install github.com/stripe/stripe-mock@latest"
		if os.Getenv("CI") != "" || os.Getenv("TENURE_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`Listening for HTTP at address: (\S+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("stripe-mock did not start within 60 s")
	}
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// recorder stands between the provider and stripe-mock and counts the PaymentIntents
// asked for, by idempotency key.
type recorder struct {
	mu     sync.Mutex
	byKey  map[string]int
	bodies map[string]url.Values
}

func record(t *testing.T, target string) (*recorder, string) {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	rec := &recorder{byKey: map[string]int{}, bodies: map[string]url.Values{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			form, _ := url.ParseQuery(string(b))
			key := r.Header.Get("Idempotency-Key")
			rec.mu.Lock()
			rec.byKey[key]++
			rec.bodies[key] = form
			rec.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func TestChargeAgainstStripeMock(t *testing.T) {
	rec, base := record(t, stripeMock(t))
	p := stripepay.New("sk_test_123", base, nil)
	req := service.ChargeRequest{SubscriptionID: "sub_1", RenewalID: "ren_1", CustomerID: "anna", PaymentMethod: "cus_123:pm_card_visa",
		Currency: "PLN", Amount: 8900, Attempt: 1, IdempotencyKey: "ren_1-1"}
	r, err := p.Charge(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// stripe-mock answers every PaymentIntent with its fixture's requires_payment_method:
	// for an off-session confirmation that is a declined charge.
	if r.Status != subscription.ChargeFailed || !strings.HasPrefix(r.Ref, "pi_") {
		t.Fatalf("result %+v", r)
	}
	f := rec.bodies["ren_1-1"]
	if f.Get("amount") != "8900" || f.Get("currency") != "pln" || f.Get("confirm") != "true" || f.Get("off_session") != "true" ||
		f.Get("customer") != "cus_123" || f.Get("payment_method") != "pm_card_visa" || f.Get("metadata[tenure_renewal_id]") != "ren_1" {
		t.Fatalf("request %v", f)
	}
	// A network failure is an error, to be retried with the same key.
	bad := stripepay.New("sk_test_123", "http://127.0.0.1:1", nil)
	if _, err := bad.Charge(ctx, req); err == nil {
		t.Fatal("charge to a closed port succeeded")
	}
}

// TestRenewalsChargedOnceAtStripe: 300 trials end at the same instant and two nodes
// run the due jobs at once; stripe-mock is asked for exactly one PaymentIntent per
// renewal, each with its renewal's idempotency key.
func TestRenewalsChargedOnceAtStripe(t *testing.T) {
	mock := stripeMock(t)
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		const n = 300
		rec, base := record(t, mock)
		clock := tenure.NewManualClock(time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC))
		nodes := []*service.Service{service.New(storagetest.Open(t, e, clock), nil), service.New(storagetest.Open(t, e, clock), nil)}
		for _, nd := range nodes {
			nd.Subscriptions.AddProvider(stripepay.New("sk_test_123", base, nil))
		}
		tn, _, err := nodes[0].Tenants.Create(ctx, "Coffee box")
		if err != nil {
			t.Fatal(err)
		}
		subs := nodes[0].Subscriptions
		if _, err := subs.CreatePlan(ctx, tn.ID, "test", subscription.Plan{Key: "box", Name: "Box", Currency: "PLN", Price: 8900,
			Interval: subscription.Interval{Unit: subscription.Week, Count: 2}, TrialDays: 7, Active: true}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if _, err := subs.Subscribe(ctx, tn.ID, "test", "", service.SubscribeRequest{CustomerID: "c" + itoa(i), Plan: "box",
				Provider: "stripe", PaymentMethod: "cus_" + itoa(i) + ":pm_card_visa"}); err != nil {
				t.Fatal(err)
			}
		}
		if len(rec.byKey) != 0 {
			t.Fatalf("%d charges during the trials", len(rec.byKey))
		}
		clock.Advance(7 * 24 * time.Hour)
		var wg sync.WaitGroup
		for i, nd := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					done, err := nd.RunDueJobs(ctx, "node-"+itoa(i), 25)
					if err != nil {
						t.Error(err)
						return
					}
					if done == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		requests := 0
		for key, c := range rec.byKey {
			requests += c
			if !strings.HasSuffix(key, "-1") {
				t.Errorf("key %s is not a first attempt", key)
			}
		}
		if len(rec.byKey) != n {
			t.Fatalf("stripe-mock saw %d renewals (%d requests), want %d", len(rec.byKey), requests, n)
		}
		list, err := subs.List(ctx, tn.ID, service.SubscriptionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			tl, err := subs.Timeline(ctx, tn.ID, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(tl.Renewals) != 1 || len(tl.Renewals[0].Charges) != 1 || rec.byKey[tl.Renewals[0].Charges[0].IdempotencyKey] == 0 {
				t.Fatalf("subscription %s: %d renewals", s.ID, len(tl.Renewals))
			}
		}
		t.Logf("%d renewals, %d PaymentIntent requests at stripe-mock", n, requests)
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
