package tenure

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"
)

// Scope is what an API key may do.
type Scope string

// Scopes, from most to least powerful.
const (
	ScopeAdmin       Scope = "admin"       // everything, including keys, program and webhooks
	ScopeIntegration Scope = "integration" // events, members, ledger operations, reads
	ScopeReadOnly    Scope = "read_only"   // reads only
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeAdmin || s == ScopeIntegration || s == ScopeReadOnly }

// Allows reports whether a key with scope s may perform an operation needing need.
func (s Scope) Allows(need Scope) bool {
	switch need {
	case ScopeReadOnly:
		return s.Valid()
	case ScopeIntegration:
		return s == ScopeAdmin || s == ScopeIntegration
	default:
		return s == ScopeAdmin
	}
}

// APIKey is a stored key: only its hash and a short hint are kept.
type APIKey struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"tenant_id"`
	Name      string     `json:"name"`
	Scope     Scope      `json:"scope"`
	Hint      string     `json:"hint" doc:"The key's first characters, to recognise it"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// NewSecret returns a new random API key secret ("tnr_" + 32 random bytes in base32).
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "tnr_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// HashSecret returns the stored form of a secret. Secrets carry 256 random bits, so a plain
// SHA-256 is enough: there is nothing to brute-force.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Tenant is one store's program: every row belongs to exactly one tenant.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Program   Program   `json:"program"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditEntry records a staff or API action.
type AuditEntry struct {
	ID         string         `json:"id"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Details    map[string]any `json:"details,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}
