package dashboard

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Sign-in throttling. Failed sign-ins are counted per email address and per client
// address over a sliding window; past the limit, sign-in is refused with 429 before any
// password is checked, so that guessing costs an attacker the window, not a hash.
//
// The counts live in the process: behind a load balancer each node counts on its own,
// which multiplies the limit by the number of nodes but still bounds it. The client
// address is the connection's; a proxy in front should do its own limiting.
const (
	signInWindow      = 15 * time.Minute
	signInPerEmail    = 5  // failures per email address per window
	signInPerAddress  = 30 // failures per client address per window, over all emails
	signInMaxKeys     = 50_000
	signInLockMessage = "Too many failed sign-ins. Please wait a few minutes and try again."
)

// signInLimiter remembers recent failures by key ("email:..." or "addr:...").
type signInLimiter struct {
	clock tenure.Clock
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newSignInLimiter(c tenure.Clock) *signInLimiter {
	return &signInLimiter{clock: c, fails: map[string][]time.Time{}}
}

// keys returns the limiter keys of a sign-in attempt.
func signInKeys(r *http.Request, email string) (emailKey, addrKey string) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "email:" + strings.ToLower(strings.TrimSpace(email)), "addr:" + host
}

// blocked reports how long until an attempt with these keys may be tried again (0: now).
func (l *signInLimiter) blocked(emailKey, addrKey string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	wait := time.Duration(0)
	for key, limit := range map[string]int{emailKey: signInPerEmail, addrKey: signInPerAddress} {
		fs := l.recent(key, now)
		if len(fs) >= limit {
			wait = max(wait, fs[len(fs)-limit].Add(signInWindow).Sub(now))
		}
	}
	return wait
}

// failed records a failed attempt.
func (l *signInLimiter) failed(emailKey, addrKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if len(l.fails) >= signInMaxKeys {
		l.prune(now)
	}
	for _, k := range []string{emailKey, addrKey} {
		l.fails[k] = append(l.recent(k, now), now)
	}
}

// succeeded forgets the email's failures: the owner of the account got in.
func (l *signInLimiter) succeeded(emailKey string) {
	l.mu.Lock()
	delete(l.fails, emailKey)
	l.mu.Unlock()
}

// recent returns key's failures within the window, dropping older ones.
func (l *signInLimiter) recent(key string, now time.Time) []time.Time {
	fs := l.fails[key]
	i := 0
	for i < len(fs) && !fs[i].After(now.Add(-signInWindow)) {
		i++
	}
	if i == len(fs) {
		delete(l.fails, key)
		return nil
	}
	fs = fs[i:]
	l.fails[key] = fs
	return fs
}

// prune drops every key without a failure in the window; if that is not enough (a flood
// of distinct keys), it forgets everything rather than grow without bound.
func (l *signInLimiter) prune(now time.Time) {
	for k := range l.fails {
		l.recent(k, now)
	}
	if len(l.fails) >= signInMaxKeys {
		clear(l.fails)
	}
}
