package service

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// WidgetSecretPrefix starts every storefront widget secret, so that one pasted in the
// wrong place is recognisable.
const WidgetSecretPrefix = "tnw_"

// MaxWidgetOrigins bounds the storefront origins a tenant may list.
const MaxWidgetOrigins = 20

// WidgetSettings is a tenant's storefront widget configuration as the API shows it: never
// the secret itself, which is shown once when it is made.
type WidgetSettings struct {
	TenantID       string     `json:"tenant_id" doc:"Put this in every member token's tenant claim"`
	Configured     bool       `json:"configured" doc:"Whether a signing secret exists; until then every member token is refused"`
	SecretHint     string     `json:"secret_hint,omitempty" doc:"The secret's first characters, to recognise it"`
	AllowedOrigins []string   `json:"allowed_origins" doc:"Storefront origins (scheme://host[:port]) whose pages may call the member API; empty for any"`
	RotatedAt      *time.Time `json:"rotated_at,omitempty" doc:"When the current secret was made"`
}

func widgetView(tenantID string, w storage.WidgetSettings) WidgetSettings {
	v := WidgetSettings{TenantID: tenantID, Configured: w.Secret != "", AllowedOrigins: w.AllowedOrigins, RotatedAt: w.RotatedAt}
	if v.AllowedOrigins == nil {
		v.AllowedOrigins = []string{}
	}
	if w.Secret != "" {
		v.SecretHint = w.Secret[:len(WidgetSecretPrefix)+4]
	}
	return v
}

// Settings returns a tenant's widget settings (not configured until a secret is made).
func (s *Widget) Settings(ctx context.Context, tenantID string) (v WidgetSettings, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		w, _, err := tx.WidgetSettings(ctx, tenantID, false)
		v = widgetView(tenantID, w)
		return err
	})
	return v, err
}

// RotateSecret makes a new member-token signing secret for the tenant and returns it;
// it is never shown again. Tokens signed with the previous secret are refused by this node
// once it returns, and by every other node as soon as the commit's notification reaches it.
func (s *Widget) RotateSecret(ctx context.Context, tenantID, actor string) (v WidgetSettings, secret string, err error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = WidgetSecretPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if _, err := tx.Tenant(ctx, tenantID); err != nil {
			return err
		}
		w, found, err := tx.WidgetSettings(ctx, tenantID, true)
		if err != nil {
			return err
		}
		if !found {
			w.CreatedAt = tx.Now
		}
		now := tx.Now
		w.Secret, w.RotatedAt = secret, &now
		if err := tx.SaveWidgetSettings(ctx, tenantID, w); err != nil {
			return err
		}
		tx.Notify(storage.Change{Kind: storage.ChangeWidget, ID: tenantID})
		v = widgetView(tenantID, w)
		return tx.Audit(ctx, tenantID, actor, "widget.secret_rotated", "tenant", tenantID, map[string]any{"hint": v.SecretHint})
	})
	return v, secret, err
}

// SetOrigins replaces the storefront origins allowed to call the member API from a
// browser; an empty list allows any. Each must be scheme://host[:port] with http or https
// and nothing after the host; they are stored lower-cased, without duplicates.
func (s *Widget) SetOrigins(ctx context.Context, tenantID, actor string, origins []string) (v WidgetSettings, err error) {
	clean, err := checkOrigins(origins)
	if err != nil {
		return v, err
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		w, found, err := tx.WidgetSettings(ctx, tenantID, true)
		if err != nil {
			return err
		}
		if !found {
			w.CreatedAt = tx.Now
		}
		w.AllowedOrigins = clean
		if err := tx.SaveWidgetSettings(ctx, tenantID, w); err != nil {
			return err
		}
		tx.Notify(storage.Change{Kind: storage.ChangeWidget, ID: tenantID})
		v = widgetView(tenantID, w)
		return tx.Audit(ctx, tenantID, actor, "widget.origins_updated", "tenant", tenantID, map[string]any{"allowed_origins": clean})
	})
	return v, err
}

func checkOrigins(in []string) ([]string, error) {
	var p tenure.Problems
	if len(in) > MaxWidgetOrigins {
		p.Add("allowed_origins", "at most %d origins", MaxWidgetOrigins)
		return nil, p.Err("service.SetWidgetOrigins")
	}
	out := []string{}
	for i, o := range in {
		field := "allowed_origins[" + strconv.Itoa(i) + "]"
		o = strings.ToLower(strings.TrimSpace(o))
		u, err := url.Parse(o)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			p.Add(field, "must be an origin like https://shop.example")
		case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
			p.Add(field, "must be only scheme://host[:port], without a path, query or user")
		default:
			// Browsers leave the default port out of the Origin header.
			host := strings.TrimSuffix(u.Host, map[string]string{"http": ":80", "https": ":443"}[u.Scheme])
			o = u.Scheme + "://" + host
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out, p.Err("service.SetWidgetOrigins")
}

// WidgetKeyCacheTTL is a backstop: a rotated secret or changed origins drop the tenant's
// cached widget key on every node as soon as the change's notification arrives. Only a
// change no node hears of (another process on a SQLite file) waits for the TTL.
const WidgetKeyCacheTTL = 5 * time.Second

// widgetKey is what member tokens are checked against, cached per tenant.
type widgetKey struct {
	secret  string
	origins []string
}

// Key returns what a member token of the tenant is checked against: the signing
// secret and the allowed origins. KindUnauthorized when the tenant is unknown or has no
// secret yet, so that a caller cannot tell the two apart. A change takes effect on this
// node once the call that made it returns, and on others as its notification arrives.
func (s *Widget) Key(ctx context.Context, tenantID string) (secret string, origins []string, err error) {
	now := time.Now()
	live := s.changes.Live()
	k, gen, ok := s.widgetKeys.get(tenantID, now)
	if !ok || !live {
		err = s.db.Read(ctx, func(tx *storage.Tx) error {
			w, _, err := tx.WidgetSettings(ctx, tenantID, false)
			k = widgetKey{secret: w.Secret, origins: w.AllowedOrigins}
			return err
		})
		if err != nil {
			return "", nil, err
		}
		if live {
			s.widgetKeys.put(tenantID, k, now, gen)
		}
	}
	if k.secret == "" {
		return "", nil, tenure.Errorf(tenure.KindUnauthorized, "service.WidgetKey", "the store has not set up member tokens")
	}
	return k.secret, slices.Clone(k.origins), nil
}

// Member finds the member a token names by the store's customer id only (never by a
// Tenure id that happens to look like one). KindNotFound if the store's customer is not
// enrolled.
func (s *Widget) Member(ctx context.Context, tenantID, customerID string) (m tenure.Member, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { m, err = tx.Member(ctx, tenantID, customerID, false); return err })
	if err == nil && m.ExternalID != customerID {
		err = tenure.NotFound("service.WidgetMember", "member", customerID)
	}
	return m, err
}
