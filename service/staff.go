package service

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Staff accounts sign in to the admin dashboard of one tenant with an email and a password
// and act with the permissions of their role. Sessions live in the database, so any node
// can serve any request.

// PrefixStaff is the id prefix of staff accounts.
const PrefixStaff = "stf"

// Role is what a staff member may do in the dashboard; see Role.Can.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner    Role = "owner"     // everything, including staff, API keys and webhooks
	RoleMarketer Role = "marketer"  // the program (rules, dry runs, backtests) and reading members
	RoleSupport  Role = "support"   // members and manual point adjustments
	RoleReadOnly Role = "read_only" // reads members and the program; changes nothing
)

// Roles lists every role.
var Roles = []Role{RoleOwner, RoleMarketer, RoleSupport, RoleReadOnly}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleMarketer || r == RoleSupport || r == RoleReadOnly
}

// Permission is one thing a dashboard page or action needs.
type Permission string

// Permissions the dashboard checks.
const (
	PermViewOverview   Permission = "overview.view"
	PermViewMembers    Permission = "members.view"
	PermAdjustPoints   Permission = "members.adjust"
	PermViewProgram    Permission = "program.view"
	PermEditProgram    Permission = "program.edit" // save rules, dry runs and backtests, rewards
	PermManageKeys     Permission = "settings.keys"
	PermManageWebhooks Permission = "settings.webhooks"
	PermManageStaff    Permission = "settings.staff"
	PermViewAudit      Permission = "settings.audit"
)

var grants = map[Role][]Permission{
	RoleMarketer: {PermViewOverview, PermViewMembers, PermViewProgram, PermEditProgram},
	RoleSupport:  {PermViewOverview, PermViewMembers, PermAdjustPoints, PermViewProgram},
	RoleReadOnly: {PermViewOverview, PermViewMembers, PermViewProgram},
}

// Can reports whether role r has permission p. Owners have every permission.
func (r Role) Can(p Permission) bool {
	if r == RoleOwner {
		return true
	}
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Staff is a dashboard user of one tenant. The password hash never leaves the service.
type Staff struct {
	ID          string     `json:"id"`
	TenantID    string     `json:"tenant_id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        Role       `json:"role"`
	Active      bool       `json:"active"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// Actor names the staff member in the audit log.
func (s Staff) Actor() string { return "staff:" + s.ID }

func staffOf(r storage.StaffRow) Staff {
	return Staff{ID: r.ID, TenantID: r.TenantID, Email: r.Email, Name: r.Name, Role: Role(r.Role), Active: r.Active,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, LastLoginAt: r.LastLoginAt}
}

// NewStaff is an account to create. An empty Password makes CreateStaff generate one.
type NewStaff struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// Password rules: long enough to resist guessing, short enough to bound hashing work.
const (
	MinPasswordLength  = 12
	MaxPasswordLength  = 256
	PasswordIterations = 600_000 // PBKDF2-SHA256, OWASP's 2023 recommendation
)

// NewPassword returns a random password of 20 characters (about 116 bits) for a new or
// reset account, to be handed over once.
func NewPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randomFrom(alphabet, 20)
}

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		var r [1]byte
		for {
			_, _ = rand.Read(r[:])
			if int(r[0]) < 256-256%len(alphabet) { // no modulo bias
				break
			}
		}
		b[i] = alphabet[int(r[0])%len(alphabet)]
	}
	return string(b)
}

// hashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<key>" with a fresh 16-byte salt.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, PasswordIterations, 32)
	if err != nil {
		panic(err) // only for key lengths out of range, which 32 is not
	}
	enc := base64.RawStdEncoding
	return "pbkdf2-sha256$" + strconv.Itoa(PasswordIterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key)
}

// checkPassword reports in constant time whether password matches a stored hash.
func checkPassword(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when no account matches, so that an unknown email costs
// the same time as a wrong password. It is made on first use, not at every process start.
var dummyHash = sync.OnceValue(func() string { return hashPassword("no such account, but spend the same time") })

func checkNewPassword(p *tenure.Problems, field, pw string) {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength || len(pw) > MaxPasswordLength {
		p.Add(field, "must be %d to %d characters", MinPasswordLength, MaxPasswordLength)
	}
}

func normalEmail(p *tenure.Problems, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > tenure.MaxShortText {
		p.Add("email", "must be an email address like ola@example.com")
	}
	return email
}

// CreateStaff adds a staff account to a tenant and returns it with its password (the one
// given, or a generated one to hand over once). KindConflict if the email is taken in the
// tenant. The CLI uses it to create a tenant's first owner.
func (s *Access) CreateStaff(ctx context.Context, tenantID, actor string, in NewStaff) (st Staff, password string, err error) {
	var p tenure.Problems
	email := normalEmail(&p, in.Email)
	name := strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(name) > 128 {
		p.Add("name", "must be at most 128 characters")
	}
	if !in.Role.Valid() {
		p.Add("role", "must be owner, marketer, support or read_only")
	}
	password = in.Password
	if password == "" {
		password = NewPassword()
	}
	checkNewPassword(&p, "password", password)
	if err := p.Err("service.CreateStaff"); err != nil {
		return st, "", err
	}
	hash := hashPassword(password) // outside the transaction: it takes a tenth of a second
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if _, err := tx.Tenant(ctx, tenantID); err != nil {
			return err
		}
		taken, err := tx.StaffByEmail(ctx, tenantID, email)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return &tenure.Error{Kind: tenure.KindConflict, Op: "service.CreateStaff", Message: "a staff member with this email already exists",
				Fields: []tenure.FieldError{{Field: "email", Message: "already has an account"}}}
		}
		r := storage.StaffRow{ID: tx.NewID(PrefixStaff), TenantID: tenantID, Email: email, Name: name, Role: string(in.Role),
			PasswordHash: hash, Active: true, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.InsertStaff(ctx, r); err != nil {
			return err
		}
		st = staffOf(r)
		return tx.Audit(ctx, tenantID, actor, "staff.created", "staff", r.ID, map[string]any{"email": email, "role": in.Role})
	})
	return st, password, err
}

// StaffList lists a tenant's staff accounts, oldest first.
func (s *Access) StaffList(ctx context.Context, tenantID string) (out []Staff, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		rows, err := tx.StaffList(ctx, tenantID)
		for _, r := range rows {
			out = append(out, staffOf(r))
		}
		return err
	})
	return out, err
}

// SetStaffRole changes an account's role, effective on its next request. KindConflict if
// it would leave the tenant without an active owner.
func (s *Access) SetStaffRole(ctx context.Context, tenantID, actor, id string, role Role) (Staff, error) {
	if !role.Valid() {
		return Staff{}, tenure.Invalid("service.SetStaffRole", "role", "must be owner, marketer, support or read_only")
	}
	return s.changeStaff(ctx, tenantID, actor, id, "staff.role_changed", map[string]any{"role": role}, func(r *storage.StaffRow) bool {
		r.Role = string(role)
		return role == RoleOwner
	})
}

// DeactivateStaff disables an account and ends its sessions. KindConflict for the last
// active owner.
func (s *Access) DeactivateStaff(ctx context.Context, tenantID, actor, id string) (Staff, error) {
	return s.changeStaff(ctx, tenantID, actor, id, "staff.deactivated", nil, func(r *storage.StaffRow) bool {
		r.Active = false
		return false
	})
}

// ResetStaffPassword gives an account a new generated password, returned once, and ends
// its sessions.
func (s *Access) ResetStaffPassword(ctx context.Context, tenantID, actor, id string) (st Staff, password string, err error) {
	password = NewPassword()
	hash := hashPassword(password)
	st, err = s.changeStaff(ctx, tenantID, actor, id, "staff.password_reset", nil, func(r *storage.StaffRow) bool {
		r.PasswordHash = hash
		return r.Role == string(RoleOwner) && r.Active
	})
	return st, password, err
}

// changeStaff applies change to a locked account; change reports whether the account is an
// active owner afterwards. Owners are locked first so that the last one cannot be removed
// by two concurrent changes.
func (s *Access) changeStaff(ctx context.Context, tenantID, actor, id, action string, details map[string]any, change func(*storage.StaffRow) (ownerAfter bool)) (st Staff, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		owners, err := tx.LockOwners(ctx, tenantID)
		if err != nil {
			return err
		}
		r, err := tx.Staff(ctx, tenantID, id, true)
		if err != nil {
			return err
		}
		wasOwner := r.Active && r.Role == string(RoleOwner)
		stillOwner := change(&r)
		if wasOwner && !stillOwner && len(owners) <= 1 {
			return tenure.Errorf(tenure.KindConflict, "service.changeStaff", "this is the last active owner: make someone else an owner first")
		}
		r.UpdatedAt = tx.Now
		if err := tx.UpdateStaff(ctx, r); err != nil {
			return err
		}
		if !r.Active || action == "staff.password_reset" {
			if err := tx.DeleteStaffSessions(ctx, tenantID, r.ID); err != nil {
				return err
			}
		}
		st = staffOf(r)
		return tx.Audit(ctx, tenantID, actor, action, "staff", r.ID, details)
	})
	return st, err
}

// SessionLifetime is how long a sign-in lasts. It is not extended by activity.
const SessionLifetime = 12 * time.Hour

// SignInRequest signs a staff member in. TenantID picks the store when the email has
// accounts in several; Previous is the session secret the browser already had, if any,
// which is ended (a new session id is always issued: no session fixation).
type SignInRequest struct {
	Email    string
	Password string
	TenantID string
	Previous string
}

// SignIn is a successful sign-in: the session and its secret for the cookie. When the
// password matches accounts in several stores and no TenantID was given, only Choices is
// set: the tenants to pick from.
type SignIn struct {
	Session StaffSession
	Secret  string
	Choices []tenure.Tenant
}

// StaffSession is a signed-in staff member.
type StaffSession struct {
	Staff     Staff
	ExpiresAt time.Time
}

// SignIn checks an email and password. KindUnauthorized for an unknown email, a wrong
// password or a deactivated account, without saying which.
func (s *Access) SignIn(ctx context.Context, in SignInRequest) (out SignIn, err error) {
	email := strings.ToLower(strings.TrimSpace(in.Email))
	denied := tenure.Errorf(tenure.KindUnauthorized, "service.SignIn", "wrong email or password")
	if len(in.Password) > MaxPasswordLength {
		return out, denied
	}
	var rows []storage.StaffRow
	if err := s.db.Read(ctx, func(tx *storage.Tx) (err error) { rows, err = tx.StaffByEmail(ctx, in.TenantID, email); return err }); err != nil {
		return out, err
	}
	var matched []storage.StaffRow
	checked := 0
	for _, r := range rows {
		if !r.Active || checked == 5 {
			continue
		}
		checked++
		if checkPassword(r.PasswordHash, in.Password) {
			matched = append(matched, r)
		}
	}
	if checked == 0 {
		checkPassword(dummyHash(), in.Password)
	}
	if len(matched) == 0 {
		s.Log.Warn("dashboard sign-in refused", "email", email)
		return out, denied
	}
	if len(matched) > 1 {
		err = s.db.Read(ctx, func(tx *storage.Tx) error {
			for _, r := range matched {
				t, err := tx.Tenant(ctx, r.TenantID)
				if err != nil {
					return err
				}
				out.Choices = append(out.Choices, t)
			}
			return nil
		})
		return out, err
	}
	out.Secret = newSessionSecret()
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		r, err := tx.Staff(ctx, matched[0].TenantID, matched[0].ID, true)
		if err != nil || !r.Active {
			return denied
		}
		if in.Previous != "" {
			if err := tx.DeleteSession(ctx, hashSession(in.Previous)); err != nil {
				return err
			}
		}
		if err := tx.DeleteExpiredSessions(ctx); err != nil {
			return err
		}
		sess := storage.SessionRow{IDHash: hashSession(out.Secret), TenantID: r.TenantID, StaffID: r.ID, CreatedAt: tx.Now, ExpiresAt: tx.Now.Add(SessionLifetime)}
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		now := tx.Now
		r.LastLoginAt = &now
		if err := tx.UpdateStaff(ctx, r); err != nil {
			return err
		}
		out.Session = StaffSession{Staff: staffOf(r), ExpiresAt: sess.ExpiresAt}
		return tx.Audit(ctx, r.TenantID, staffOf(r).Actor(), "staff.signed_in", "staff", r.ID, nil)
	})
	return out, err
}

// Session returns the signed-in staff member of a session secret; KindUnauthorized if the
// session is unknown, expired or its account deactivated. The role is read fresh, so a
// role change applies to the next request.
func (s *Access) Session(ctx context.Context, secret string) (out StaffSession, err error) {
	if secret == "" || len(secret) > 100 {
		return out, tenure.Errorf(tenure.KindUnauthorized, "service.Session", "not signed in")
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		sess, r, err := tx.SessionStaff(ctx, hashSession(secret))
		out = StaffSession{Staff: staffOf(r), ExpiresAt: sess.ExpiresAt}
		return err
	})
	return out, err
}

// SignOut ends a session; ending an unknown one is not an error.
func (s *Access) SignOut(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	return s.db.Write(ctx, func(tx *storage.Tx) error { return tx.DeleteSession(ctx, hashSession(secret)) })
}

// newSessionSecret returns 256 random bits, base64url-encoded.
func newSessionSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSession is the stored form of a session secret: its 256 random bits need no
// stretching, only not to be kept in the clear.
func hashSession(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
