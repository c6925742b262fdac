package dashboard

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/service"
)

// download is one CSV file of the analytics page, written from the same snapshot the page
// shows. perMember files list customers one by one and need the members permission.
type download struct {
	perMember bool
	write     func(w io.Writer, sn *service.Snapshot) error
}

// downloads are the analytics page's CSV files by name.
var downloads = map[string]download{
	"metrics.csv":          {write: func(w io.Writer, sn *service.Snapshot) error { return analytics.WriteSeriesCSV(w, sn.Monthly) }},
	"cohorts.csv":          {write: func(w io.Writer, sn *service.Snapshot) error { return sn.Cohorts.WriteRetentionMatrixCSV(w) }},
	"lifecycle.csv":        {write: writeLifecycleCSV},
	"clv-distribution.csv": {write: writeCLVBinsCSV},
	"program.csv":          {write: writeProgramCSV},
	"lift.csv":             {write: writeLiftCSV},
	"rfm.csv":              {perMember: true, write: func(w io.Writer, sn *service.Snapshot) error { return analytics.WriteRFMCSV(w, sn.RFM) }},
	"clv.csv":              {perMember: true, write: writeCLVCSV},
}

// analyticsCSV serves one of the downloads as an attachment named after the store and
// the snapshot's date.
func (d *Dashboard) analyticsCSV(q *req) error {
	name := q.r.PathValue("file")
	dl, ok := downloads[name]
	if !ok {
		return d.notFound(q)
	}
	if dl.perMember && !q.staff.Role.Can(service.PermViewMembers) {
		return forbidden("this file lists customers one by one; your role cannot see members")
	}
	sn, err := d.svc.LatestSnapshot(q.r.Context(), q.tenant.ID, analyticsMaxAge)
	if err != nil {
		return err
	}
	var buf bytes.Buffer // written whole first, so that an error is a clean error page
	if err := dl.write(&buf, sn); err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="tenure-`+sn.ComputedAt.Format("2006-01-02")+"-"+name+`"`)
	h.Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(q.w)
	return nil
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

func writeLifecycleCSV(w io.Writer, sn *service.Snapshot) error {
	var rows [][]string
	for _, m := range lifecycleMix(sn) {
		rows = append(rows, []string{string(m.Segment), itoa(m.Members), rate(m.Share), i64(m.AvgSpend)})
	}
	return writeRows(w, []string{"segment", "customers", "share", "average_spend_minor"}, rows)
}

func writeCLVBinsCSV(w io.Writer, sn *service.Snapshot) error {
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

func writeCLVCSV(w io.Writer, sn *service.Snapshot) error {
	var rows [][]string
	if sn.CLV != nil {
		for _, m := range sn.CLV.Top {
			rows = append(rows, []string{m.MemberID, rate(m.PAlive), rate(m.ExpectedPurchases), amount(m.ExpectedSpendMinor), amount(m.CLVMinor)})
		}
	}
	return writeRows(w, []string{"member_id", "p_alive", "expected_purchases_12m", "expected_order_value_minor", "clv_12m_minor"}, rows)
}

func writeProgramCSV(w io.Writer, sn *service.Snapshot) error {
	p := sn.Program
	rows := [][]string{
		{"from", p.From.UTC().Format("2006-01-02T15:04:05Z")},
		{"to", p.To.UTC().Format("2006-01-02T15:04:05Z")},
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

func writeLiftCSV(w io.Writer, sn *service.Snapshot) error {
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

func optRate(p *float64) string {
	if p == nil {
		return ""
	}
	return rate(*p)
}
