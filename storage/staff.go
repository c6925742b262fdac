package storage

import (
	"context"
	"database/sql"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// StaffRow is a dashboard user as stored. The password is kept only as a PBKDF2 hash
// (PasswordHash); the service layer makes and checks it.
type StaffRow struct {
	ID           string
	TenantID     string
	Email        string // lower case, unique per tenant
	Name         string
	Role         string
	PasswordHash string
	Active       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// SessionRow is a staff sign-in session, stored by the hash of its secret id.
type SessionRow struct {
	IDHash    string
	TenantID  string
	StaffID   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

const staffCols = `id, tenant_id, email, name, role, password_hash, active, created_at, updated_at, last_login_at`

func scanStaff(s interface{ Scan(...any) error }) (StaffRow, error) {
	var r StaffRow
	var created, updated int64
	var login sql.NullInt64
	err := s.Scan(&r.ID, &r.TenantID, &r.Email, &r.Name, &r.Role, &r.PasswordHash, &r.Active, &created, &updated, &login)
	r.CreatedAt, r.UpdatedAt, r.LastLoginAt = fromTS(created), fromTS(updated), fromNTS(login)
	return r, err
}

// InsertStaff stores a new staff account. The caller checks that the email is free in the
// tenant first (StaffByEmail); a concurrent insert of the same email fails on the unique key.
func (tx *Tx) InsertStaff(ctx context.Context, r StaffRow) error {
	_, err := tx.exec(ctx, `INSERT INTO staff (`+staffCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.TenantID, r.Email, r.Name, r.Role, r.PasswordHash, r.Active, ts(r.CreatedAt), ts(r.UpdatedAt), nts(r.LastLoginAt))
	return err
}

// UpdateStaff rewrites an account's name, role, password hash, state and times.
func (tx *Tx) UpdateStaff(ctx context.Context, r StaffRow) error {
	_, err := tx.exec(ctx, `UPDATE staff SET name = $1, role = $2, password_hash = $3, active = $4, updated_at = $5, last_login_at = $6
		WHERE tenant_id = $7 AND id = $8`, r.Name, r.Role, r.PasswordHash, r.Active, ts(r.UpdatedAt), nts(r.LastLoginAt), r.TenantID, r.ID)
	return err
}

// Staff loads one account of a tenant, locking it with lock; KindNotFound if absent.
func (tx *Tx) Staff(ctx context.Context, tenantID, id string, lock bool) (StaffRow, error) {
	q := `SELECT ` + staffCols + ` FROM staff WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += tx.d.forUpdate
	}
	r, err := scanStaff(tx.queryRow(ctx, q, tenantID, id))
	if isNoRows(err) {
		return r, tenure.NotFound("storage.Staff", "staff member", id)
	}
	return r, err
}

// StaffList lists a tenant's accounts, active and not, oldest first.
func (tx *Tx) StaffList(ctx context.Context, tenantID string) ([]StaffRow, error) {
	rows, err := tx.query(ctx, `SELECT `+staffCols+` FROM staff WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanStaff)
}

// StaffByEmail lists the accounts with this (lower-case) email in every tenant, or in one
// tenant when tenantID is not empty, oldest first.
func (tx *Tx) StaffByEmail(ctx context.Context, tenantID, email string) ([]StaffRow, error) {
	q, args := `SELECT `+staffCols+` FROM staff WHERE email = $1`, []any{email}
	if tenantID != "" {
		q += ` AND tenant_id = $2`
		args = append(args, tenantID)
	}
	rows, err := tx.query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanStaff)
}

// LockOwners locks and returns the ids of a tenant's active owners, so that two changes
// racing to demote or deactivate owners are serialised and cannot leave none.
func (tx *Tx) LockOwners(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT id FROM staff WHERE tenant_id = $1 AND role = 'owner' AND active = $2 ORDER BY id`+tx.d.forUpdate, tenantID, true)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, s.Scan(&id)
	})
}

// InsertSession stores a new session.
func (tx *Tx) InsertSession(ctx context.Context, s SessionRow) error {
	_, err := tx.exec(ctx, `INSERT INTO staff_sessions (id_hash, tenant_id, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		s.IDHash, s.TenantID, s.StaffID, ts(s.CreatedAt), ts(s.ExpiresAt))
	return err
}

// SessionStaff loads an unexpired session (at the transaction's time) and its account;
// KindUnauthorized when there is none, it expired, or the account is deactivated.
func (tx *Tx) SessionStaff(ctx context.Context, idHash string) (SessionRow, StaffRow, error) {
	var s SessionRow
	var created, expires int64
	row := tx.queryRow(ctx, `SELECT x.id_hash, x.tenant_id, x.staff_id, x.created_at, x.expires_at,
			s.id, s.tenant_id, s.email, s.name, s.role, s.password_hash, s.active, s.created_at, s.updated_at, s.last_login_at
		FROM staff_sessions x JOIN staff s ON s.id = x.staff_id AND s.tenant_id = x.tenant_id
		WHERE x.id_hash = $1 AND x.expires_at > $2 AND s.active = $3`, idHash, ts(tx.Now), true)
	var r StaffRow
	var sc, su int64
	var login sql.NullInt64
	err := row.Scan(&s.IDHash, &s.TenantID, &s.StaffID, &created, &expires,
		&r.ID, &r.TenantID, &r.Email, &r.Name, &r.Role, &r.PasswordHash, &r.Active, &sc, &su, &login)
	if isNoRows(err) {
		return s, r, tenure.Errorf(tenure.KindUnauthorized, "storage.SessionStaff", "no such session, or it expired")
	}
	s.CreatedAt, s.ExpiresAt = fromTS(created), fromTS(expires)
	r.CreatedAt, r.UpdatedAt, r.LastLoginAt = fromTS(sc), fromTS(su), fromNTS(login)
	return s, r, err
}

// DeleteSession removes one session; removing an unknown one is not an error.
func (tx *Tx) DeleteSession(ctx context.Context, idHash string) error {
	_, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteStaffSessions signs an account out everywhere.
func (tx *Tx) DeleteStaffSessions(ctx context.Context, tenantID, staffID string) error {
	_, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE tenant_id = $1 AND staff_id = $2`, tenantID, staffID)
	return err
}

// DeleteExpiredSessions removes sessions that expired before the transaction's time.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context) error {
	_, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE expires_at <= $1`, ts(tx.Now))
	return err
}
