package service

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
)

// SnapshotFile is one CSV report of a snapshot. PerMember files list customers one by
// one (their member ids and numbers), for staff who may see members.
type SnapshotFile struct {
	Name      string
	PerMember bool
	write     func(w io.Writer, sn *Snapshot) error
}

// SnapshotFiles are the snapshot's CSV reports, by file name: the dashboard's analytics
// downloads and the files `tenure analytics` writes.
var SnapshotFiles = []SnapshotFile{
	{Name: "program.csv", write: writeProgramCSV},
	{Name: "metrics.csv", write: func(w io.Writer, sn *Snapshot) error { return analytics.WriteSeriesCSV(w, sn.Monthly) }},
	{Name: "cohorts.csv", write: func(w io.Writer, sn *Snapshot) error { return sn.Cohorts.WriteRetentionMatrixCSV(w) }},
	{Name: "lifecycle.csv", write: writeLifecycleCSV},
	{Name: "clv-distribution.csv", write: writeCLVBinsCSV},
	{Name: "lift.csv", write: writeLiftCSV},
	{Name: "rfm.csv", PerMember: true, write: writeRFMCSV},
	{Name: "clv.csv", PerMember: true, write: writeCLVCSV},
}

// SnapshotFileNamed returns the report with that file name.
func SnapshotFileNamed(name string) (SnapshotFile, bool) {
	i := slices.IndexFunc(SnapshotFiles, func(f SnapshotFile) bool { return f.Name == name })
	if i < 0 {
		return SnapshotFile{}, false
	}
	return SnapshotFiles[i], true
}

// WriteCSV writes the report of sn.
func (f SnapshotFile) WriteCSV(w io.Writer, sn *Snapshot) error { return f.write(w, sn) }

// SegmentShare is one lifecycle segment's part of the customers.
type SegmentShare struct {
	Segment       analytics.Segment
	Customers     int
	Share         float64 // of the customers with an order
	AvgSpendMinor int64
}

// LifecycleMix lists every lifecycle segment, from new to lapsed, with its share.
func (sn *Snapshot) LifecycleMix() []SegmentShare {
	spend := map[analytics.Segment]int64{}
	for _, r := range sn.RFM {
		spend[r.Segment] += r.Monetary
	}
	var out []SegmentShare
	for _, s := range []analytics.Segment{analytics.New, analytics.VIP, analytics.Loyal, analytics.Active, analytics.AtRisk, analytics.Occasional, analytics.Lapsed} {
		row := SegmentShare{Segment: s, Customers: sn.Lifecycle[s]}
		if len(sn.RFM) > 0 {
			row.Share = float64(row.Customers) / float64(len(sn.RFM))
		}
		if row.Customers > 0 {
			row.AvgSpendMinor = spend[s] / int64(row.Customers)
		}
		out = append(out, row)
	}
	return out
}

func writeRows(w io.Writer, head []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(head)
	_ = cw.WriteAll(rows) // WriteAll flushes
	return cw.Error()
}

func itoa(n int) string       { return strconv.Itoa(n) }
func i64(n int64) string      { return strconv.FormatInt(n, 10) }
func rate(f float64) string   { return strconv.FormatFloat(f, 'f', 4, 64) }
func amount(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func optRate(p *float64) string {
	if p == nil {
		return ""
	}
	return rate(*p)
}

func writeLifecycleCSV(w io.Writer, sn *Snapshot) error {
	var rows [][]string
	for _, m := range sn.LifecycleMix() {
		rows = append(rows, []string{string(m.Segment), itoa(m.Customers), rate(m.Share), i64(m.AvgSpendMinor)})
	}
	return writeRows(w, []string{"segment", "customers", "share", "average_spend_minor"}, rows)
}

func writeCLVBinsCSV(w io.Writer, sn *Snapshot) error {
	var rows [][]string
	if sn.CLV != nil {
		for _, b := range sn.CLV.Distribution {
			to := ""
			if b.ToMinor > 0 {
				to = i64(b.ToMinor)
			}
			rows = append(rows, []string{i64(b.FromMinor), to, itoa(b.Members), amount(b.ValueMinor)})
		}
	}
	return writeRows(w, []string{"from_minor", "to_minor", "customers", "predicted_value_minor"}, rows)
}

func writeCLVCSV(w io.Writer, sn *Snapshot) error {
	var rows [][]string
	if sn.CLV != nil {
		for _, m := range sn.CLV.Top {
			who := sn.who[m.MemberID]
			rows = append(rows, []string{who.ExternalID, who.Email, m.MemberID, rate(m.PAlive), rate(m.ExpectedPurchases),
				amount(m.ExpectedSpendMinor), amount(m.CLVMinor)})
		}
	}
	// Highest predicted value first (as printed), then by customer id and member id.
	slices.SortStableFunc(rows, func(a, b []string) int {
		va, _ := strconv.ParseFloat(a[6], 64)
		vb, _ := strconv.ParseFloat(b[6], 64)
		if c := cmp.Compare(vb, va); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[2], b[2]))
	})
	return writeRows(w, []string{"customer_id", "email", "member_id", "p_alive", "expected_purchases_12m", "expected_order_value_minor", "clv_12m_minor"}, rows)
}

// writeRFMCSV writes every scored member, by customer id then member id.
func writeRFMCSV(w io.Writer, sn *Snapshot) error {
	const stamp = "2006-01-02T15:04:05Z"
	rows := make([][]string, 0, len(sn.RFM))
	for _, r := range sn.RFM {
		who := sn.who[r.Customer]
		rows = append(rows, []string{who.ExternalID, who.Email, r.Customer, r.First.UTC().Format(stamp), r.Last.UTC().Format(stamp),
			itoa(r.RecencyDays), itoa(r.Frequency), i64(r.Monetary), itoa(r.R), itoa(r.F), itoa(r.M),
			itoa(r.R) + itoa(r.F) + itoa(r.M), string(r.Segment)})
	}
	slices.SortFunc(rows, func(a, b []string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[2], b[2])) })
	return writeRows(w, []string{"customer_id", "email", "member_id", "first", "last", "recency_days", "frequency", "monetary",
		"r", "f", "m", "rfm", "segment"}, rows)
}

func writeProgramCSV(w io.Writer, sn *Snapshot) error {
	p := sn.Program
	const stamp = "2006-01-02T15:04:05Z"
	rows := [][]string{
		{"from", p.From.UTC().Format(stamp)},
		{"to", p.To.UTC().Format(stamp)},
		{"members", i64(p.Members)},
		{"active_members", i64(p.ActiveMembers)},
		{"participating_members", i64(p.Participating)},
		{"participation_rate", rate(p.ParticipationRate)},
		{"points_issued", i64(p.Issued)},
		{"points_redeemed", i64(p.Redeemed)},
		{"points_expired", i64(p.Expired)},
		{"points_reversed", i64(p.Reversed)},
		{"redemption_rate", rate(p.RedemptionRate)},
		{"points_outstanding", i64(p.Outstanding)},
		{"points_pending", i64(p.Pending)},
		{"liability_minor", i64(p.LiabilityMinor)},
		{"currency", p.Currency},
	}
	return writeRows(w, []string{"metric", "value"}, rows)
}

func writeLiftCSV(w io.Writer, sn *Snapshot) error {
	var rows [][]string
	for _, l := range sn.Lifts {
		for _, m := range []struct {
			name string
			e    analytics.Estimate
		}{{"retention", l.Retention}, {"orders_per_member", l.Orders}, {"revenue_per_member_minor", l.Revenue}, {"net_revenue_per_member_minor", l.Net}} {
			rows = append(rows, []string{l.RuleID, itoa(l.WindowDays), itoa(l.TreatedMembers), itoa(l.HoldoutMembers), m.name,
				rate(m.e.Treated), rate(m.e.Holdout), rate(m.e.Difference), optRate(m.e.Low), optRate(m.e.High),
				amount(l.CostPerMember), strconv.FormatBool(l.Significant)})
		}
	}
	return writeRows(w, []string{"rule_id", "window_days", "treated_members", "holdout_members", "metric",
		"treated", "holdout", "difference", "ci95_low", "ci95_high", "reward_cost_per_treated_member_minor", "net_significant"}, rows)
}

// WriteRFMCSV writes every scored member's RFM row, named by customer id and email as
// well as member id: from the kept snapshot sn when asOf is zero, else computed as of
// asOf. It is the one RFM file the API and the CLI hand out.
func (s *Reports) WriteRFMCSV(ctx context.Context, w io.Writer, tenantID string, sn *Snapshot, asOf time.Time) error {
	if asOf.IsZero() && sn != nil {
		return writeRFMCSV(w, sn)
	}
	rs, err := s.RFM(ctx, tenantID, asOf)
	if err != nil {
		return err
	}
	at := &Snapshot{RFM: rs}
	if at.who, err = s.snapshotWho(ctx, tenantID, at); err != nil {
		return err
	}
	return writeRFMCSV(w, at)
}
