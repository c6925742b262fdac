package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// WidgetSettings is a tenant's storefront widget configuration: the secret member tokens
// are signed with (empty until one is created; stored sealed) and the browser origins allowed to call the
// member API (none for any).
type WidgetSettings struct {
	Secret         string
	AllowedOrigins []string
	CreatedAt      time.Time
	RotatedAt      *time.Time // when the current secret was made; nil while there is none
}

// WidgetSettings loads (and with lock, locks) a tenant's widget settings; found is false
// if it has none yet.
func (tx *Tx) WidgetSettings(ctx context.Context, tenantID string, lock bool) (w WidgetSettings, found bool, err error) {
	var origins string
	var created int64
	var rotated sql.NullInt64
	q := `SELECT secret, allowed_origins, created_at, rotated_at FROM widget_settings WHERE tenant_id = $1`
	if lock {
		q += tx.d.forUpdate
	}
	err = tx.queryRow(ctx, q, tenantID).
		Scan(&w.Secret, &origins, &created, &rotated)
	if isNoRows(err) {
		return w, false, nil
	}
	if err != nil {
		return w, false, err
	}
	w.CreatedAt, w.RotatedAt = fromTS(created), fromNTS(rotated)
	if w.Secret, err = tx.unseal("widget_settings", "secret", tenantID, w.Secret); err != nil {
		return w, false, err
	}
	return w, true, json.Unmarshal([]byte(origins), &w.AllowedOrigins)
}

// SaveWidgetSettings creates or replaces a tenant's widget settings.
func (tx *Tx) SaveWidgetSettings(ctx context.Context, tenantID string, w WidgetSettings) error {
	if w.AllowedOrigins == nil {
		w.AllowedOrigins = []string{}
	}
	origins, _ := json.Marshal(w.AllowedOrigins)
	sealed, err := tx.seal("widget_settings", "secret", tenantID, w.Secret)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO widget_settings (tenant_id, secret, allowed_origins, created_at, rotated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id) DO UPDATE SET secret = excluded.secret, allowed_origins = excluded.allowed_origins, rotated_at = excluded.rotated_at`,
		tenantID, sealed, string(origins), ts(w.CreatedAt), nts(w.RotatedAt))
	return err
}
