package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// RateLimit is a token bucket: Rate requests per second on average, up to Burst at once.
type RateLimit struct {
	Rate  float64
	Burst int
}

// Lease sizes for shared buckets. A node takes tokens from the shared bucket a lease at a
// time (what the key earns in leaseSpan, at most a quarter of the burst, at least one)
// and spends them locally, so that a busy key costs the database one statement per lease
// (50 requests at the default limit), not per request. A lease unused
// for leaseLife is dropped, so a node never spends tokens older than that.
const (
	leaseSpan = 500 * time.Millisecond
	leaseLife = time.Second
)

// TokenStore is the shared bucket store; *storage.DB implements it.
type TokenStore interface {
	// TakeTokens takes up to n tokens from a key's bucket and reports how many it took and
	// when the bucket next has one.
	TakeTokens(ctx context.Context, keyID string, now time.Time, n int, interval time.Duration, burst int) (granted int, next time.Time, err error)
}

// RateLimiter limits API requests per key with a token bucket per key, whose size depends
// on the key's scope. With a TokenStore (several nodes, PostgreSQL) the buckets are in the
// database and shared by every node; without one (one node, SQLite) they are in memory.
type RateLimiter struct {
	limits map[tenure.Scope]RateLimit
	store  TokenStore
	clock  tenure.Clock
	log    *slog.Logger
	keys   sync.Map // key id -> *keyBucket
}

// keyBucket is a node's view of one key's bucket.
type keyBucket struct {
	mu sync.Mutex
	// Shared buckets: tokens leased from the database, until expires; and, after the
	// database said the bucket was empty, when it next has a token.
	tokens     int
	expires    time.Time
	emptyUntil time.Time
	fetching   bool // a lease is being taken in the background
	// In-memory buckets: when the bucket is full again (GCRA), in microseconds.
	tat int64
}

// NewRateLimiter returns a limiter applying limits by key scope; scopes without a limit
// are not limited. store is nil for in-memory buckets (one node). clock is a wall clock:
// limits are about how fast requests really arrive, whatever time the program lives in
// (a demo replaying months, a test's frozen clock).
func NewRateLimiter(limits map[tenure.Scope]RateLimit, store TokenStore, clock tenure.Clock, log *slog.Logger) *RateLimiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RateLimiter{limits: limits, store: store, clock: clock, log: log}
}

// Allow takes a token for one request of key. When the key's bucket is empty it returns
// false and how long until a token is available. If the shared store fails the request
// is allowed (and the error logged): the limiter protects the service, it is not a
// reason to refuse it.
func (l *RateLimiter) Allow(ctx context.Context, key tenure.APIKey) (bool, time.Duration) {
	lim, ok := l.limits[key.Scope]
	if !ok || lim.Rate <= 0 || lim.Burst <= 0 {
		return true, 0
	}
	v, ok := l.keys.Load(key.ID)
	if !ok {
		v, _ = l.keys.LoadOrStore(key.ID, &keyBucket{})
	}
	b := v.(*keyBucket)
	interval := time.Duration(float64(time.Second) / lim.Rate)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := l.clock.Now()
	if l.store == nil {
		iv := max(interval.Microseconds(), 1)
		tat, got := takeTokens(b.tat, now.UnixMicro(), iv, int64(lim.Burst), 1)
		b.tat = tat
		if got == 0 { // a token is back when the bucket is burst-1 tokens short of full
			return false, time.Duration(tat-int64(lim.Burst-1)*iv-now.UnixMicro()) * time.Microsecond
		}
		return true, 0
	}
	n := max(1, min(int(lim.Rate*leaseSpan.Seconds()), lim.Burst/4))
	if b.tokens > 0 && now.Before(b.expires) {
		b.tokens--
		// Half the lease spent: take the next one in the background, so that a busy key's
		// requests do not wait for the database (small leases are not worth it).
		if n >= 4 && b.tokens <= n/2 && !b.fetching {
			b.fetching = true
			go l.prefetch(key.ID, b, n, interval, lim.Burst)
		}
		return true, 0
	}
	if now.Before(b.emptyUntil) {
		return false, b.emptyUntil.Sub(now)
	}
	// Out of tokens: requests of the key on this node wait here for one lease.
	got, next, err := l.store.TakeTokens(ctx, key.ID, now, n, interval, lim.Burst)
	if err != nil {
		l.log.Error("rate limit: cannot take tokens; allowing the request", "key", key.ID, "err", err)
		return true, 0
	}
	b.lease(got, next, now)
	if got == 0 {
		return false, next.Sub(now)
	}
	b.tokens--
	return true, 0
}

// lease adds tokens taken at now from the shared bucket (none: it is empty until next).
func (b *keyBucket) lease(got int, next, now time.Time) {
	if got == 0 {
		b.emptyUntil = next
		return
	}
	if !now.Before(b.expires) {
		b.tokens = 0 // what is left of an expired lease is not spent
	}
	b.tokens += got
	b.expires = now.Add(leaseLife)
}

// prefetch takes the next lease of a key's tokens.
func (l *RateLimiter) prefetch(keyID string, b *keyBucket, n int, interval time.Duration, burst int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := l.clock.Now()
	got, next, err := l.store.TakeTokens(ctx, keyID, now, n, interval, burst)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fetching = false
	if err != nil {
		l.log.Warn("rate limit: cannot take tokens ahead", "key", keyID, "err", err)
		return
	}
	b.lease(got, next, now)
}

// takeTokens is the generic cell rate algorithm: a bucket that is full again at tat holds
// (now + burst*interval - max(tat, now)) / interval tokens. It takes up to n of them and
// returns the new tat and how many it took. Times in microseconds.
func takeTokens(tat, now, interval, burst, n int64) (int64, int64) {
	base := max(tat, now)
	got := min(n, (now+burst*interval-base)/interval)
	if got <= 0 {
		return tat, 0
	}
	return base + got*interval, got
}
