package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
)

// operation is one operation of the OpenAPI document: its id, method and path.
type operation struct{ ID, Method, Path string }

// The operations the client offers, as docs/openapi.json names them. A test checks each
// against the document.
var (
	opCreateKey       = operation{"create-key", "POST", "/v1/keys"}
	opCreateWebhook   = operation{"create-webhook", "POST", "/v1/webhooks"}
	opCreateMember    = operation{"create-member", "POST", "/v1/members"}
	opListMembers     = operation{"list-members", "GET", "/v1/members"}
	opGetMember       = operation{"get-member", "GET", "/v1/members/{id}"}
	opUpdateMember    = operation{"update-member", "PATCH", "/v1/members/{id}"}
	opGetBalance      = operation{"get-balance", "GET", "/v1/members/{id}/balance"}
	opGetLedger       = operation{"get-ledger", "GET", "/v1/members/{id}/ledger"}
	opAdjust          = operation{"create-adjustment", "POST", "/v1/members/{id}/adjustments"}
	opSpend           = operation{"create-spend", "POST", "/v1/members/{id}/spends"}
	opIngest          = operation{"ingest-event", "POST", "/v1/events"}
	opIngestBatch     = operation{"ingest-batch", "POST", "/v1/events/batch"}
	opGetOrder        = operation{"get-order", "GET", "/v1/orders/{id}"}
	opListRewards     = operation{"list-rewards", "GET", "/v1/rewards"}
	opCreateReward    = operation{"create-reward", "POST", "/v1/rewards"}
	opRedeem          = operation{"create-redemption", "POST", "/v1/members/{id}/redemptions"}
	opMemberCoupons   = operation{"list-member-coupons", "GET", "/v1/members/{id}/coupons"}
	opGetCoupon       = operation{"get-coupon", "GET", "/v1/coupons/{id}"}
	opUseCoupon       = operation{"use-coupon", "POST", "/v1/coupons/{id}/use"}
	opCancelCoupon    = operation{"cancel-coupon", "POST", "/v1/coupons/{id}/cancel"}
	opMemberToken     = operation{"create-member-token", "POST", "/v1/widget/tokens"}
	opPutShop         = operation{"put-shop", "PUT", "/v1/shops/{platform}"}
	opShopStatus      = operation{"get-shop-status", "GET", "/v1/shops/{platform}/status"}
	operationsOffered = []operation{opCreateKey, opCreateWebhook, opCreateMember, opListMembers, opGetMember, opUpdateMember,
		opGetBalance, opGetLedger, opAdjust, opSpend, opIngest, opIngestBatch, opGetOrder, opListRewards, opCreateReward,
		opRedeem, opMemberCoupons, opGetCoupon, opUseCoupon, opCancelCoupon, opMemberToken, opPutShop, opShopStatus}
)

// page is a list answer: its items and the cursor of the next page ("" on the last).
type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// pages iterates over every item of a listed operation, fetching page after page with
// the cursor the server gives. An error ends the iteration after being yielded.
func pages[T any](ctx context.Context, c *Client, op operation, params []string, query url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		for {
			var p page[T]
			if err := c.call(ctx, op, params, q, nil, &p); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			q.Set("cursor", p.NextCursor)
		}
	}
}

// Key is an API key with its secret, shown only when it is made.
type Key struct {
	tenure.APIKey
	Secret string `json:"secret"`
}

// CreateKey issues an API key of scope (admin, integration, read_only).
func (c *Client) CreateKey(ctx context.Context, name string, scope tenure.Scope) (k Key, err error) {
	return k, c.call(ctx, opCreateKey, nil, nil, map[string]any{"name": name, "scope": scope}, &k)
}

// Webhook is an endpoint with its signing secret, shown only when it is registered.
type Webhook struct {
	tenure.Webhook
	Secret string `json:"secret"`
}

// WebhookInput registers an endpoint.
type WebhookInput struct {
	URL         string   `json:"url"`
	EventTypes  []string `json:"event_types,omitempty"`
	Description string   `json:"description,omitempty"`
}

// CreateWebhook registers a webhook endpoint.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookInput) (w Webhook, err error) {
	return w, c.call(ctx, opCreateWebhook, nil, nil, in, &w)
}

// NewMember enrols a customer under the store's id.
type NewMember struct {
	ExternalID string `json:"external_id"`
	tenure.MemberPatch
}

// CreateMember enrols a customer.
func (c *Client) CreateMember(ctx context.Context, in NewMember) (m tenure.Member, err error) {
	return m, c.call(ctx, opCreateMember, nil, nil, in, &m)
}

// Member loads a member by Tenure id or the store's customer id.
func (c *Client) Member(ctx context.Context, ref string) (m tenure.Member, err error) {
	return m, c.call(ctx, opGetMember, []string{"id", ref}, nil, nil, &m)
}

// UpdateMember changes a member's profile; nil fields are left alone.
func (c *Client) UpdateMember(ctx context.Context, ref string, patch tenure.MemberPatch) (m tenure.Member, err error) {
	return m, c.call(ctx, opUpdateMember, []string{"id", ref}, nil, patch, &m)
}

// MemberFilter narrows Members; empty fields do not filter.
type MemberFilter struct {
	Email, ExternalID, Tag, Tier, Segment string
	PageSize                              int
}

// Members iterates over the members matching f, page by page.
func (c *Client) Members(ctx context.Context, f MemberFilter) iter.Seq2[tenure.Member, error] {
	q := url.Values{}
	for k, v := range map[string]string{"email": f.Email, "external_id": f.ExternalID, "tag": f.Tag, "tier": f.Tier, "segment": f.Segment} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.PageSize > 0 {
		q.Set("limit", strconv.Itoa(f.PageSize))
	}
	return pages[tenure.Member](ctx, c, opListMembers, nil, q)
}

// Balances are a member's points and store credit.
type Balances struct {
	MemberID   string         `json:"member_id"`
	CustomerID string         `json:"customer_id"`
	Points     tenure.Balance `json:"points"`
	Credit     tenure.Balance `json:"credit"`
}

// Balance reads a member's balances.
func (c *Client) Balance(ctx context.Context, ref string) (b Balances, err error) {
	return b, c.call(ctx, opGetBalance, []string{"id", ref}, nil, nil, &b)
}

// Ledger iterates over a member's entries in wallet (points when empty), newest first.
func (c *Client) Ledger(ctx context.Context, ref string, wallet tenure.Wallet) iter.Seq2[tenure.Entry, error] {
	q := url.Values{}
	if wallet != "" {
		q.Set("wallet", string(wallet))
	}
	return pages[tenure.Entry](ctx, c, opGetLedger, []string{"id", ref}, q)
}

// LedgerOp is an adjustment or a spend.
type LedgerOp struct {
	Wallet    tenure.Wallet `json:"wallet,omitempty"`
	Amount    int64         `json:"amount"`
	Reason    string        `json:"reason,omitempty"`
	Reference string        `json:"reference,omitempty"`
}

// OpResult is the balance after an adjustment or spend and the entries it wrote.
type OpResult struct {
	Balance tenure.Balance `json:"balance"`
	Entries []tenure.Entry `json:"entries"`
}

// Adjust changes a balance by hand, with a reason. Retried calls carry the same
// Idempotency-Key, so an adjustment is applied once.
func (c *Client) Adjust(ctx context.Context, ref string, op LedgerOp) (r OpResult, err error) {
	return r, c.call(ctx, opAdjust, []string{"id", ref}, nil, op, &r)
}

// Spend spends points or credit.
func (c *Client) Spend(ctx context.Context, ref string, op LedgerOp) (r OpResult, err error) {
	return r, c.call(ctx, opSpend, []string{"id", ref}, nil, op, &r)
}

// Send records one event; sending the same event id again changes nothing and answers
// with Replay set.
func (c *Client) Send(ctx context.Context, e tenure.Event) (r tenure.EventResult, err error) {
	return r, c.call(ctx, opIngest, nil, nil, e, &r)
}

// SendBatch records up to 1000 events atomically.
func (c *Client) SendBatch(ctx context.Context, events []tenure.Event) ([]tenure.EventResult, error) {
	var out struct {
		Results []tenure.EventResult `json:"results"`
	}
	err := c.call(ctx, opIngestBatch, nil, nil, map[string]any{"events": events}, &out)
	return out.Results, err
}

// Order loads an order by Tenure id or the store's order id.
func (c *Client) Order(ctx context.Context, ref string) (o tenure.Order, err error) {
	return o, c.call(ctx, opGetOrder, []string{"id", ref}, nil, nil, &o)
}

// Rewards iterates over the reward catalogue.
func (c *Client) Rewards(ctx context.Context) iter.Seq2[rewards.Reward, error] {
	return pages[rewards.Reward](ctx, c, opListRewards, nil, nil)
}

// CreateReward adds a reward to the catalogue.
func (c *Client) CreateReward(ctx context.Context, d rewards.RewardDefinition) (r rewards.Reward, err error) {
	return r, c.call(ctx, opCreateReward, nil, nil, d, &r)
}

// Redeem spends a member's points on a reward and returns the coupon. Retried calls carry
// the same Idempotency-Key, so one redemption issues one coupon.
func (c *Client) Redeem(ctx context.Context, ref, rewardID string, points int64) (cp rewards.Coupon, err error) {
	in := map[string]any{"reward_id": rewardID}
	if points > 0 {
		in["points"] = points
	}
	return cp, c.call(ctx, opRedeem, []string{"id", ref}, nil, in, &cp)
}

// Coupons iterates over a member's coupons, newest first, in state when given.
func (c *Client) Coupons(ctx context.Context, ref string, state rewards.State) iter.Seq2[rewards.Coupon, error] {
	q := url.Values{}
	if state != "" {
		q.Set("state", string(state))
	}
	return pages[rewards.Coupon](ctx, c, opMemberCoupons, []string{"id", ref}, q)
}

// Coupon loads a coupon by id or code.
func (c *Client) Coupon(ctx context.Context, ref string) (cp rewards.Coupon, err error) {
	return cp, c.call(ctx, opGetCoupon, []string{"id", ref}, nil, nil, &cp)
}

// UseCoupon reports a coupon used on an order; orderTotal, when positive, is checked
// against its minimum order.
func (c *Client) UseCoupon(ctx context.Context, ref, orderID string, orderTotal int64) (cp rewards.Coupon, err error) {
	in := map[string]any{"order_id": orderID}
	if orderTotal > 0 {
		in["order_total"] = orderTotal
	}
	return cp, c.call(ctx, opUseCoupon, []string{"id", ref}, nil, in, &cp)
}

// CancelCoupon cancels a coupon and gives its points back.
func (c *Client) CancelCoupon(ctx context.Context, ref, reason string) (cp rewards.Coupon, err error) {
	return cp, c.call(ctx, opCancelCoupon, []string{"id", ref}, nil, map[string]any{"reason": reason}, &cp)
}

// MemberToken is a signed token for the storefront widget.
type MemberToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CreateMemberToken has Tenure sign a widget member token for customerID, valid for ttl
// (at most 24 h; 0 for an hour).
func (c *Client) CreateMemberToken(ctx context.Context, customerID string, ttl time.Duration) (t MemberToken, err error) {
	in := map[string]any{"customer_id": customerID}
	if ttl > 0 {
		in["ttl_seconds"] = int(ttl / time.Second)
	}
	return t, c.call(ctx, opMemberToken, nil, nil, in, &t)
}

// ShopSettings connect a Shopify store or WooCommerce site (see docs/integrations.md).
type ShopSettings struct {
	Domain        string `json:"domain"`
	APIURL        string `json:"api_url,omitempty"`
	WebhookSecret string `json:"webhook_secret,omitempty"`
	APIKey        string `json:"api_key,omitempty"`
	APISecret     string `json:"api_secret,omitempty"`
	SyncCodes     *bool  `json:"sync_codes,omitempty"`
}

// ConnectShop connects the tenant's shop on platform, or changes its connection.
func (c *Client) ConnectShop(ctx context.Context, platform tenure.Platform, s ShopSettings) (sc tenure.ShopConnection, err error) {
	return sc, c.call(ctx, opPutShop, []string{"platform", string(platform)}, nil, s, &sc)
}

// ShopStatus is a connection's latest deliveries, mapping failures and codes.
type ShopStatus struct {
	Connection tenure.ShopConnection `json:"connection"`
	Deliveries []tenure.ShopDelivery `json:"deliveries"`
	Failures   []tenure.ShopDelivery `json:"failures"`
	Codes      []tenure.ShopCode     `json:"codes"`
}

// ShopStatus reads a connection's status view.
func (c *Client) ShopStatus(ctx context.Context, platform tenure.Platform) (st ShopStatus, err error) {
	return st, c.call(ctx, opShopStatus, []string{"platform", string(platform)}, nil, nil, &st)
}
