package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/shophook"
)

// APIVersion is the Admin API version Tenure calls.
const APIVersion = "2025-10"

// admin calls one shop's Admin GraphQL API.
type admin struct {
	http  *http.Client
	url   string // .../admin/api/<version>/graphql.json
	token string
}

func newAdmin(c *http.Client, shop tenure.ShopConnection) *admin {
	return &admin{http: c, url: shop.APIURL + "/admin/api/" + APIVersion + "/graphql.json", token: shop.APIKey}
}

type userError struct {
	Field   []string `json:"field"`
	Code    string   `json:"code"`
	Message string   `json:"message"`
}

// call posts one GraphQL operation and decodes data into out.
func (a *admin) call(ctx context.Context, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, "POST", a.url, bytes.NewReader(body))
	if err != nil {
		return &shophook.CallError{Msg: err.Error(), Definite: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return &shophook.CallError{Msg: "shopify: " + err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &shophook.CallError{Msg: "shopify: reading the answer: " + err.Error()}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return &shophook.CallError{Msg: "shopify: 429 rate limited", Definite: true, RetryIn: shophook.RetryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode >= 500:
		return &shophook.CallError{Msg: fmt.Sprintf("shopify: %d %s", resp.StatusCode, shophook.Snippet(raw))}
	case resp.StatusCode != http.StatusOK:
		return &shophook.CallError{Msg: fmt.Sprintf("shopify: %d %s", resp.StatusCode, shophook.Snippet(raw)), Definite: true}
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return &shophook.CallError{Msg: "shopify: unreadable answer: " + shophook.Snippet(raw)}
	}
	if len(env.Errors) > 0 {
		// Throttled queries are refused whole (the cost bucket is empty); other errors
		// are the query's fault. Neither ran.
		e := &shophook.CallError{Msg: "shopify: " + env.Errors[0].Message, Definite: true}
		if env.Errors[0].Extensions.Code == "THROTTLED" {
			e.RetryIn = 2 * time.Second
		}
		return e
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &shophook.CallError{Msg: "shopify: unreadable data: " + shophook.Snippet(env.Data), Definite: true}
	}
	return nil
}

const createBasic = `mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`

const createFreeShipping = `mutation discountCodeFreeShippingCreate($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`

const deactivate = `mutation discountCodeDeactivate($id: ID!) {
  discountCodeDeactivate(id: $id) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`

const byCode = `query codeDiscountNodeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}`

// mutation is a create mutation: its text, the field it answers in and its variable.
type mutation struct{ query, field, variable string }

var (
	basic        = mutation{createBasic, "discountCodeBasicCreate", "basicCodeDiscount"}
	freeShipping = mutation{createFreeShipping, "discountCodeFreeShippingCreate", "freeShippingCodeDiscount"}
)

type mutationResult struct {
	CodeDiscountNode *struct {
		ID string `json:"id"`
	} `json:"codeDiscountNode"`
	UserErrors []userError `json:"userErrors"`
}

func (r mutationResult) err() error {
	if len(r.UserErrors) == 0 {
		return nil
	}
	u := r.UserErrors[0]
	return &shophook.CallError{Msg: fmt.Sprintf("shopify refused it: %s (%s %s)", u.Message, strings.Join(u.Field, "."), u.Code), Definite: true}
}

// taken reports whether the shop refused a code because it exists already.
func (r mutationResult) taken() bool {
	for _, u := range r.UserErrors {
		if u.Code == "TAKEN" {
			return true
		}
	}
	return false
}

// discountInput is the input of the mutation that makes coupon c's code: its code, value,
// minimum order, one use, the member alone, and its end. ok is false for coupons Shopify
// has no code for.
func discountInput(c rewards.Coupon) (m mutation, input map[string]any, ok bool) {
	in := map[string]any{
		"title":                  "Tenure reward: " + c.RewardName + " (" + c.Code + ")",
		"code":                   c.Code,
		"startsAt":               c.CreatedAt.UTC().Format(time.RFC3339),
		"endsAt":                 nil,
		"usageLimit":             1,
		"appliesOncePerCustomer": true,
		"context":                map[string]any{"all": "ALL"},
	}
	if c.ValidUntil != nil {
		in["endsAt"] = c.ValidUntil.UTC().Format(time.RFC3339)
	}
	if isNumeric(c.CustomerID) {
		in["context"] = map[string]any{"customers": map[string]any{"add": []string{"gid://shopify/Customer/" + c.CustomerID}}}
	}
	if c.MinOrder > 0 {
		in["minimumRequirement"] = map[string]any{"subtotal": map[string]any{"greaterThanOrEqualToSubtotal": tenure.FormatMoney(c.MinOrder, c.Currency)}}
	}
	items := map[string]any{"all": true}
	switch c.Type {
	case rewards.PercentDiscount:
		in["customerGets"] = map[string]any{"value": map[string]any{"percentage": percentage(c.Percent)}, "items": items}
	case rewards.FixedDiscount, rewards.PointsDiscount:
		in["customerGets"] = map[string]any{"value": map[string]any{"discountAmount": map[string]any{
			"amount": tenure.FormatMoney(c.Value, c.Currency), "appliesOnEachItem": false}}, "items": items}
	case rewards.FreeProduct:
		if !isNumeric(c.ProductID) {
			return m, nil, false
		}
		in["customerGets"] = map[string]any{"value": map[string]any{"percentage": percentage(100)},
			"items": map[string]any{"products": map[string]any{"productsToAdd": []string{"gid://shopify/Product/" + c.ProductID}}}}
	case rewards.FreeShipping:
		in["destination"] = map[string]any{"all": true}
		return freeShipping, in, true
	default:
		return m, nil, false
	}
	return basic, in, true
}

// percentage writes p percent as the fraction Shopify takes (10 -> 0.1), exactly.
func percentage(p int64) json.Number {
	if p >= 100 {
		return "1.0"
	}
	return json.Number(strings.TrimRight(fmt.Sprintf("0.%02d", p), "0"))
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// create makes coupon c's code in the shop and returns its discount id.
func (a *admin) create(ctx context.Context, c rewards.Coupon) (string, error) {
	m, in, ok := discountInput(c)
	if !ok {
		return "", errUnsupported
	}
	var out map[string]mutationResult
	if err := a.call(ctx, m.query, map[string]any{m.variable: in}, &out); err != nil {
		return "", err
	}
	r := out[m.field]
	if r.taken() {
		// Made by an earlier attempt whose answer was lost: adopt it.
		return a.find(ctx, c.Code)
	}
	if err := r.err(); err != nil {
		return "", err
	}
	if r.CodeDiscountNode == nil {
		return "", &shophook.CallError{Msg: "shopify: no discount in the answer", Definite: true}
	}
	return r.CodeDiscountNode.ID, nil
}

// find returns the id of the discount that holds code ("" when none does).
func (a *admin) find(ctx context.Context, code string) (string, error) {
	var out struct {
		Node *struct {
			ID string `json:"id"`
		} `json:"codeDiscountNodeByCode"`
	}
	if err := a.call(ctx, byCode, map[string]any{"code": code}, &out); err != nil {
		return "", err
	}
	if out.Node == nil {
		return "", nil
	}
	return out.Node.ID, nil
}

// disable deactivates discount id.
func (a *admin) disable(ctx context.Context, id string) error {
	var out map[string]mutationResult
	if err := a.call(ctx, deactivate, map[string]any{"id": id}, &out); err != nil {
		return err
	}
	return out["discountCodeDeactivate"].err()
}

var errUnsupported = errors.New("this reward type has no Shopify discount")
