// Package service is Tenure's shell: it loads state in a transaction, asks the pure
// decision core (package ledger) what to do, and writes everything it decided (entries,
// balances, orders, outbox messages, jobs, the idempotency record) in that one
// transaction. HTTP handlers and CLI commands call it; it knows nothing of either.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Service is the application layer over one database: one domain service per room of
// the program, all sharing one database, clock, log and set of caches. Adapters call the
// domain services (svc.Rewards.Create, svc.Intake.Ingest, ...); the methods on Service
// itself run the background work every domain shares (due jobs, scheduled member dates,
// the ledger check) and stop it (Close).
type Service struct {
	*core

	Members  *Members  // members, their balances, history, orders and events
	Intake   *Intake   // the write path: events, spends, adjustments, transfers, imports
	Rules    *Rules    // the earning rule set, its versions, evaluation and backtests
	Rewards  *Rewards  // the reward catalogue, redemption and coupons
	Tiers    *Tiers    // the tier ladder and members' tier status
	Segments *Segments // segment definitions and their members
	Reports  *Reports  // analytics, the overview, snapshots, lift and exports
	Access   *Access   // staff accounts and sessions, API keys, failure counts
	Webhooks *Webhooks // webhook endpoints, deliveries and messages
	Widget   *Widget   // the shopper widget's settings and members
	Tenants  *Tenants  // tenants, program settings and the audit log
	Shops    *Shops    // Shopify and WooCommerce connections, their webhooks and codes
	Flows    *Flows    // engagement flows, their runs, messages, consent and the contact budget
	// Subscriptions: plans, subscriptions, renewals, payments, dunning and the save flow.
	Subscriptions *Subscriptions
}

// The domain services. Each is a view of the same shared state; an operation that spans
// two (a redemption that books points) calls the other through core.svc.
type (
	Members  struct{ *core }
	Intake   struct{ *core }
	Rules    struct{ *core }
	Rewards  struct{ *core }
	Tiers    struct{ *core }
	Segments struct{ *core }
	Reports  struct{ *core }
	Access   struct{ *core }
	Webhooks struct{ *core }
	Widget   struct{ *core }
	Tenants  struct{ *core }
)

// core is the state the domain services share, and the helpers more than one uses.
type core struct {
	db    *storage.DB
	Clock tenure.Clock
	Log   *slog.Logger
	// Metrics, when set, is told what the service did.
	Metrics Observer
	// Limiter, when set, limits API requests per key (the API asks it after
	// authenticating a request).
	Limiter *RateLimiter

	// svc reaches the other domain services.
	svc *Service

	// changes feeds the caches below; they are used only while it is live.
	changes    changeFeed
	keys       entryCache[tenure.APIKey] // secret hash -> key
	widgetKeys entryCache[widgetKey]     // tenant id -> widget secret and origins
	ruleCache  ruleCache
	balances   balanceCache
	snapshots  snapshotCache
	// snapshotHook, when set (by tests), is called with the computation's context before
	// each member's orders are counted.
	snapshotHook func(ctx context.Context)
	// segmentHook, when set (by tests), is called inside a segment refresh's read
	// transaction, before the members are matched.
	segmentHook func(ctx context.Context)
	// leaseBeat is how often a long job renews its lease while it computes.
	leaseBeat time.Duration
}

// Observer receives counts for monitoring.
type Observer interface {
	EventIngested(t tenure.EventType, outcome string)
	LedgerEntries(n int)
}

// KeyCacheTTL is a backstop: a revocation drops the key from every node's cache as soon as
// its notification arrives. Only a revocation no node hears of (the CLI against a SQLite
// file another process serves) waits for the TTL.
const KeyCacheTTL = 5 * time.Second

// New returns a service over db.
func New(db *storage.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &core{db: db, Clock: db.Clock(), Log: log, changes: db, leaseBeat: JobLease / 3,
		keys: entryCache[tenure.APIKey]{ttl: KeyCacheTTL, max: 100_000}, widgetKeys: entryCache[widgetKey]{ttl: WidgetKeyCacheTTL, max: 100_000}}
	s := &Service{core: c,
		Members: &Members{c}, Intake: &Intake{c}, Rules: &Rules{c}, Rewards: &Rewards{c}, Tiers: &Tiers{c},
		Segments: &Segments{c}, Reports: &Reports{c}, Access: &Access{c}, Webhooks: &Webhooks{c}, Widget: &Widget{c},
		Tenants: &Tenants{c}, Shops: &Shops{c}, Subscriptions: newSubscriptions(c), Flows: newFlows(c)}
	c.svc = s
	db.Subscribe(s.invalidate)
	return s
}
