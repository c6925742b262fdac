package dashboard

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func TestSignInLimiter(t *testing.T) {
	clock := tenure.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	l := newSignInLimiter(clock)
	r := &http.Request{RemoteAddr: "203.0.113.7:52100"}
	email, addr := signInKeys(r, " Owner@Shop.example ")
	if email != "email:owner@shop.example" || addr != "addr:203.0.113.7" {
		t.Fatalf("keys %q %q", email, addr)
	}

	t.Run("the sixth failure for one email waits out the window from the first", func(t *testing.T) {
		for i := range signInPerEmail {
			if w := l.blocked(email, addr); w != 0 {
				t.Fatalf("blocked after %d failures", i)
			}
			l.failed(email, addr)
			clock.Advance(time.Minute)
		}
		// Five failures at 9:00..9:04; it is 9:05: the first ages out at 9:15.
		if w := l.blocked(email, addr); w != 10*time.Minute {
			t.Fatalf("wait %v, want 10m", w)
		}
		other, _ := signInKeys(r, "someone@shop.example")
		if w := l.blocked(other, addr); w != 0 {
			t.Fatalf("another email from the same address is blocked: %v", w)
		}
		clock.Advance(10 * time.Minute)
		if w := l.blocked(email, addr); w != 0 {
			t.Fatalf("still blocked once the first failure aged out: %v", w)
		}
	})

	t.Run("a success forgets the email's failures but not the address's", func(t *testing.T) {
		for range signInPerEmail - 1 {
			l.failed(email, addr)
		}
		l.succeeded(email)
		if n := len(l.fails[email]); n != 0 {
			t.Fatalf("%d failures kept for the email", n)
		}
		if n := len(l.fails[addr]); n < signInPerEmail-1 {
			t.Fatalf("the address kept %d failures", n)
		}
	})

	t.Run("one address guessing many emails is stopped too", func(t *testing.T) {
		clock.Advance(signInWindow)
		for i := range signInPerAddress {
			e, _ := signInKeys(r, string(rune('a'+i%26))+"@x.example")
			l.failed(e, addr)
		}
		fresh, _ := signInKeys(r, "new@x.example")
		if w := l.blocked(fresh, addr); w <= 0 {
			t.Fatal("the address was not throttled")
		}
		elsewhere := &http.Request{RemoteAddr: "198.51.100.1:4000"}
		if _, a := signInKeys(elsewhere, "new@x.example"); l.blocked(fresh, a) != 0 {
			t.Fatal("another address was throttled")
		}
	})

	t.Run("memory stays bounded: a full map drops what aged out", func(t *testing.T) {
		old := clock.Now()
		for i := len(l.fails); i < signInMaxKeys; i++ {
			l.fails["email:"+strconv.Itoa(i)] = []time.Time{old}
		}
		clock.Advance(signInWindow + time.Second)
		l.failed("email:x", "addr:y")
		if len(l.fails) != 2 {
			t.Fatalf("%d keys after pruning, want 2", len(l.fails))
		}
	})
}
