package service_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// countingStore counts the takes that reach the shared store.
type countingStore struct {
	service.TokenStore
	takes atomic.Int64
	fail  error
}

func (c *countingStore) TakeTokens(ctx context.Context, keyID string, now time.Time, n int, interval time.Duration, burst int) (int, time.Time, error) {
	c.takes.Add(1)
	if c.fail != nil {
		return 0, time.Time{}, c.fail
	}
	return c.TokenStore.TakeTokens(ctx, keyID, now, n, interval, burst)
}

func TestRateLimiterInMemory(t *testing.T) {
	clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	l := service.NewRateLimiter(map[tenure.Scope]service.RateLimit{tenure.ScopeIntegration: {Rate: 1, Burst: 3}}, nil, clock, nil)
	key := tenure.APIKey{ID: "key_1", Scope: tenure.ScopeIntegration}
	for i := range 3 {
		if ok, _ := l.Allow(ctx, key); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	if ok, wait := l.Allow(ctx, key); ok || wait != time.Second {
		t.Fatalf("fourth request: allowed %v, wait %v; want refused for 1s", ok, wait)
	}
	if ok, _ := l.Allow(ctx, tenure.APIKey{ID: "key_2", Scope: tenure.ScopeIntegration}); !ok {
		t.Fatal("another key was refused")
	}
	if ok, _ := l.Allow(ctx, tenure.APIKey{ID: "key_3", Scope: tenure.ScopeAdmin}); !ok {
		t.Fatal("a scope without a limit was refused")
	}
	clock.Advance(time.Second)
	if ok, _ := l.Allow(ctx, key); !ok {
		t.Fatal("refused a second later")
	}
	if ok, _ := l.Allow(ctx, key); ok {
		t.Fatal("allowed two a second later")
	}
}

func TestRateLimiterShared(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
		db1 := storagetest.Open(t, e, clock)
		db2, err := storage.Open(ctx, e.DSN, clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db2.Close() })
		node := func(db *storage.DB, lim service.RateLimit) (*service.RateLimiter, *countingStore) {
			s := &countingStore{TokenStore: db}
			return service.NewRateLimiter(map[tenure.Scope]service.RateLimit{tenure.ScopeIntegration: lim}, s, clock, nil), s
		}

		t.Run("two nodes drain one bucket", func(t *testing.T) {
			lim := service.RateLimit{Rate: 1, Burst: 6}
			a, _ := node(db1, lim)
			b, _ := node(db2, lim)
			key := tenure.APIKey{ID: "key_small", Scope: tenure.ScopeIntegration}
			for i := range 6 {
				if ok, _ := []*service.RateLimiter{a, b}[i%2].Allow(ctx, key); !ok {
					t.Fatalf("request %d refused within the burst", i+1)
				}
			}
			for _, n := range []*service.RateLimiter{a, b} {
				if ok, wait := n.Allow(ctx, key); ok || wait != time.Second {
					t.Fatalf("seventh request: allowed %v, wait %v; want refused for 1s", ok, wait)
				}
			}
			clock.Advance(time.Second)
			okA, _ := a.Allow(ctx, key)
			okB, _ := b.Allow(ctx, key)
			if !okA || okB {
				t.Fatalf("a second later: A %v, B %v; want one token, to the first asking", okA, okB)
			}
		})

		t.Run("a busy key takes tokens a lease at a time, and the nodes together never exceed the bucket", func(t *testing.T) {
			lim := service.RateLimit{Rate: 100, Burst: 40} // leases of 10 (a quarter of the burst)
			a, sa := node(db1, lim)
			b, sb := node(db2, lim)
			key := tenure.APIKey{ID: "key_busy", Scope: tenure.ScopeIntegration}
			for range 20 {
				if ok, _ := a.Allow(ctx, key); !ok {
					t.Fatal("refused within the burst")
				}
			}
			if n := sa.takes.Load(); n < 2 || n > 3 { // the third, if any, ahead of need
				t.Fatalf("%d takes from the database for 20 requests, want 2 or 3", n)
			}
			var allowed atomic.Int64
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := []*service.RateLimiter{a, b}[i%2]
					for range 50 {
						if ok, _ := n.Allow(ctx, key); ok {
							allowed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			// 40 tokens: 20 spent above, and at most a lease and a half (15) unspent per
			// node (the rest of one and the next, taken ahead).
			if got := allowed.Load() + 20; got > 40 || got < 40-2*15 {
				t.Fatalf("%d requests allowed from a bucket of 40", got)
			}
			t.Logf("allowed %d of 420 with a bucket of 40; %d + %d takes", allowed.Load()+20, sa.takes.Load(), sb.takes.Load())
		})

		t.Run("a store that fails lets requests through", func(t *testing.T) {
			s := &countingStore{TokenStore: db1, fail: errors.New("database down")}
			l := service.NewRateLimiter(map[tenure.Scope]service.RateLimit{tenure.ScopeIntegration: {Rate: 1, Burst: 1}}, s, clock, nil)
			for range 3 {
				if ok, _ := l.Allow(ctx, tenure.APIKey{ID: "key_x", Scope: tenure.ScopeIntegration}); !ok {
					t.Fatal("refused while the store failed")
				}
			}
		})
	})
}

// BenchmarkRateLimiterAllow measures what the in-memory limiter (one node) adds to a
// request. The shared limiter's cost depends on how fast a key spends its leases, so it is
// measured on the real request path instead (app's BenchmarkBalanceReadRateLimit).
//
//	go test ./service -run '^$' -bench RateLimiterAllow -count 6
func BenchmarkRateLimiterAllow(b *testing.B) {
	lim := map[tenure.Scope]service.RateLimit{tenure.ScopeIntegration: {Rate: 1_000_000, Burst: 200}}
	keys := make([]tenure.APIKey, 64)
	for i := range keys {
		keys[i] = tenure.APIKey{ID: "key_" + string(rune('A'+i)), Scope: tenure.ScopeIntegration}
	}
	run := func(b *testing.B, l *service.RateLimiter) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if ok, _ := l.Allow(ctx, keys[i%len(keys)]); !ok {
					b.Fatal("refused")
				}
				i++
			}
		})
	}
	run(b, service.NewRateLimiter(lim, nil, tenure.SystemClock{}, nil))
}
