package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/shophook"
)

// Coupons creates redeemed coupons' codes in WooCommerce sites through the REST API
// (/wp-json/wc/v3/coupons) and deletes them when their coupons are cancelled or expire,
// from the queue service.Shops keeps, after the redemption's commit.
type Coupons struct {
	shops *service.Shops
	http  *http.Client
	log   *slog.Logger
}

// NewCoupons returns the coupon mirror; client nil means a client with a 30 s timeout.
func NewCoupons(shops *service.Shops, client *http.Client, log *slog.Logger) *Coupons {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Coupons{shops: shops, http: client, log: log}
}

// RunOnce works through the coupons due now and returns how many it settled.
func (s *Coupons) RunOnce(ctx context.Context) (int, error) {
	return shophook.RunCodes(ctx, s.shops, tenure.WooCommerce, s.log, s.settle)
}

func (s *Coupons) settle(ctx context.Context, t service.CodeTask) (state, remote string, err error) {
	state, remote = t.Code.State, t.Code.RemoteID
	if remote == "" && shophook.MayExist(t.Code.LastError) {
		if remote, err = s.find(ctx, t.Shop, t.Coupon.Code); err != nil {
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
		body, ok := couponBody(t.Coupon, t.Email)
		if !ok {
			return "unsupported", "", nil
		}
		var out struct {
			ID   json.Number `json:"id"`
			Code string      `json:"code"`
		}
		status, err := s.call(ctx, t.Shop, "POST", "/wp-json/wc/v3/coupons", body, &out)
		if status == http.StatusBadRequest && strings.Contains(err.Error(), "woocommerce_rest_coupon_code_already_exists") {
			remote, err = s.find(ctx, t.Shop, t.Coupon.Code)
			return "active", remote, err
		}
		if err != nil {
			return state, "", err
		}
		return "active", out.ID.String(), nil
	case "disabled":
		if remote == "" {
			return "disabled", "", nil
		}
		status, err := s.call(ctx, t.Shop, "DELETE", "/wp-json/wc/v3/coupons/"+url.PathEscape(remote)+"?force=true", nil, nil)
		if status == http.StatusNotFound {
			return "disabled", remote, nil // deleted in the shop already
		}
		if err != nil {
			return state, remote, err
		}
		return "disabled", remote, nil
	}
	return state, remote, nil
}

// couponBody is the coupon WooCommerce should hold for c: its code, amount, minimum, one
// use, the member's address alone, and its end.
func couponBody(c rewards.Coupon, email string) (map[string]any, bool) {
	b := map[string]any{
		"code":                 strings.ToLower(c.Code),
		"description":          "Tenure reward: " + c.RewardName,
		"individual_use":       false,
		"usage_limit":          1,
		"usage_limit_per_user": 1,
	}
	if c.ValidUntil != nil {
		b["date_expires_gmt"] = c.ValidUntil.UTC().Format("2006-01-02T15:04:05")
	}
	if c.MinOrder > 0 {
		b["minimum_amount"] = tenure.FormatMoney(c.MinOrder, c.Currency)
	}
	if email != "" {
		b["email_restrictions"] = []string{email}
	}
	switch c.Type {
	case rewards.PercentDiscount:
		b["discount_type"], b["amount"] = "percent", strconv.FormatInt(c.Percent, 10)
	case rewards.FixedDiscount, rewards.PointsDiscount:
		b["discount_type"], b["amount"] = "fixed_cart", tenure.FormatMoney(c.Value, c.Currency)
	case rewards.FreeShipping:
		b["discount_type"], b["amount"], b["free_shipping"] = "fixed_cart", "0", true
	case rewards.FreeProduct:
		id, err := strconv.ParseInt(c.ProductID, 10, 64)
		if err != nil {
			return nil, false
		}
		b["discount_type"], b["amount"], b["product_ids"], b["limit_usage_to_x_items"] = "percent", "100", []int64{id}, 1
	default:
		return nil, false
	}
	return b, true
}

// find returns the id of the site's coupon with code ("" when there is none).
func (s *Coupons) find(ctx context.Context, shop tenure.ShopConnection, code string) (string, error) {
	var out []struct {
		ID   json.Number `json:"id"`
		Code string      `json:"code"`
	}
	if _, err := s.call(ctx, shop, "GET", "/wp-json/wc/v3/coupons?code="+url.QueryEscape(strings.ToLower(code)), nil, &out); err != nil {
		return "", err
	}
	for _, c := range out {
		if strings.EqualFold(c.Code, code) {
			return c.ID.String(), nil
		}
	}
	return "", nil
}

// call makes one REST call with the consumer key and secret (HTTP Basic, as WooCommerce
// takes them over HTTPS) and decodes a 2xx answer into out.
func (s *Coupons) call(ctx context.Context, shop tenure.ShopConnection, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, shop.APIURL+path, rd)
	if err != nil {
		return 0, &shophook.CallError{Msg: err.Error(), Definite: true}
	}
	req.SetBasicAuth(shop.APIKey, shop.APISecret)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, &shophook.CallError{Msg: "woocommerce: " + err.Error(), Definite: method == "GET"}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return resp.StatusCode, &shophook.CallError{Msg: "woocommerce: 429 rate limited", Definite: true, RetryIn: shophook.RetryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode >= 500:
		return resp.StatusCode, &shophook.CallError{Msg: fmt.Sprintf("woocommerce: %d %s", resp.StatusCode, shophook.Snippet(raw)), Definite: method == "GET"}
	case resp.StatusCode >= 300:
		return resp.StatusCode, &shophook.CallError{Msg: fmt.Sprintf("woocommerce: %d %s", resp.StatusCode, shophook.Snippet(raw)), Definite: true}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, &shophook.CallError{Msg: "woocommerce: unreadable answer: " + shophook.Snippet(raw)}
		}
	}
	return resp.StatusCode, nil
}
