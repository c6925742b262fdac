// Package rewards is the pure decision core of the rewards catalog: what a reward is and
// whether it is valid, whether a member may redeem it now and what that costs, which code a
// coupon gets from a pattern, and how a coupon moves through its lifecycle
// (issued -> used, issued -> expired, and issued/used/expired -> cancelled).
//
// Nothing here does I/O or reads a clock: the shell (package service) loads the reward, the
// member's profile, balance and coupons in one transaction, asks Decide, and writes what
// it decided — ledger entries through the ledger Book, the coupon, the stock, an outbox
// message and an audit entry — in that same transaction.
package rewards

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenure-loyalty/tenure"
)

// ID prefixes of rewards and coupons.
const (
	PrefixReward = "rwd"
	PrefixCoupon = "cpn"
)

// Type says what a member gets for the points.
type Type string

// Reward types.
const (
	PercentDiscount Type = "percent_discount" // Percent off an order
	FixedDiscount   Type = "fixed_discount"   // Value (minor units) off an order
	FreeShipping    Type = "free_shipping"    // shipping at no cost
	FreeProduct     Type = "free_product"     // ProductID at no cost
	StoreCredit     Type = "store_credit"     // Value credited to the member's credit wallet at once
	PointsDiscount  Type = "points_discount"  // pay with points: every Cost points give Value off
	Custom          Type = "custom"           // anything else, fulfilled by the store on reward.redeemed
)

// Types lists every reward type.
var Types = []Type{PercentDiscount, FixedDiscount, FreeShipping, FreeProduct, StoreCredit, PointsDiscount, Custom}

// Code sources.
const (
	CodesPattern = "pattern" // codes generated from CodePattern
	CodesPool    = "pool"    // codes taken from a pool the store uploaded, each used once
)

// Limits on catalog input.
const (
	MaxAudience  = 50   // tiers or segments per reward
	MaxValidDays = 3650 // coupon validity
	MaxPoolBatch = 10000
)

// RewardDefinition is what the store sets for a reward (named in full because the OpenAPI
// document names schemas by type name). Stock, when present, is the number of coupons that
// may still be issued; cancelling a coupon puts its unit back.
type RewardDefinition struct {
	Name              string     `json:"name" minLength:"1" maxLength:"128"`
	Description       string     `json:"description,omitempty" maxLength:"1000"`
	Type              Type       `json:"type" enum:"percent_discount,fixed_discount,free_shipping,free_product,store_credit,points_discount,custom"`
	Cost              int64      `json:"cost" doc:"Points the reward costs; for points_discount, the points of one step"`
	Percent           int64      `json:"percent,omitempty" doc:"For percent_discount: 1 to 100"`
	Value             int64      `json:"value,omitempty" doc:"Minor units: the fixed discount, the store credit, the money off per step of points_discount, or a free product's shelf value"`
	ProductID         string     `json:"product_id,omitempty" maxLength:"128" doc:"For free_product: the store's product id"`
	MaxPoints         int64      `json:"max_points,omitempty" doc:"For points_discount: the most points one redemption may convert; 0 for no limit"`
	AvailableFrom     *time.Time `json:"available_from,omitempty" doc:"Redeemable from this instant"`
	AvailableUntil    *time.Time `json:"available_until,omitempty" doc:"Redeemable until this instant (exclusive)"`
	Stock             *int64     `json:"stock,omitempty" doc:"Coupons that may still be issued; absent for unlimited"`
	PerMemberLimit    int64      `json:"per_member_limit,omitempty" doc:"Coupons one member may hold, cancelled ones not counted; 0 for no limit"`
	Tiers             []string   `json:"tiers,omitempty" maxItems:"50" doc:"Tiers that may see the reward; empty for all"`
	Segments          []string   `json:"segments,omitempty" maxItems:"50" doc:"Segments that may see the reward (a member needs one of them); empty for all"`
	SubscriptionPlans []string   `json:"subscription_plans,omitempty" maxItems:"50" doc:"Keys of subscription plans whose subscribers may see the reward (exclusive rewards); empty for all"`
	ValidDays         int        `json:"valid_days,omitempty" doc:"Days an issued coupon stays valid; 0 for no expiry"`
	MinOrder          int64      `json:"min_order,omitempty" doc:"Minimum order (minor units) the coupon may be used on"`
	CodeSource        string     `json:"code_source,omitempty" enum:"pattern,pool" doc:"Where coupon codes come from; default pattern"`
	CodePattern       string     `json:"code_pattern,omitempty" maxLength:"64" doc:"For pattern codes: # a digit, ? a letter, * a letter or digit, A-Z 0-9 - _ as they are; at least 32 random bits. Default ********"`
	ReturnOnExpiry    bool       `json:"return_points_on_expiry,omitempty" doc:"Give the points back when a coupon expires unused"`
}

// Reward is a catalog entry as stored: the store's definition and what Tenure counts.
type Reward struct {
	ID string `json:"id"`
	RewardDefinition
	Issued         int64      `json:"issued" doc:"Coupons issued so far, cancelled ones included"`
	CodesAvailable *int64     `json:"codes_available,omitempty" doc:"For pool codes: unused codes left"`
	ArchivedAt     *time.Time `json:"archived_at,omitempty" doc:"Archived rewards are no longer redeemable; their coupons live on"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Version        int64      `json:"version" doc:"Goes up with every change of the definition; send it as If-Match to update only this version"`
}

// Normalize fills defaults and tidies free text and audience lists.
func (d *RewardDefinition) Normalize() {
	d.Name = strings.TrimSpace(d.Name)
	d.Description = strings.TrimSpace(d.Description)
	if d.CodeSource == "" {
		d.CodeSource = CodesPattern
	}
	if d.CodeSource == CodesPattern && d.CodePattern == "" {
		d.CodePattern = DefaultPattern
	}
	d.CodePattern = strings.ToUpper(d.CodePattern)
	d.Tiers, d.Segments, d.SubscriptionPlans = normalizeKeys(d.Tiers), normalizeKeys(d.Segments), normalizeKeys(d.SubscriptionPlans)
}

func normalizeKeys(in []string) []string {
	var out []string
	for _, k := range in {
		k = strings.ToLower(strings.TrimSpace(k))
		if k != "" && !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// Validate normalizes d and checks it, naming every offending field.
func (d *RewardDefinition) Validate() error {
	d.Normalize()
	var p tenure.Problems
	if d.Name == "" || utf8.RuneCountInString(d.Name) > 128 {
		p.Add("name", "must be 1 to 128 characters")
	}
	if utf8.RuneCountInString(d.Description) > 1000 {
		p.Add("description", "must be at most 1000 characters")
	}
	if !contains(Types, d.Type) {
		p.Add("type", "must be one of %s", joinTypes())
	}
	switch {
	case d.Cost < 0:
		p.Add("cost", "must not be negative")
	case d.Cost > tenure.MaxMoney:
		p.Add("cost", "must be at most %d", int64(tenure.MaxMoney))
	case d.Type == PointsDiscount && d.Cost == 0:
		p.Add("cost", "must be at least 1: the points of one step")
	}
	switch {
	case d.Type == PercentDiscount && (d.Percent < 1 || d.Percent > 100):
		p.Add("percent", "must be between 1 and 100")
	case d.Type != PercentDiscount && d.Percent != 0:
		p.Add("percent", "is only for percent_discount")
	}
	needsValue := d.Type == FixedDiscount || d.Type == StoreCredit || d.Type == PointsDiscount
	switch {
	case d.Value < 0 || d.Value > tenure.MaxMoney:
		p.Add("value", "must be between 0 and %d", int64(tenure.MaxMoney))
	case needsValue && d.Value == 0:
		p.Add("value", "must be positive for %s", d.Type)
	}
	if d.Type == FreeProduct && strings.TrimSpace(d.ProductID) == "" {
		p.Add("product_id", "is required for free_product")
	}
	if len(d.ProductID) > 128 {
		p.Add("product_id", "must be at most 128 characters")
	}
	switch {
	case d.MaxPoints < 0:
		p.Add("max_points", "must not be negative")
	case d.MaxPoints > 0 && d.Type != PointsDiscount:
		p.Add("max_points", "is only for points_discount")
	case d.MaxPoints > 0 && d.MaxPoints < d.Cost:
		p.Add("max_points", "must be at least cost (%d)", d.Cost)
	}
	if d.AvailableFrom != nil && d.AvailableUntil != nil && !d.AvailableUntil.After(*d.AvailableFrom) {
		p.Add("available_until", "must be after available_from")
	}
	if d.Stock != nil && (*d.Stock < 0 || *d.Stock > tenure.MaxMoney) {
		p.Add("stock", "must be between 0 and %d", int64(tenure.MaxMoney))
	}
	if d.PerMemberLimit < 0 || d.PerMemberLimit > 1_000_000 {
		p.Add("per_member_limit", "must be between 0 and 1000000")
	}
	checkAudience(&p, "tiers", d.Tiers)
	checkAudience(&p, "segments", d.Segments)
	checkAudience(&p, "subscription_plans", d.SubscriptionPlans)
	if d.ValidDays < 0 || d.ValidDays > MaxValidDays {
		p.Add("valid_days", "must be between 0 and %d", MaxValidDays)
	}
	if d.MinOrder < 0 || d.MinOrder > tenure.MaxMoney {
		p.Add("min_order", "must be between 0 and %d", int64(tenure.MaxMoney))
	}
	switch d.CodeSource {
	case CodesPattern:
		if msg := CheckPattern(d.CodePattern); msg != "" {
			p.Add("code_pattern", "%s", msg)
		}
	case CodesPool:
		if d.CodePattern != "" {
			p.Add("code_pattern", "is only for code_source pattern")
		}
	default:
		p.Add("code_source", "must be pattern or pool")
	}
	return p.Err("rewards.Validate")
}

func checkAudience(p *tenure.Problems, field string, keys []string) {
	if len(keys) > MaxAudience {
		p.Add(field, "at most %d", MaxAudience)
	}
	for i, k := range keys {
		if len(k) > 64 {
			p.Add(field+"["+strconv.Itoa(i)+"]", "must be at most 64 characters")
		}
	}
}

func joinTypes() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
