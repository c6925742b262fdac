package shophook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// CallError is a failed call to a platform's API. Definite means the platform refused it,
// so nothing was made there; otherwise (a network error, a 5xx) the call may have taken
// effect. RetryIn is the platform's Retry-After, when it sent one.
type CallError struct {
	Msg      string
	Definite bool
	RetryIn  time.Duration
}

func (e *CallError) Error() string { return e.Msg }

// Outcome prefixes of a failed attempt, read by the next one: after a refusal nothing was
// made in the shop; after an unknown outcome the code may exist and is looked up first.
const (
	refused = "refused: "
	unknown = "unknown: "
)

// MayExist reports whether a code's last attempt ended without knowing whether the shop
// made it, so the next one must look it up before creating it again.
func MayExist(lastError string) bool { return strings.HasPrefix(lastError, unknown) }

// Settle brings one code to its wanted state in the shop and returns the state the shop
// now holds and the shop's id of it.
type Settle func(ctx context.Context, t service.CodeTask) (state, remote string, err error)

// RunCodes settles the platform's codes due now, one at a time, recording each outcome
// (with the platform's Retry-After for a retry), and returns how many it settled.
func RunCodes(ctx context.Context, shops *service.Shops, platform tenure.Platform, log *slog.Logger, settle Settle) (int, error) {
	tasks, err := shops.ClaimCodes(ctx, platform, 20)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, t := range tasks {
		state, remote, err := settle(ctx, t)
		var retryIn time.Duration
		if err != nil {
			prefix := unknown
			var ce *CallError
			if errors.As(err, &ce) {
				retryIn = ce.RetryIn
				if ce.Definite {
					prefix = refused
				}
			}
			err = errors.New(prefix + err.Error())
			log.Warn(string(platform)+" code", "coupon", t.Code.CouponID, "shop", t.Shop.Domain, "err", err)
		} else {
			done++
		}
		if ferr := shops.FinishCode(ctx, t, state, remote, err, retryIn); ferr != nil {
			return done, ferr
		}
	}
	return done, nil
}

// RetryAfter reads a Retry-After header (seconds, fractional seconds or an HTTP date),
// capped at an hour; 0 when absent or unreadable.
func RetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, time.Hour)
	}
	if d, err := time.ParseDuration(v + "s"); err == nil && d >= 0 && !strings.ContainsAny(v, "hmsun") {
		return min(d, time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), time.Hour)
	}
	return 0
}

// Snippet is the start of an answer's body, for an error message.
func Snippet(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}
