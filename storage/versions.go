package storage

import (
	"context"
	"encoding/json"

	"github.com/tenure-loyalty/tenure/tiers"
)

// Kinds of configuration with a version in config_versions.
const (
	VersionProgram = "program" // ref is empty
	VersionReward  = "reward"  // ref is the reward id
	VersionSegment = "segment" // ref is the segment key
)

// AnyVersion as a base saves whatever the current version is.
const AnyVersion int64 = -1

// ConfigVersion returns the version of a piece of configuration: 0 until first saved.
func (tx *Tx) ConfigVersion(ctx context.Context, tenantID, kind, ref string) (int64, error) {
	var v int64
	err := tx.queryRow(ctx, `SELECT version FROM config_versions WHERE tenant_id = $1 AND kind = $2 AND ref = $3`, tenantID, kind, ref).Scan(&v)
	if isNoRows(err) {
		return 0, nil
	}
	return v, err
}

// ConfigVersions returns the versions of every saved piece of one kind, by ref.
func (tx *Tx) ConfigVersions(ctx context.Context, tenantID, kind string) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT ref, version FROM config_versions WHERE tenant_id = $1 AND kind = $2`, tenantID, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var ref string
		var v int64
		if err := rows.Scan(&ref, &v); err != nil {
			return nil, err
		}
		out[ref] = v
	}
	return out, rows.Err()
}

// BumpConfigVersion records a save of a piece of configuration and returns its new
// version. With base other than AnyVersion the version must still be base (0: never
// saved); ok is false, and nothing is written, when it is not. The check and the bump are
// one statement, so of two transactions saving over the same base exactly one succeeds on
// either engine: PostgreSQL makes the second wait for the first's row and re-check it.
func (tx *Tx) BumpConfigVersion(ctx context.Context, tenantID, kind, ref string, base int64) (v int64, ok bool, err error) {
	switch {
	case base == AnyVersion:
		err = tx.queryRow(ctx, `INSERT INTO config_versions (tenant_id, kind, ref, version) VALUES ($1, $2, $3, 1)
			ON CONFLICT (tenant_id, kind, ref) DO UPDATE SET version = config_versions.version + 1 RETURNING version`,
			tenantID, kind, ref).Scan(&v)
		return v, err == nil, err
	case base == 0:
		err = tx.queryRow(ctx, `INSERT INTO config_versions (tenant_id, kind, ref, version) VALUES ($1, $2, $3, 1)
			ON CONFLICT (tenant_id, kind, ref) DO NOTHING RETURNING version`, tenantID, kind, ref).Scan(&v)
	default:
		err = tx.queryRow(ctx, `UPDATE config_versions SET version = version + 1
			WHERE tenant_id = $1 AND kind = $2 AND ref = $3 AND version = $4 RETURNING version`, tenantID, kind, ref, base).Scan(&v)
	}
	if isNoRows(err) {
		return 0, false, nil
	}
	return v, err == nil, err
}

// SaveTierLadderIf replaces the tenant's tier configuration only if its version is still
// base (0: none saved yet), and returns the new version; ok is false, and nothing is
// written, when another save came first.
func (tx *Tx) SaveTierLadderIf(ctx context.Context, tenantID, actor string, base int64, s tiers.Ladder) (v int64, ok bool, err error) {
	if base == AnyVersion {
		v, err = tx.SaveTierLadder(ctx, tenantID, actor, s)
		return v, err == nil, err
	}
	doc, err := json.Marshal(s)
	if err != nil {
		return 0, false, err
	}
	if base == 0 {
		err = tx.queryRow(ctx, `INSERT INTO tier_configs (tenant_id, version, doc, actor, updated_at) VALUES ($1, 1, $2, $3, $4)
			ON CONFLICT (tenant_id) DO NOTHING RETURNING version`, tenantID, string(doc), actor, ts(tx.Now)).Scan(&v)
	} else {
		err = tx.queryRow(ctx, `UPDATE tier_configs SET version = version + 1, doc = $1, actor = $2, updated_at = $3
			WHERE tenant_id = $4 AND version = $5 RETURNING version`, string(doc), actor, ts(tx.Now), tenantID, base).Scan(&v)
	}
	if isNoRows(err) {
		return 0, false, nil
	}
	return v, err == nil, err
}

// DeleteConfigVersion forgets the version of a piece of configuration that was deleted,
// so that one made again under the same ref starts from version 0.
func (tx *Tx) DeleteConfigVersion(ctx context.Context, tenantID, kind, ref string) error {
	_, err := tx.exec(ctx, `DELETE FROM config_versions WHERE tenant_id = $1 AND kind = $2 AND ref = $3`, tenantID, kind, ref)
	return err
}
