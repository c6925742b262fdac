package widget

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/subscription"
)

// The member API needs a few methods of five domain services; each is declared here, as
// small as the widget uses it, with the error kinds it answers (every method may also fail
// with tenure.KindInternal). Tests can stand in for any of them.
type (
	// tokenKeys checks member tokens (service.Widget).
	tokenKeys interface {
		// Key returns what a token of the tenant is checked against: the signing secret
		// and the allowed origins. KindUnauthorized if the store has no secret yet.
		Key(ctx context.Context, tenantID string) (secret string, origins []string, err error)
		// Member finds a member by the store's customer id only. KindNotFound if the
		// customer is not enrolled.
		Member(ctx context.Context, tenantID, customerID string) (tenure.Member, error)
	}

	// memberLedger reads a member's points (service.Members).
	memberLedger interface {
		// Balance returns both wallets' balances. KindNotFound for an unknown member.
		Balance(ctx context.Context, tenantID, memberRef string) (service.Balances, error)
		// History lists a wallet's entries, newest first, a page before the cursor.
		// KindNotFound for an unknown member.
		History(ctx context.Context, tenantID, memberRef string, w tenure.Wallet, before string, limit int) ([]tenure.Entry, string, error)
		// PendingLots returns the points still pending in each of the member's lots (lot
		// id -> points). KindNotFound for an unknown member.
		PendingLots(ctx context.Context, tenantID, memberRef string) (map[string]int64, error)
	}

	// earning reads the rule set, for the ways to earn and the campaigns running now
	// (service.Rules).
	earning interface {
		// Current returns the tenant's current rule set.
		Current(ctx context.Context, tenantID string) (service.RuleSetView, error)
	}

	// catalog offers rewards and redeems them (service.Rewards).
	catalog interface {
		// Available judges every reward for the member, in catalog order.
		Available(ctx context.Context, tenantID, memberRef string) ([]service.RewardOffer, error)
		// Redeem spends points on a reward and issues a coupon; a replay with the same
		// idempotency key returns the first coupon. KindNotFound for an unknown reward,
		// KindConflict when the member may not have it (points, stock, limits, audience),
		// KindInvalid for a bad request.
		Redeem(ctx context.Context, tenantID, actor, memberRef, idemKey string, req service.RedeemRequest) (rewards.Coupon, error)
		// MemberCoupons lists the member's coupons, newest first, optionally in one
		// state. KindNotFound for an unknown member.
		MemberCoupons(ctx context.Context, tenantID, memberRef, state, before string, limit int) ([]rewards.Coupon, string, error)
		// Coupon loads a coupon by id or code. KindNotFound if there is none.
		Coupon(ctx context.Context, tenantID, ref string) (rewards.Coupon, error)
	}

	// tierStatus reads the tier ladder and a member's place on it (service.Tiers).
	tierStatus interface {
		// Config returns the tier ladder (none until one is saved).
		Config(ctx context.Context, tenantID string) (service.TierConfig, error)
		// MemberStatus returns the member's tier now, with benefits and progress.
		// KindNotFound for an unknown member.
		MemberStatus(ctx context.Context, tenantID, memberRef string) (service.TierStatus, error)
	}

	// memberSubscriptions are the member's subscriptions and their self-service actions
	// (service.Subscriptions).
	memberSubscriptions interface {
		// List lists subscriptions (here: one member's).
		List(ctx context.Context, tenantID string, f service.SubscriptionFilter) ([]subscription.Subscription, error)
		// Subscription loads one. KindNotFound if there is none.
		Subscription(ctx context.Context, tenantID, id string) (subscription.Subscription, error)
		// Act applies a customer action once per idempotency key. KindConflict when the
		// state does not allow it, KindInvalid for bad data (naming the field).
		Act(ctx context.Context, tenantID, actor, idemKey, subID, action string, req service.ActionRequest) (service.ActionResult, error)
		// SaveFlow returns the store's cancel reasons and offers.
		SaveFlow(ctx context.Context, tenantID string) (subscription.SaveFlow, error)
		// StartCancel records a reason and returns the offers that fit it. KindInvalid
		// for an unknown reason, KindConflict for an ended subscription.
		StartCancel(ctx context.Context, tenantID, actor, subID, reason string) (subscription.SaveRecord, error)
		// CancelFlow loads a cancel flow. KindNotFound if there is none.
		CancelFlow(ctx context.Context, tenantID, id string) (subscription.SaveRecord, error)
		// DecideCancel accepts an offer or cancels anyway. KindConflict if the flow ended.
		DecideCancel(ctx context.Context, tenantID, actor, idemKey, saveID string, d service.CancelDecision) (subscription.SaveRecord, error)
	}

	// tenants reads the store's program (service.Tenants).
	tenants interface {
		// Get loads a tenant. KindNotFound if there is none.
		Get(ctx context.Context, id string) (tenure.Tenant, error)
	}
)

// services are the domain services the member API calls.
type services struct {
	keys    tokenKeys
	ledger  memberLedger
	catalog catalog
	rules   earning
	tiers   tierStatus
	tenants tenants
	subs    memberSubscriptions
	clock   tenure.Clock
}

func servicesOf(svc *service.Service) services {
	return services{keys: svc.Widget, ledger: svc.Members, catalog: svc.Rewards, rules: svc.Rules, tiers: svc.Tiers, tenants: svc.Tenants,
		subs: svc.Subscriptions, clock: svc.Clock}
}
