package service

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Exports are the tenant's data as CSV, for accounting, a warehouse or leaving: the ledger
// (every entry, the truth balances derive from) and the members with their balances. Both
// stream from one read transaction, so a file is one consistent moment however large.

// ExportKinds names what WriteExport can write.
var ExportKinds = []string{"ledger", "members"}

// WriteExport writes the tenant's ledger or members as CSV. Amounts are points, or minor
// units for the credit wallet; times are RFC 3339 in UTC.
func (s *Reports) WriteExport(ctx context.Context, tenantID, kind string, w io.Writer) error {
	cw := csv.NewWriter(w)
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		if _, err := tx.Tenant(ctx, tenantID); err != nil {
			return err
		}
		switch kind {
		case "ledger":
			_ = cw.Write([]string{"entry_id", "member_id", "wallet", "kind", "bucket", "amount", "lot_id", "cause_type", "cause_id", "reason", "actor", "created_at"})
			return tx.EachEntry(ctx, tenantID, func(e tenure.Entry) error {
				return cw.Write([]string{e.ID, e.MemberID, string(e.Wallet), string(e.Kind), string(e.Bucket), strconv.FormatInt(e.Amount, 10),
					e.LotID, e.CauseType, e.CauseID, e.Reason, e.Actor, e.CreatedAt.UTC().Format(time.RFC3339Nano)})
			})
		case "members":
			_ = cw.Write([]string{"member_id", "customer_id", "email", "first_name", "last_name", "country", "city", "tags", "enrolled_at",
				"points_available", "points_pending", "points_earned", "points_spent", "points_expired", "credit_available", "credit_pending"})
			return tx.EachMemberRow(ctx, tenantID, func(r storage.MemberRow) error {
				i := func(n int64) string { return strconv.FormatInt(n, 10) }
				return cw.Write([]string{r.ID, r.ExternalID, r.Email, r.FirstName, r.LastName, r.Country, r.City, strings.Join(r.Tags, " "),
					r.EnrolledAt.UTC().Format(time.RFC3339), i(r.Points.Available), i(r.Points.Pending), i(r.Points.Earned), i(r.Points.Spent),
					i(r.Points.Expired), i(r.Credit.Available), i(r.Credit.Pending)})
			})
		}
		return tenure.Invalid("service.WriteExport", "kind", "must be one of %s", strings.Join(ExportKinds, ", "))
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
