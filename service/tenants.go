package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Create creates a tenant with the default program and an admin key, returning the
// key's secret (shown once).
func (s *Tenants) Create(ctx context.Context, name string) (tenure.Tenant, string, error) {
	var t tenure.Tenant
	secret := tenure.NewSecret()
	err := s.db.Write(ctx, func(tx *storage.Tx) error {
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

// Get loads a tenant.
func (s *Tenants) Get(ctx context.Context, id string) (t tenure.Tenant, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { t, err = tx.Tenant(ctx, id); return err })
	return t, err
}

// List lists every tenant.
func (s *Tenants) List(ctx context.Context) (ts []tenure.Tenant, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { ts, err = tx.Tenants(ctx); return err })
	return ts, err
}

// ProgramView is a tenant's program settings with their version, for an editor to save
// over (the API's ETag).
type ProgramView struct {
	Version int64          `json:"version"`
	Program tenure.Program `json:"program"`
}

// Program returns a tenant's program settings and their version (0 until first saved).
// KindNotFound for an unknown tenant.
func (s *Tenants) Program(ctx context.Context, tenantID string) (v ProgramView, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, tenantID)
		if err != nil {
			return err
		}
		v.Program = t.Program
		v.Version, err = tx.ConfigVersion(ctx, tenantID, storage.VersionProgram, "")
		return err
	})
	return v, err
}

// UpdateProgram validates and stores a tenant's program settings, whatever their version.
func (s *Tenants) UpdateProgram(ctx context.Context, tenantID, actor string, p tenure.Program) (tenure.Program, error) {
	v, err := s.UpdateProgramIf(ctx, tenantID, actor, AnyVersion, p)
	return v.Program, err
}

// UpdateProgramIf validates and stores a tenant's program settings only if their version
// is still base (the one the editor started from): KindConflict, and nothing written, when
// someone saved them since. KindInvalid names the offending fields.
func (s *Tenants) UpdateProgramIf(ctx context.Context, tenantID, actor string, base int64, p tenure.Program) (v ProgramView, err error) {
	if err := p.Validate(); err != nil {
		return v, err
	}
	v.Program = p
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if v.Version, err = bumpVersion(ctx, tx, tenantID, storage.VersionProgram, "", base, "the program settings"); err != nil {
			return err
		}
		if err := tx.SetProgram(ctx, tenantID, p); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "program.updated", "tenant", tenantID, map[string]any{"program": p, "version": v.Version})
	})
	return v, err
}

// AuditLog lists a tenant's audit entries, newest first.
func (s *Tenants) AuditLog(ctx context.Context, tenantID, before string, limit int) (out []tenure.AuditEntry, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { out, err = tx.AuditLog(ctx, tenantID, before, limit); return err })
	return out, err
}
