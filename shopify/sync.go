package shopify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// Codes creates redeemed coupons' codes in Shopify stores and disables them when their
// coupons are cancelled or expire. It works from the queue service.Shops keeps, after
// the redemption's commit: a failed or rate-limited call is retried later (after the
// shop's Retry-After), and a code is created once, whatever the retries.
type Codes struct {
	shops *service.Shops
	http  *http.Client
	log   *slog.Logger
}

// NewCodes returns the code mirror; client nil means a client with a 30 s timeout.
func NewCodes(shops *service.Shops, client *http.Client, log *slog.Logger) *Codes {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Codes{shops: shops, http: client, log: log}
}

// Outcome prefixes of a failed attempt, read by the next one: after a refusal nothing was
// made in the shop; after an unknown outcome the code may exist and is looked up first.
const (
	refused = "refused: "
	unknown = "unknown: "
)

// RunOnce works through the codes due now and returns how many it settled.
func (s *Codes) RunOnce(ctx context.Context) (int, error) {
	tasks, err := s.shops.ClaimCodes(ctx, tenure.Shopify, 20)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, t := range tasks {
		state, remote, err := s.settle(ctx, t)
		var retryIn time.Duration
		if err != nil {
			prefix := unknown
			var ce *callError
			if errors.As(err, &ce) {
				retryIn = ce.retryIn
				if ce.definite {
					prefix = refused
				}
			}
			err = errors.New(prefix + err.Error())
			s.log.Warn("shopify code", "coupon", t.Code.CouponID, "shop", t.Shop.Domain, "err", err)
		} else {
			done++
		}
		if ferr := s.shops.FinishCode(ctx, t, state, remote, err, retryIn); ferr != nil {
			return done, ferr
		}
	}
	return done, nil
}

// settle brings one code to its wanted state and returns the state the shop now holds.
func (s *Codes) settle(ctx context.Context, t service.CodeTask) (state, remote string, err error) {
	a := newAdmin(s.http, t.Shop)
	state, remote = t.Code.State, t.Code.RemoteID
	if remote == "" && strings.HasPrefix(t.Code.LastError, unknown) {
		// The last attempt may have made the code before its answer was lost.
		if remote, err = a.find(ctx, t.Coupon.Code); err != nil {
			return state, "", err
		}
		if remote != "" {
			state = "active"
		}
	}
	switch t.Code.Want {
	case "active":
		if remote != "" {
			return "active", remote, nil
		}
		remote, err = a.create(ctx, t.Coupon)
		if errors.Is(err, errUnsupported) {
			return "unsupported", "", nil
		}
		if err != nil {
			return state, "", err
		}
		return "active", remote, nil
	case "disabled":
		if remote == "" {
			return "disabled", "", nil // never made in the shop
		}
		if err := a.disable(ctx, remote); err != nil {
			return state, remote, err
		}
		return "disabled", remote, nil
	}
	return state, remote, nil
}
