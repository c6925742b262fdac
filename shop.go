package tenure

import (
	"net/url"
	"strings"
	"time"
)

// Platform names a shop system Tenure connects to.
type Platform string

// The platforms Tenure has adapters for.
const (
	Shopify     Platform = "shopify"
	WooCommerce Platform = "woocommerce"
)

// PrefixShop begins the id of a shop connection.
const PrefixShop = "shp"

// ShopConnection is a tenant's link to its Shopify store or WooCommerce site: where the
// shop's webhooks are checked against, and the credentials Tenure calls the shop's API
// with. The credentials are never returned by the API once stored.
type ShopConnection struct {
	ID       string   `json:"id"`
	Platform Platform `json:"platform" enum:"shopify,woocommerce"`
	// Domain is the shop's address: example.myshopify.com, or the WooCommerce site's host.
	Domain string `json:"domain"`
	// APIURL is the base the shop's API is called at (https://<domain> unless set).
	APIURL   string `json:"api_url"`
	SyncCode bool   `json:"sync_codes" doc:"Create each redeemed coupon's code in the shop, and disable it when the coupon is cancelled or expires"`
	// Status is active, or uninstalled once the shop removed the app.
	Status string `json:"status" enum:"active,uninstalled"`
	// WebhookPath is where the shop sends its webhooks, under Tenure's public URL.
	WebhookPath string    `json:"webhook_path" doc:"Where the shop sends its webhooks, under Tenure's public URL"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Credentials, kept sealed at rest; the adapters read them, the API never shows them.
	WebhookSecret string `json:"-"`
	APIKey        string `json:"-"` // Shopify: the Admin API access token; WooCommerce: the consumer key
	APISecret     string `json:"-"` // WooCommerce: the consumer secret
}

// ShopWebhookPath is where a connection receives its shop's webhooks.
func ShopWebhookPath(p Platform, id string) string { return "/" + string(p) + "/" + id + "/webhooks" }

// ShopDelivery is one webhook a shop sent and what Tenure made of it.
type ShopDelivery struct {
	ID         string    `json:"id" doc:"The platform's delivery id (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID)"`
	Topic      string    `json:"topic"`
	ResourceID string    `json:"resource_id,omitempty" doc:"The order, refund or customer the webhook was about"`
	Outcome    string    `json:"outcome" enum:"applied,skipped,failed"`
	Detail     string    `json:"detail,omitempty" doc:"Why it was skipped or failed, or what it did"`
	Events     int       `json:"events" doc:"Tenure events it produced"`
	ReceivedAt time.Time `json:"received_at"`
}

// ShopCode is a coupon's code as mirrored into a shop.
type ShopCode struct {
	CouponID  string    `json:"coupon_id"`
	Code      string    `json:"code"`
	Want      string    `json:"want" enum:"active,disabled"`
	State     string    `json:"state" enum:"none,active,disabled,unsupported"`
	RemoteID  string    `json:"remote_id,omitempty" doc:"The shop's id of the discount or coupon"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Delivery outcomes of a shop webhook.
const (
	ShopApplied = "applied"
	ShopSkipped = "skipped"
	ShopFailed  = "failed"
)

// ValidateShop checks a connection's platform, domain and API address.
func ValidateShop(c *ShopConnection) error {
	var p Problems
	if c.Platform != Shopify && c.Platform != WooCommerce {
		p.Add("platform", "must be shopify or woocommerce")
	}
	c.Domain = strings.ToLower(strings.TrimSpace(c.Domain))
	switch {
	case c.Domain == "" || len(c.Domain) > 253 || strings.ContainsAny(c.Domain, "/?#@ :"):
		p.Add("domain", "must be a host name like example.myshopify.com")
	case c.Platform == Shopify && !strings.HasSuffix(c.Domain, ".myshopify.com"):
		p.Add("domain", "must be the shop's myshopify.com domain, like example.myshopify.com")
	}
	if c.APIURL == "" && c.Domain != "" {
		c.APIURL = "https://" + c.Domain
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.Add("api_url", "must be an absolute http(s) URL")
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.WebhookSecret == "" || len(c.WebhookSecret) > 512 {
		p.Add("webhook_secret", "is required (at most 512 characters)")
	}
	if len(c.APIKey) > 512 {
		p.Add("api_key", "at most 512 characters")
	}
	if len(c.APISecret) > 512 {
		p.Add("api_secret", "at most 512 characters")
	}
	if c.SyncCode && c.APIKey == "" {
		p.Add("api_key", "is required to create codes in the shop")
	}
	if c.SyncCode && c.Platform == WooCommerce && c.APISecret == "" {
		p.Add("api_secret", "is required to create coupons in WooCommerce")
	}
	return p.Err("tenure.ValidateShop")
}
