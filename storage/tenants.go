package storage

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
)

// CreateTenant stores a new tenant with the given program.
func (tx *Tx) CreateTenant(ctx context.Context, name string, p tenure.Program) (tenure.Tenant, error) {
	t := tenure.Tenant{ID: tx.NewID(tenure.PrefixTenant), Name: name, Program: p, CreatedAt: tx.Now}
	_, err := tx.exec(ctx, `INSERT INTO tenants (id, name, program, created_at) VALUES ($1, $2, $3, $4)`,
		t.ID, t.Name, tenure.MarshalProgram(p), ts(t.CreatedAt))
	return t, err
}

// Tenant loads a tenant; KindNotFound if absent.
func (tx *Tx) Tenant(ctx context.Context, id string) (tenure.Tenant, error) {
	var t tenure.Tenant
	var prog string
	var created int64
	err := tx.queryRow(ctx, `SELECT id, name, program, created_at FROM tenants WHERE id = $1`, id).Scan(&t.ID, &t.Name, &prog, &created)
	if isNoRows(err) {
		return t, tenure.NotFound("storage.Tenant", "tenant", id)
	}
	if err != nil {
		return t, err
	}
	t.CreatedAt = fromTS(created)
	t.Program, err = tenure.UnmarshalProgram(prog)
	return t, err
}

// Tenants lists all tenants, oldest first.
func (tx *Tx) Tenants(ctx context.Context) ([]tenure.Tenant, error) {
	rows, err := tx.query(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]tenure.Tenant, 0, len(ids))
	for _, id := range ids {
		t, err := tx.Tenant(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// SetProgram replaces a tenant's program settings.
func (tx *Tx) SetProgram(ctx context.Context, tenantID string, p tenure.Program) error {
	_, err := tx.exec(ctx, `UPDATE tenants SET program = $1 WHERE id = $2`, tenure.MarshalProgram(p), tenantID)
	return err
}

// CreateKey stores a key's hash; the secret itself is never stored.
func (tx *Tx) CreateKey(ctx context.Context, tenantID, name string, scope tenure.Scope, secret string) (tenure.APIKey, error) {
	k := tenure.APIKey{ID: tx.NewID(tenure.PrefixKey), TenantID: tenantID, Name: name, Scope: scope,
		Hint: secret[:10], CreatedAt: tx.Now}
	_, err := tx.exec(ctx, `INSERT INTO api_keys (id, tenant_id, name, scope, hash, hint, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.TenantID, k.Name, string(k.Scope), tenure.HashSecret(secret), k.Hint, ts(k.CreatedAt))
	return k, err
}

const keyCols = `id, tenant_id, name, scope, hint, created_at, revoked_at`

func scanKey(s interface{ Scan(...any) error }) (tenure.APIKey, error) {
	var k tenure.APIKey
	var scope string
	var created int64
	var revoked sql.NullInt64
	err := s.Scan(&k.ID, &k.TenantID, &k.Name, &scope, &k.Hint, &created, &revoked)
	k.Scope, k.CreatedAt, k.RevokedAt = tenure.Scope(scope), fromTS(created), fromNTS(revoked)
	return k, err
}

// KeyBySecret finds the key whose hash matches secret; KindUnauthorized if none or revoked.
func (tx *Tx) KeyBySecret(ctx context.Context, secret string) (tenure.APIKey, error) {
	k, err := scanKey(tx.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = $1`, tenure.HashSecret(secret)))
	if isNoRows(err) || (err == nil && k.RevokedAt != nil) {
		return k, tenure.Errorf(tenure.KindUnauthorized, "auth", "unknown or revoked API key")
	}
	return k, err
}

// Keys lists a tenant's keys.
func (tx *Tx) Keys(ctx context.Context, tenantID string) ([]tenure.APIKey, error) {
	rows, err := tx.query(ctx, `SELECT `+keyCols+` FROM api_keys WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanKey)
}

// RevokeKey marks a key revoked; KindNotFound if the tenant has no such key.
func (tx *Tx) RevokeKey(ctx context.Context, tenantID, id string) (tenure.APIKey, error) {
	k, err := scanKey(tx.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if isNoRows(err) {
		return k, tenure.NotFound("storage.RevokeKey", "key", id)
	}
	if err != nil || k.RevokedAt != nil {
		return k, err
	}
	now := tx.Now
	k.RevokedAt = &now
	_, err = tx.exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, ts(now), id)
	return k, err
}

// Audit appends an entry to the tenant's audit log.
func (tx *Tx) Audit(ctx context.Context, tenantID, actor, action, targetType, targetID string, details map[string]any) error {
	b, _ := json.Marshal(details)
	_, err := tx.exec(ctx, `INSERT INTO audit_log (id, tenant_id, actor, action, target_type, target_id, details, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tx.NewID(tenure.PrefixAudit), tenantID, actor, action, targetType, targetID, string(b), ts(tx.Now))
	return err
}

// AuditLog lists a tenant's audit entries, newest first, before the cursor id.
func (tx *Tx) AuditLog(ctx context.Context, tenantID, before string, limit int) ([]tenure.AuditEntry, error) {
	if before == "" {
		before = "~"
	}
	rows, err := tx.query(ctx, `SELECT id, actor, action, target_type, target_id, details, created_at FROM audit_log
		WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, tenantID, before, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (tenure.AuditEntry, error) {
		var a tenure.AuditEntry
		var details string
		var created int64
		if err := s.Scan(&a.ID, &a.Actor, &a.Action, &a.TargetType, &a.TargetID, &details, &created); err != nil {
			return a, err
		}
		a.CreatedAt = fromTS(created)
		return a, json.Unmarshal([]byte(details), &a.Details)
	})
}
