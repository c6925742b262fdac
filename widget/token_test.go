package widget_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/widget"
)

const (
	secretA = "tnw_secret_of_tenant_a"
	secretB = "tnw_secret_of_tenant_b"
	tenantA = "ten_a"
	tenantB = "ten_b"
)

// sign builds a token from raw claims exactly as docs/widget.md tells a PHP or Node
// backend to, independently of widget.SignToken.
func sign(secret string, claims map[string]any) string {
	body, _ := json.Marshal(claims)
	payload := base64.RawURLEncoding.EncodeToString(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestVerifyToken(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	valid, err := widget.SignToken(secretA, tenantA, "cust-1", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	payload, sig, _ := strings.Cut(valid, ".")
	claims := func(iat, exp time.Time) map[string]any {
		return map[string]any{"tenant": tenantA, "member": "cust-1", "iat": iat.Unix(), "exp": exp.Unix(), "nonce": "n"}
	}
	flip := func(s string, i int) string { // change one character, staying in the alphabet
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	other := map[string]any{"tenant": tenantB, "member": "cust-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": "n"}
	tests := []struct {
		name    string
		token   string
		tenant  string
		secret  string
		at      time.Time
		wantErr string // "" for valid
	}{
		{"a token signed by SignToken is accepted", valid, tenantA, secretA, now, ""},
		{"a token signed by hand as the docs say is accepted", sign(secretA, claims(now, now.Add(time.Hour))), tenantA, secretA, now, ""},
		{"a token is accepted until just before exp", valid, tenantA, secretA, now.Add(time.Hour - time.Second), ""},
		{"a token expires at exp", valid, tenantA, secretA, now.Add(time.Hour), "expired"},
		{"an expired token is refused", valid, tenantA, secretA, now.Add(25 * time.Hour), "expired"},
		{"a tampered payload is refused", flip(payload, 10) + "." + sig, tenantA, secretA, now, "bad signature"},
		{"a payload naming another member with the old signature is refused",
			strings.Split(sign(secretA, map[string]any{"tenant": tenantA, "member": "cust-2", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": "n"}), ".")[0] + "." + sig,
			tenantA, secretA, now, "bad signature"},
		{"a tampered signature is refused", payload + "." + flip(sig, 5), tenantA, secretA, now, "bad signature"},
		{"a token signed with another tenant's secret is refused", sign(secretB, claims(now, now.Add(time.Hour))), tenantA, secretA, now, "bad signature"},
		{"a token claiming another tenant is refused even with a valid signature", sign(secretA, other), tenantA, secretA, now, "another store"},
		{"a token for tenant A is refused when checked as tenant B", valid, tenantB, secretB, now, "bad signature"},
		{"iat within a minute in the future is tolerated", sign(secretA, claims(now.Add(50*time.Second), now.Add(time.Hour))), tenantA, secretA, now, ""},
		{"iat too far in the future is refused", sign(secretA, claims(now.Add(10*time.Minute), now.Add(time.Hour))), tenantA, secretA, now, "future"},
		{"a lifetime over 24 hours is refused", sign(secretA, claims(now.Add(-time.Minute), now.Add(24*time.Hour))), tenantA, secretA, now, "24 hours"},
		{"exp before iat is refused", sign(secretA, claims(now, now.Add(-time.Second))), tenantA, secretA, now, "expired"},
		{"a token without a member is refused", sign(secretA, map[string]any{"tenant": tenantA, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}), tenantA, secretA, now, "required"},
		{"an empty secret never verifies", valid, tenantA, "", now, "bad signature"},
		{"a token without a dot is refused", payload, tenantA, secretA, now, "form"},
		{"a token with three parts is refused", valid + ".x", tenantA, secretA, now, "form"},
		{"a token that is not base64url is refused", "%%%." + sig, tenantA, secretA, now, "base64url"},
		{"an overlong token is refused", strings.Repeat("a", widget.MaxTokenLen) + "." + sig, tenantA, secretA, now, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := widget.VerifyToken(tc.token, tc.tenant, tc.secret, tc.at)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Tenant != tenantA || c.Member != "cust-1" {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			if err == nil || !errors.Is(err, widget.ErrToken) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an ErrToken mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestSignToken(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	a, _ := widget.SignToken(secretA, tenantA, "cust-1", time.Hour, now)
	b, _ := widget.SignToken(secretA, tenantA, "cust-1", time.Hour, now)
	if a == b {
		t.Error("two tokens for the same member and instant are equal: the nonce is missing")
	}
	if tenant, err := widget.TenantOf(a); err != nil || tenant != tenantA {
		t.Errorf("TenantOf = %q, %v", tenant, err)
	}
	for _, ttl := range []time.Duration{0, -time.Second, widget.MaxTTL + time.Second} {
		if _, err := widget.SignToken(secretA, tenantA, "cust-1", ttl, now); err == nil {
			t.Errorf("ttl %v accepted", ttl)
		}
	}
	if _, err := widget.SignToken("", tenantA, "cust-1", time.Hour, now); err == nil {
		t.Error("an empty secret was accepted")
	}
	if _, err := widget.SignToken(secretA, tenantA, "cust-1", widget.MaxTTL, now); err != nil {
		t.Errorf("24 h refused: %v", err)
	}
}
