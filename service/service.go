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

// Service is the application layer over one database.
type Service struct {
	DB    *storage.DB
	Clock tenure.Clock
	Log   *slog.Logger
	// MemberTier, when set, returns a member's current tier key for the earning rules
	// (member.tier in conditions, tier multipliers).
	MemberTier func(ctx context.Context, tx *storage.Tx, tenantID, memberID string) (string, error)
	// Metrics, when set, is told what the service did.
	Metrics Observer
	// Limiter, when set, limits API requests per key (the API asks it after
	// authenticating a request).
	Limiter *RateLimiter

	// changes feeds the caches below; they are used only while it is live.
	changes    ChangeFeed
	keys       entryCache[tenure.APIKey] // secret hash -> key
	widgetKeys entryCache[widgetKey]     // tenant id -> widget secret and origins
	ruleCache  ruleCache
	balances   balanceCache
	snapshots  snapshotCache
	// jobRunners run the job kinds of domain services built on this one (subscriptions);
	// each reports whether the kind was its own.
	jobRunners []func(ctx context.Context, tx *storage.Tx, j storage.Job) (handled bool, err error)
	// subscriptions is the subscription service over this one (SubscriptionsOf).
	subscriptions *Subscriptions
	// snapshotHook, when set (by tests), is called with the computation's context before
	// each member's orders are counted.
	snapshotHook func(ctx context.Context)
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
	s := &Service{DB: db, Clock: db.Clock(), Log: log, changes: db,
		keys: entryCache[tenure.APIKey]{ttl: KeyCacheTTL, max: 100_000}, widgetKeys: entryCache[widgetKey]{ttl: WidgetKeyCacheTTL, max: 100_000}}
	db.Subscribe(s.invalidate)
	s.MemberTier = func(ctx context.Context, tx *storage.Tx, tenantID, memberID string) (string, error) {
		key, _, err := s.TierOf(ctx, tx, tenantID, memberID)
		return key, err
	}
	return s
}

// CreateTenant creates a tenant with the default program and an admin key, returning the
// key's secret (shown once).
func (s *Service) CreateTenant(ctx context.Context, name string) (tenure.Tenant, string, error) {
	var t tenure.Tenant
	secret := tenure.NewSecret()
	err := s.DB.Write(ctx, func(tx *storage.Tx) error {
		var err error
		if t, err = tx.CreateTenant(ctx, name, tenure.DefaultProgram()); err != nil {
			return err
		}
		k, err := tx.CreateKey(ctx, t.ID, "initial admin key", tenure.ScopeAdmin, secret)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, t.ID, "system", "tenant.created", "key", k.ID, map[string]any{"name": name})
	})
	return t, secret, err
}

// Tenant loads a tenant.
func (s *Service) Tenant(ctx context.Context, id string) (t tenure.Tenant, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { t, err = tx.Tenant(ctx, id); return err })
	return t, err
}

// Tenants lists every tenant.
func (s *Service) Tenants(ctx context.Context) (ts []tenure.Tenant, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { ts, err = tx.Tenants(ctx); return err })
	return ts, err
}

// UpdateProgram validates and stores a tenant's program settings.
func (s *Service) UpdateProgram(ctx context.Context, tenantID, actor string, p tenure.Program) (tenure.Program, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := s.DB.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.SetProgram(ctx, tenantID, p); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "program.updated", "tenant", tenantID, map[string]any{"program": p})
	})
	return p, err
}

// CreateKey issues a new key and returns its secret, which is never shown again.
func (s *Service) CreateKey(ctx context.Context, tenantID, actor, name string, scope tenure.Scope) (k tenure.APIKey, secret string, err error) {
	var probs tenure.Problems
	if !scope.Valid() {
		probs.Add("scope", "must be admin, integration or read_only")
	}
	if name == "" || len(name) > 128 {
		probs.Add("name", "must be 1 to 128 characters")
	}
	if err := probs.Err("service.CreateKey"); err != nil {
		return k, "", err
	}
	secret = tenure.NewSecret()
	err = s.DB.Write(ctx, func(tx *storage.Tx) error {
		if k, err = tx.CreateKey(ctx, tenantID, name, scope, secret); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "key.created", "key", k.ID, map[string]any{"scope": scope, "name": name})
	})
	return k, secret, err
}

// Keys lists a tenant's keys (never their secrets).
func (s *Service) Keys(ctx context.Context, tenantID string) (ks []tenure.APIKey, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { ks, err = tx.Keys(ctx, tenantID); return err })
	return ks, err
}

// RevokeKey revokes a key. It is refused by this node once RevokeKey returns, and by
// every other node as soon as the commit's notification reaches it (PostgreSQL).
func (s *Service) RevokeKey(ctx context.Context, tenantID, actor, id string) (k tenure.APIKey, err error) {
	err = s.DB.Write(ctx, func(tx *storage.Tx) error {
		if k, err = tx.RevokeKey(ctx, tenantID, id); err != nil {
			return err
		}
		tx.Notify(storage.Change{Kind: storage.ChangeKey, ID: id})
		return tx.Audit(ctx, tenantID, actor, "key.revoked", "key", id, nil)
	})
	return k, err
}

// Authenticate returns the key a secret belongs to; KindUnauthorized if unknown or revoked.
func (s *Service) Authenticate(ctx context.Context, secret string) (tenure.APIKey, error) {
	h := tenure.HashSecret(secret)
	now := time.Now()
	live := s.changes.Live()
	k, gen, ok := s.keys.get(h, now)
	if ok && live {
		return k, nil
	}
	err := s.DB.Read(ctx, func(tx *storage.Tx) (err error) { k, err = tx.KeyBySecret(ctx, secret); return err })
	if err != nil {
		return k, err
	}
	if live {
		s.keys.put(h, k, now, gen)
	}
	return k, nil
}

// AuditLog lists a tenant's audit entries, newest first.
func (s *Service) AuditLog(ctx context.Context, tenantID, before string, limit int) (out []tenure.AuditEntry, err error) {
	err = s.DB.Read(ctx, func(tx *storage.Tx) error { out, err = tx.AuditLog(ctx, tenantID, before, limit); return err })
	return out, err
}
