package service

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// CreateKey issues a new key and returns its secret, which is never shown again.
func (s *Access) CreateKey(ctx context.Context, tenantID, actor, name string, scope tenure.Scope) (k tenure.APIKey, secret string, err error) {
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
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if k, err = tx.CreateKey(ctx, tenantID, name, scope, secret); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "key.created", "key", k.ID, map[string]any{"scope": scope, "name": name})
	})
	return k, secret, err
}

// Keys lists a tenant's keys (never their secrets).
func (s *Access) Keys(ctx context.Context, tenantID string) (ks []tenure.APIKey, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { ks, err = tx.Keys(ctx, tenantID); return err })
	return ks, err
}

// RevokeKey revokes a key. It is refused by this node once RevokeKey returns, and by
// every other node as soon as the commit's notification reaches it (PostgreSQL).
func (s *Access) RevokeKey(ctx context.Context, tenantID, actor, id string) (k tenure.APIKey, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if k, err = tx.RevokeKey(ctx, tenantID, id); err != nil {
			return err
		}
		tx.Notify(storage.Change{Kind: storage.ChangeKey, ID: id})
		return tx.Audit(ctx, tenantID, actor, "key.revoked", "key", id, nil)
	})
	return k, err
}

// Authenticate returns the key a secret belongs to; KindUnauthorized if unknown or revoked.
func (s *Access) Authenticate(ctx context.Context, secret string) (tenure.APIKey, error) {
	h := tenure.HashSecret(secret)
	now := time.Now()
	live := s.changes.Live()
	k, gen, ok := s.keys.get(h, now)
	if ok && live {
		return k, nil
	}
	err := s.db.Read(ctx, func(tx *storage.Tx) (err error) { k, err = tx.KeyBySecret(ctx, secret); return err })
	if err != nil {
		return k, err
	}
	if live {
		s.keys.put(h, k, now, gen)
	}
	return k, nil
}
