package dashboard

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// limiterOn returns a sign-in limiter counting in a fresh database of engine e, and a
// second one on the same database (another node).
func limiterOn(t *testing.T, e storagetest.Engine, clock tenure.Clock) (*signInLimiter, *signInLimiter, *storage.DB) {
	t.Helper()
	var ls []*signInLimiter
	var first *storage.DB
	for range 2 {
		db, err := storage.Open(context.Background(), e.DSN, clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = db
		}
		ls = append(ls, &signInLimiter{counts: service.New(db, nil).Access})
	}
	return ls[0], ls[1], first
}

func TestSignInLimiter(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		clock := tenure.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		l, other, db := limiterOn(t, e, clock)
		r := &http.Request{RemoteAddr: "203.0.113.7:52100"}
		email, addr := signInKeys(r, " Owner@Shop.example ")
		if email != "signin-email:owner@shop.example" || addr != "signin-addr:203.0.113.7" {
			t.Fatalf("keys %q %q", email, addr)
		}
		wait := func(l *signInLimiter, email, addr string) time.Duration {
			t.Helper()
			w, err := l.blocked(ctx, email, addr)
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		fail := func(l *signInLimiter, email, addr string) {
			t.Helper()
			if err := l.failed(ctx, email, addr); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("the sixth failure for one email waits out the window from the first, whichever node counted them", func(t *testing.T) {
			for i := range signInPerEmail {
				if w := wait(l, email, addr); w != 0 {
					t.Fatalf("blocked after %d failures", i)
				}
				fail([]*signInLimiter{l, other}[i%2], email, addr)
				clock.Advance(time.Minute)
			}
			// Five failures at 9:00..9:04; it is 9:05: the first one's minute ages out at 9:16.
			for _, n := range []*signInLimiter{l, other} {
				if w := wait(n, email, addr); w != 11*time.Minute {
					t.Fatalf("wait %v, want 11m", w)
				}
			}
			another, _ := signInKeys(r, "someone@shop.example")
			if w := wait(l, another, addr); w != 0 {
				t.Fatalf("another email from the same address is blocked: %v", w)
			}
			clock.Advance(10*time.Minute + 59*time.Second)
			if w := wait(other, email, addr); w != time.Second {
				t.Fatalf("a second before the first failure ages out: wait %v", w)
			}
			clock.Advance(time.Second)
			if w := wait(other, email, addr); w != 0 {
				t.Fatalf("still blocked once the first failure aged out: %v", w)
			}
		})

		t.Run("a success forgets the email's failures but not the address's", func(t *testing.T) {
			clock.Advance(signInWindow + time.Minute)
			for range signInPerEmail {
				fail(l, email, addr)
			}
			if wait(other, email, addr) == 0 {
				t.Fatal("not blocked after five failures")
			}
			if err := other.succeeded(ctx, email); err != nil {
				t.Fatal(err)
			}
			if w := wait(l, email, addr); w != 0 {
				t.Fatalf("blocked after the owner signed in: %v", w)
			}
			counts, _, err := l.counts.RecentCounts(ctx, []string{addr}, signInWindow)
			if err != nil || len(counts[addr]) != 1 || counts[addr][0].N != signInPerEmail {
				t.Fatalf("the address's failures: %v %v", counts, err)
			}
		})

		t.Run("one address guessing many emails is stopped too", func(t *testing.T) {
			clock.Advance(signInWindow + time.Minute)
			for i := range signInPerAddress {
				e, _ := signInKeys(r, string(rune('a'+i%26))+"@x.example")
				fail([]*signInLimiter{l, other}[i%2], e, addr)
			}
			fresh, _ := signInKeys(r, "new@x.example")
			if w := wait(l, fresh, addr); w <= 0 {
				t.Fatal("the address was not throttled")
			}
			elsewhere := &http.Request{RemoteAddr: "198.51.100.1:4000"}
			if _, a := signInKeys(elsewhere, "new@x.example"); wait(l, fresh, a) != 0 {
				t.Fatal("another address was throttled")
			}
		})

		t.Run("counts that aged out are deleted, and nothing names an email or address", func(t *testing.T) {
			clock.Advance(signInWindow + time.Minute)
			fail(l, "signin-email:x@x.example", "signin-addr:192.0.2.1")
			var rows, named int
			if err := db.Raw().QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN counter_key LIKE '%@%' OR counter_key LIKE '%203.0.113%' THEN 1 ELSE 0 END), 0) FROM throttle_counts`).Scan(&rows, &named); err != nil {
				t.Fatal(err)
			}
			if rows != 2 || named != 0 {
				t.Fatalf("%d rows (want 2), %d naming an email or address", rows, named)
			}
		})
	})
}
