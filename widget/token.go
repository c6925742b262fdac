// Package widget is Tenure's storefront widget: the member tokens a store's backend signs
// for one shopper, the member API those tokens open (that shopper's balance, tier,
// rewards, redemptions, coupons and history, and nothing of anyone else's), and the
// embeddable script and stylesheet, served from the binary.
package widget

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Token limits.
const (
	// MaxTTL is the longest a member token may live (exp - iat).
	MaxTTL = 24 * time.Hour
	// MaxSkew is how far in the future a token's iat may be, for clocks that disagree.
	MaxSkew = time.Minute
	// MaxTokenLen bounds a token before any work is done on it.
	MaxTokenLen = 2048
)

// Claims is what a member token says: which tenant (store program), which of the store's
// customers, when it was issued and until when it is valid (Unix seconds), and a random
// nonce that makes every token distinct.
type Claims struct {
	Tenant string `json:"tenant"`
	Member string `json:"member"`
	IAT    int64  `json:"iat"`
	EXP    int64  `json:"exp"`
	Nonce  string `json:"nonce"`
}

// ErrToken is returned, wrapped, for every token that must be refused. Callers answer 401
// and may show the wrapped message, which names the problem without revealing secrets.
var ErrToken = errors.New("invalid member token")

type tokenError string

func (e tokenError) Error() string { return string(ErrToken.Error() + ": " + string(e)) }
func (e tokenError) Unwrap() error { return ErrToken }

var b64 = base64.RawURLEncoding

// SignToken returns a member token for one of the store's customers (memberExternalID is
// the store's customer id), valid for ttl from now, signed with the tenant's widget secret:
//
//	payload = base64url(JSON {"tenant","member","iat","exp","nonce"})   (no padding)
//	token   = payload + "." + base64url(HMAC-SHA256(key = secret, message = payload))
//
// ttl must be positive and at most MaxTTL.
func SignToken(secret, tenantID, memberExternalID string, ttl time.Duration, now time.Time) (string, error) {
	if secret == "" || tenantID == "" || memberExternalID == "" {
		return "", errors.New("widget.SignToken: secret, tenant and member are required")
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", errors.New("widget.SignToken: ttl must be between 1s and 24h")
	}
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	c := Claims{Tenant: tenantID, Member: memberExternalID, IAT: now.Unix(), EXP: now.Add(ttl).Unix(), Nonce: b64.EncodeToString(nonce[:])}
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	payload := b64.EncodeToString(body)
	return payload + "." + b64.EncodeToString(mac(secret, payload)), nil
}

func mac(secret, payload string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// split returns a token's two parts, decoded, and the payload as sent (what is signed).
func split(token string) (payload string, claims []byte, sig []byte, err error) {
	if len(token) > MaxTokenLen {
		return "", nil, nil, tokenError("too long")
	}
	payload, s, ok := strings.Cut(token, ".")
	if !ok || payload == "" || s == "" || strings.Contains(s, ".") {
		return "", nil, nil, tokenError("not of the form payload.signature")
	}
	claims, err1 := b64.DecodeString(strings.TrimRight(payload, "="))
	sig, err2 := b64.DecodeString(strings.TrimRight(s, "="))
	if err1 != nil || err2 != nil || len(sig) != sha256.Size {
		return "", nil, nil, tokenError("malformed base64url")
	}
	return payload, claims, sig, nil
}

func decode(raw []byte) (Claims, error) {
	var c Claims
	if fe := tenure.CheckJSON(raw); fe != nil {
		return c, tokenError("claims must be valid UTF-8 without NUL characters")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&c); err != nil {
		return c, tokenError("payload is not the expected JSON")
	}
	if c.Tenant == "" || c.Member == "" || len(c.Member) > 128 || c.IAT == 0 || c.EXP == 0 {
		return c, tokenError("tenant, member, iat and exp are required")
	}
	return c, nil
}

// TenantOf reads the tenant a token claims, without checking anything else, so that the
// caller can look up the secret to verify it with. Never trust anything else in an
// unverified token.
func TenantOf(token string) (string, error) {
	_, raw, _, err := split(token)
	if err != nil {
		return "", err
	}
	c, err := decode(raw)
	return c.Tenant, err
}

// VerifyToken checks a member token for tenantID against its secret at now and returns its
// claims. It refuses, with an error wrapping ErrToken, a token that is malformed, claims
// another tenant, carries a signature that does not match (compared in constant time),
// has expired, was issued more than MaxSkew in the future, or lives longer than MaxTTL.
func VerifyToken(token, tenantID, secret string, now time.Time) (Claims, error) {
	payload, raw, sig, err := split(token)
	if err != nil {
		return Claims{}, err
	}
	if secret == "" || !hmac.Equal(sig, mac(secret, payload)) {
		return Claims{}, tokenError("bad signature")
	}
	c, err := decode(raw)
	if err != nil {
		return Claims{}, err
	}
	t := now.Unix()
	switch {
	case c.Tenant != tenantID:
		return Claims{}, tokenError("issued for another store")
	case c.EXP <= t:
		return Claims{}, tokenError("expired")
	case c.IAT > t+int64(MaxSkew/time.Second):
		return Claims{}, tokenError("issued in the future")
	case c.EXP <= c.IAT || c.EXP-c.IAT > int64(MaxTTL/time.Second):
		return Claims{}, tokenError("lifetime over 24 hours")
	}
	return c, nil
}
