package apptest

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// StripeMock starts stripe-mock on a loopback port and returns its URL; it is stopped
// when the test ends. Without the binary the test fails where CI runs the suite (CI or
// TENURE_REQUIRE_POSTGRES=1 set) and is skipped with the install command elsewhere.
func StripeMock(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		if home, herr := os.UserHomeDir(); herr == nil {
			if p := filepath.Join(home, "go", "bin", "stripe-mock"); exists(p) {
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

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// PaymentIntents counts, in front of a Stripe API (stripe-mock), the PaymentIntents
// created, by Idempotency-Key, with the form of the last one of each key.
type PaymentIntents struct {
	URL    string // where to point the provider
	mu     sync.Mutex
	byKey  map[string]int
	bodies map[string]url.Values
}

// RecordPaymentIntents starts a recording proxy to target.
func RecordPaymentIntents(t testing.TB, target string) *PaymentIntents {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	rec := &PaymentIntents{byKey: map[string]int{}, bodies: map[string]url.Values{}}
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
	rec.URL = srv.URL
	return rec
}

// Keys returns how many requests came with each idempotency key.
func (p *PaymentIntents) Keys() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.byKey))
	for k, v := range p.byKey {
		out[k] = v
	}
	return out
}

// Form returns the form of the last request with key.
func (p *PaymentIntents) Form(key string) url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bodies[key]
}
