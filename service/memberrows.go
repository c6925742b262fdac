package service

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/storage"
)

// MemberRow is a member with what a marketer acts on: points, tier, orders and lifecycle.
type MemberRow struct {
	tenure.Member
	Points    int64
	Tier      string     // tier key held now; "" for none
	LastOrder *time.Time // the last paid order; nil for none
	Orders    int
	Spend     int64  // net paid orders, minor units
	Lifecycle string // analytics.Segment; "" without orders
}

// RowFilter narrows MemberRows; empty fields do not filter.
type RowFilter struct {
	Lifecycle string // a lifecycle stage, as analytics names them (at_risk)
	Tier      string
	Segment   string
	Query     string // a name or part of an email, as Members.Search reads it
}

// Rows lists the members a filter selects, in enrolment order, with their standing:
// the list behind every count a marketer sees (lifecycle, tier, segment). Lifecycle is
// judged now, by the same rules as the analytics page (analytics.DefaultSegmentConfig).
// It reads every member and paid order of the tenant. KindInvalid for an unknown stage.
func (s *Members) Rows(ctx context.Context, tenantID string, f RowFilter) ([]MemberRow, error) {
	if f.Lifecycle != "" && !isStage(f.Lifecycle) {
		return nil, tenure.Invalid("service.Members.Rows", "lifecycle", "is not a lifecycle stage (new, active, loyal, vip, occasional, at_risk, lapsed)")
	}
	h, _, err := s.history(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	inSegment := map[string]bool{}
	if f.Segment != "" {
		for cursor := ""; ; {
			ms, next, err := s.svc.Segments.Members(ctx, tenantID, f.Segment, cursor, 500)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				inSegment[m.ID] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	var matches func(tenure.Member) bool
	if f.Query != "" {
		found, err := s.Search(ctx, tenantID, f.Query, "", 1)
		if err != nil {
			return nil, err
		}
		if found.Total == 0 {
			return nil, nil
		}
		words := foldWords(f.Query)
		matches = func(m tenure.Member) bool { return memberMatches(m, words) }
	}
	var out []MemberRow
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		now := tx.Now
		rfm := map[string]analytics.CustomerRFM{}
		if h.Orders() > 0 {
			for _, r := range h.RFM(now.Add(time.Second), analytics.DefaultSegmentConfig()) {
				rfm[r.Customer] = r
			}
		}
		points, err := tx.PointsBalances(ctx, tenantID)
		if err != nil {
			return err
		}
		tierOf, err := s.tierKeys(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		return tx.EachMember(ctx, tenantID, func(m tenure.Member) error {
			if f.Segment != "" && !inSegment[m.ID] || matches != nil && !matches(m) {
				return nil
			}
			row := MemberRow{Member: m, Points: points[m.ID], Tier: tierOf(m.ID)}
			if r, ok := rfm[m.ID]; ok {
				last := r.Last
				row.LastOrder, row.Orders, row.Spend, row.Lifecycle = &last, r.Frequency, r.Monetary, string(r.Segment)
			}
			if f.Lifecycle != "" && row.Lifecycle != f.Lifecycle || f.Tier != "" && row.Tier != f.Tier {
				return nil
			}
			out = append(out, row)
			return nil
		})
	})
	return out, err
}

func isStage(s string) bool {
	for _, st := range analytics.Segments {
		if string(st) == s {
			return true
		}
	}
	return false
}

// WriteRowsCSV writes member rows as CSV for a spreadsheet: a UTF-8 byte order mark (so
// that Excel reads "Wójcik" right), then email, customer id, marketing consent by email,
// points, tier, last order date (UTC), orders, spend in major units and lifecycle.
func WriteRowsCSV(w io.Writer, rows []MemberRow, tierNames map[string]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"email", "customer_id", "first_name", "last_name", "email_marketing_consent", "points", "tier", "last_order", "orders", "spend", "lifecycle"})
	for _, r := range rows {
		consent := "unknown"
		for _, c := range r.Consents {
			if c.Channel == "email" && c.Purpose == "marketing" {
				consent = map[bool]string{true: "yes", false: "no"}[c.Granted]
			}
		}
		last := ""
		if r.LastOrder != nil {
			last = r.LastOrder.UTC().Format("2006-01-02")
		}
		tier := tierNames[r.Tier]
		if tier == "" {
			tier = r.Tier
		}
		_ = cw.Write([]string{r.Email, r.ExternalID, r.FirstName, r.LastName, consent, strconv.FormatInt(r.Points, 10), tier, last,
			strconv.Itoa(r.Orders), strconv.FormatFloat(float64(r.Spend)/100, 'f', 2, 64), r.Lifecycle})
	}
	cw.Flush()
	return cw.Error()
}
