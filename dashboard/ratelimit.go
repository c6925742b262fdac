package dashboard

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure/service"
)

// Sign-in throttling. Failed sign-ins are counted per email address and per client
// address over a sliding window; past the limit, sign-in is refused with 429 before any
// password is checked, so that guessing costs an attacker the window, not a hash.
//
// The counts are in the database (per minute), so every node sees the same counts: the
// limit holds however a load balancer spreads the attempts. A failure counts for 15 to 16
// minutes (the window plus the rest of its minute). The client address is the
// connection's; a proxy in front should do its own limiting.
const (
	signInWindow      = 15 * time.Minute
	signInPerEmail    = 5  // failures per email address per window
	signInPerAddress  = 30 // failures per client address per window, over all emails
	signInLockMessage = "Too many failed sign-ins. Please wait a few minutes and try again."
)

// failureCounts keeps windowed counts shared by every node (service.Access).
type failureCounts interface {
	RecentCounts(ctx context.Context, keys []string, window time.Duration) (map[string][]service.WindowCount, time.Time, error)
	AddCount(ctx context.Context, keys []string, window time.Duration) error
	ClearCount(ctx context.Context, key string) error
}

// signInLimiter applies the sign-in policy to the shared counts.
type signInLimiter struct {
	counts failureCounts
}

// signInKeys returns the limiter keys of a sign-in attempt.
func signInKeys(r *http.Request, email string) (emailKey, addrKey string) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "signin-email:" + strings.ToLower(strings.TrimSpace(email)), "signin-addr:" + host
}

// blocked reports how long until an attempt with these keys may be tried again (0: now).
func (l *signInLimiter) blocked(ctx context.Context, emailKey, addrKey string) (time.Duration, error) {
	counts, now, err := l.counts.RecentCounts(ctx, []string{emailKey, addrKey}, signInWindow)
	if err != nil {
		return 0, err
	}
	return max(waitFor(counts[emailKey], signInPerEmail, now), waitFor(counts[addrKey], signInPerAddress, now)), nil
}

// waitFor returns how long until fewer than limit failures remain in the window, given a
// key's counts (oldest first): until the oldest buckets that must go have aged out.
func waitFor(cs []service.WindowCount, limit int, now time.Time) time.Duration {
	total := 0
	for _, c := range cs {
		total += c.N
	}
	for _, c := range cs {
		if total < limit {
			break
		}
		total -= c.N
		if total < limit {
			return c.Start.Add(service.CountBucket + signInWindow).Sub(now)
		}
	}
	return 0
}

// failed records a failed attempt.
func (l *signInLimiter) failed(ctx context.Context, emailKey, addrKey string) error {
	return l.counts.AddCount(ctx, []string{emailKey, addrKey}, signInWindow)
}

// succeeded forgets the email's failures: the owner of the account got in.
func (l *signInLimiter) succeeded(ctx context.Context, emailKey string) error {
	return l.counts.ClearCount(ctx, emailKey)
}
