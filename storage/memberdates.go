package storage

import (
	"context"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// BirthdayMonthDay returns the "MM-DD" of a birthday as stored ("YYYY-MM-DD" or
// "--MM-DD"), or "" for none.
func BirthdayMonthDay(b string) string {
	if len(b) < 7 {
		return ""
	}
	return b[len(b)-5:]
}

// DatedMember is a member with when their birthday was last set.
type DatedMember struct {
	tenure.Member
	BirthdaySince time.Time
}

// MembersByBirthday returns the tenant's members whose birthday falls on one of the
// given "MM-DD" days, in id order.
func (tx *Tx) MembersByBirthday(ctx context.Context, tenantID string, days []string) ([]DatedMember, error) {
	if len(days) == 0 {
		return nil, nil
	}
	args := []any{tenantID}
	var in strings.Builder
	for i, d := range days {
		if i > 0 {
			in.WriteByte(',')
		}
		in.WriteString("$" + itoa(i+2))
		args = append(args, d)
	}
	rows, err := tx.query(ctx, `SELECT doc, COALESCE(birthday_since, updated_at) FROM members
		WHERE tenant_id = $1 AND birthday_md IN (`+in.String()+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (DatedMember, error) {
		var dm DatedMember
		var since int64
		m, err := scanMember(scanFirst{s, &since})
		dm.Member, dm.BirthdaySince = m, fromTS(since)
		return dm, err
	})
}

// scanFirst scans a member document followed by one more column.
type scanFirst struct {
	s    interface{ Scan(...any) error }
	next any
}

func (f scanFirst) Scan(dest ...any) error { return f.s.Scan(append(dest, f.next)...) }

// MembersEnrolledBetween returns the tenant's members enrolled in [from, to), in id order.
func (tx *Tx) MembersEnrolledBetween(ctx context.Context, tenantID string, from, to time.Time) ([]tenure.Member, error) {
	rows, err := tx.query(ctx, `SELECT doc FROM members WHERE tenant_id = $1 AND enrolled_at >= $2 AND enrolled_at < $3 ORDER BY id`,
		tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, scanMember)
}

// FirstEnrolment returns when the tenant's earliest member enrolled (ok false: none).
func (tx *Tx) FirstEnrolment(ctx context.Context, tenantID string) (first time.Time, ok bool, err error) {
	var v *int64
	if err := tx.queryRow(ctx, `SELECT MIN(enrolled_at) FROM members WHERE tenant_id = $1`, tenantID).Scan(&v); err != nil || v == nil {
		return first, false, err
	}
	return fromTS(*v), true, nil
}

// IndexMemberDates fills the birthday columns of up to limit members written before
// they existed, dating their birthdays at their last update. It returns how many it
// filled; 0 means every member of the tenant is indexed.
func (tx *Tx) IndexMemberDates(ctx context.Context, tenantID string, limit int) (int, error) {
	rows, err := tx.query(ctx, `SELECT doc FROM members WHERE tenant_id = $1 AND birthday_md IS NULL ORDER BY id LIMIT $2`, tenantID, limit)
	if err != nil {
		return 0, err
	}
	ms, err := collect(rows, scanMember)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		if _, err := tx.exec(ctx, `UPDATE members SET birthday_md = $1, birthday_since = updated_at WHERE tenant_id = $2 AND id = $3`,
			BirthdayMonthDay(m.Birthday), tenantID, m.ID); err != nil {
			return 0, err
		}
	}
	return len(ms), nil
}
