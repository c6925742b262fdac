package shopify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shophook"
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

// RunOnce works through the codes due now and returns how many it settled.
func (s *Codes) RunOnce(ctx context.Context) (int, error) {
	return shophook.RunCodes(ctx, s.shops, tenure.Shopify, s.log, s.settle)
}

// settle brings one code to its wanted state and returns the state the shop now holds.
func (s *Codes) settle(ctx context.Context, t service.CodeTask) (state, remote string, err error) {
	a := newAdmin(s.http, t.Shop)
	state, remote = t.Code.State, t.Code.RemoteID
	if remote == "" && shophook.MayExist(t.Code.LastError) {
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
