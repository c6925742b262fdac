package webhook

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxAttempts is how many times a delivery is tried under the default schedule before it
// is dead-lettered.
const MaxAttempts = 10

// Backoff returns the default wait after failed attempt n (1-based): 30 s tripling (30 s,
// 90 s, 4.5 min, 13.5 min, 40.5 min, ~2 h), capped at six hours, so ten attempts span
// about 21 hours: long enough to ride out a store's outage overnight.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 3
	}
	return min(d, 6*time.Hour)
}

// Schedule is the retry schedule: after failed attempt n (1-based) the next attempt comes
// Schedule[n-1] later, and a delivery whose attempt len(Schedule)+1 fails is dead-lettered.
type Schedule []time.Duration

// DefaultSchedule is MaxAttempts attempts spaced by Backoff.
func DefaultSchedule() Schedule {
	s := make(Schedule, MaxAttempts-1)
	for i := range s {
		s[i] = Backoff(i + 1)
	}
	return s
}

// MaxAttempts is how many attempts the schedule allows.
func (s Schedule) MaxAttempts() int { return len(s) + 1 }

// Next returns when to try again after failed attempt n at now, and false when the
// delivery is to be dead-lettered instead.
func (s Schedule) Next(n int, now time.Time) (time.Time, bool) {
	if n < 1 || n > len(s) {
		return now, false
	}
	return now.Add(s[n-1]), true
}

// String formats the schedule as ParseSchedule reads it.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// ParseSchedule reads a comma-separated list of positive durations ("30s,2m,1h"); an
// empty list means a single attempt, dead-lettered at its first failure, which must be
// written "none".
func ParseSchedule(v string) (Schedule, error) {
	v = strings.TrimSpace(v)
	if v == "none" {
		return Schedule{}, nil
	}
	if v == "" {
		return nil, errors.New(`must be a comma-separated list of durations like 30s,5m,1h (or "none")`)
	}
	var s Schedule
	for _, p := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q is not a positive duration like 30s, 5m or 1h", strings.TrimSpace(p))
		}
		s = append(s, d)
	}
	if len(s) > 100 {
		return nil, errors.New("at most 100 retries")
	}
	return s, nil
}
