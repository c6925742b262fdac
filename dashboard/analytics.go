package dashboard

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/service"
)

// analyticsMaxAge is how old the snapshot behind the analytics page may be before a view
// has it recomputed in the background; "Recompute now" waits for a fresh one.
const analyticsMaxAge = 10 * time.Minute

// analyticsData is the analytics page: the program's numbers, monthly customer metrics,
// the cohort heat map, the RFM grid, the lifecycle mix, the CLV model and the lift of the
// rules with a holdout group, all from one snapshot (so the CSV downloads match the page).
type analyticsData struct {
	Snap     *service.Snapshot
	Currency string
	Charts   []chart
	Monthly  []monthRow
	Cohorts  cohortGrid
	RFM      rfmGrid
	Mix      []mixRow
	CLVBins  []clvBinRow
	Alive    []aliveRow
	TopCLV   []topCLV
	Lift     *service.LiftReport // the report asked for with the form, if any
	LiftForm liftForm
	Members  bool // the viewer may open member pages and per-member downloads
}

// topCLV is a member of highest predicted value, named as the store knows them.
type topCLV struct {
	service.MemberCLV
	Customer, Name string
}

type monthRow struct {
	Label string
	analytics.PeriodMetrics
}

// liftForm picks a rule and an outcome window for a lift report.
type liftForm struct {
	Rule, Window string
	Rules        []string // rules with a holdout group
	Error        string
}

func (d *Dashboard) analytics(q *req) error {
	// The page shows the kept snapshot at once and has an older one recomputed in the
	// background; "Recompute now" waits for a fresh one (it recomputes a cache and changes
	// nothing a user owns, so it is a GET).
	snapshot := d.svc.Reports.LatestSnapshot
	if q.r.URL.Query().Get("refresh") != "" {
		snapshot = func(ctx context.Context, id string, _ time.Duration) (*service.Snapshot, error) {
			return d.svc.Reports.Snapshot(ctx, id, 0)
		}
	}
	sn, err := snapshot(q.r.Context(), q.tenant.ID, analyticsMaxAge)
	if err != nil {
		return err
	}
	data := analyticsData{Snap: sn, Currency: q.tenant.Program.Currency, Members: q.staff.Role.Can(service.PermViewMembers)}
	data.Monthly = monthRows(sn)
	data.Cohorts = cohortHeat(sn.Cohorts)
	data.RFM = rfmHeat(sn.RFM)
	data.Mix = lifecycleMix(sn)
	if sn.CLV != nil {
		data.CLVBins = clvBinRows(sn.CLV.Distribution, data.Currency)
		data.Alive = aliveRows(sn.CLV.AliveBuckets)
		for _, m := range sn.CLV.Top[:min(10, len(sn.CLV.Top))] {
			row := topCLV{MemberCLV: m, Customer: m.MemberID}
			if mem, err := d.svc.Members.Get(q.r.Context(), q.tenant.ID, m.MemberID); err == nil {
				row.Customer, row.Name = mem.ExternalID, memberTitle(mem)
			}
			data.TopCLV = append(data.TopCLV, row)
		}
	}
	data.Charts = analyticsCharts(data)
	if err := d.liftRequest(q, &data); err != nil {
		return err
	}
	d.render(q, http.StatusOK, "analytics", "Analytics", data)
	return nil
}

// liftRequest fills the lift form and, when a rule was chosen, its report over the window
// asked for. A bad window or a rule without exposures is shown on the form.
func (d *Dashboard) liftRequest(q *req, data *analyticsData) error {
	f := &data.LiftForm
	for _, l := range data.Snap.Lifts {
		f.Rules = append(f.Rules, l.RuleID)
	}
	qs := q.r.URL.Query()
	f.Rule, f.Window = qs.Get("lift_rule"), qs.Get("window")
	if f.Window == "" {
		f.Window = strconv.Itoa(data.Snap.LiftWindowDays)
	}
	if f.Rule == "" {
		return nil
	}
	days, err := strconv.Atoi(f.Window)
	if err != nil || days < 1 || days > 365 {
		f.Error = "The window must be a whole number of days from 1 to 365."
		return nil
	}
	rep, err := d.svc.Reports.Lift(q.r.Context(), q.tenant.ID, f.Rule, days)
	if err != nil {
		if msgs, ferr := fieldErrors(err); ferr == nil {
			f.Error = msgs[""]
			return nil
		}
		if tenure.KindOf(err) == tenure.KindNotFound {
			f.Error = "Rule " + f.Rule + " has no exposures yet: give it a holdout group (holdout_bp) and wait for it to fire."
			return nil
		}
		return err
	}
	data.Lift = &rep
	return nil
}

func monthRows(sn *service.Snapshot) []monthRow {
	out := make([]monthRow, 0, len(sn.Monthly))
	for i := len(sn.Monthly) - 1; i >= 0; i-- { // newest first
		m := sn.Monthly[i]
		label := m.Start.Format("Jan 2006")
		if i == len(sn.Monthly)-1 && sn.AsOf.Before(m.End) {
			label += " (to date)"
		}
		out = append(out, monthRow{Label: label, PeriodMetrics: m})
	}
	return out
}

// mixRow is one lifecycle segment's share of the customers.
type mixRow struct {
	Segment  analytics.Segment
	Label    string
	Meaning  string
	Members  int
	Share    float64
	AvgSpend int64
}

var segmentText = map[analytics.Segment][2]string{
	analytics.New:        {"New", "first order in the last 30 days"},
	analytics.VIP:        {"VIP", "active, and among the top 5% by spend"},
	analytics.Loyal:      {"Loyal", "active, with 5 or more orders"},
	analytics.Active:     {"Active", "active (ordered in the last 90 days) with 2 or more orders"},
	analytics.AtRisk:     {"At risk", "a repeat buyer with no order for 90 days"},
	analytics.Occasional: {"Occasional", "one order, neither new nor lapsed"},
	analytics.Lapsed:     {"Lapsed", "no order for more than 180 days"},
}

func lifecycleMix(sn *service.Snapshot) []mixRow {
	var out []mixRow
	for _, m := range sn.LifecycleMix() {
		out = append(out, mixRow{Segment: m.Segment, Label: segmentText[m.Segment][0], Meaning: segmentText[m.Segment][1],
			Members: m.Customers, Share: m.Share, AvgSpend: m.AvgSpendMinor})
	}
	return out
}

// clvBinRow is one bar of the CLV distribution with its range in words.
type clvBinRow struct {
	Range string // "200.00 PLN – 400.00 PLN"
	Short string // "200–400", for a chart's axis
	service.CLVBin
}

func clvBinRows(bins []service.CLVBin, cur string) []clvBinRow {
	out := make([]clvBinRow, len(bins))
	for i, b := range bins {
		r := money(b.FromMinor, cur) + " – " + money(b.ToMinor, cur)
		if b.ToMinor == 0 {
			r = money(b.FromMinor, cur) + " and more"
		}
		short := major(b.FromMinor) + "–" + major(b.ToMinor)
		if b.ToMinor == 0 {
			short = major(b.FromMinor) + "+"
		}
		out[i] = clvBinRow{Range: r, Short: short, CLVBin: b}
	}
	return out
}

// aliveRow is one tenth of the P(alive) range.
type aliveRow struct {
	Range   string
	Members int
}

func aliveRows(b [10]int) []aliveRow {
	out := make([]aliveRow, 10)
	for i := range b {
		out[i] = aliveRow{Range: strconv.Itoa(i*10) + "–" + strconv.Itoa(i*10+10) + "%", Members: b[i]}
	}
	out[9].Range = "90–100%"
	return out
}

// analyticsCharts are the page's charts: retention and repeat rates per month, the
// lifecycle mix and the CLV distribution. Rates travel in basis points.
func analyticsCharts(data analyticsData) []chart {
	var out []chart
	sn := data.Snap
	if c, ok := ratesChart(sn.Monthly); ok {
		out = append(out, c)
	}
	if len(sn.RFM) > 0 {
		c := chart{ID: "lifecycle-mix", Title: "Customers by lifecycle stage", Kind: "bars", Unit: "members", Category: true, Axis: "Stage"}
		s := series{Label: "Customers", Color: "#7c3aed"}
		for i, m := range data.Mix {
			c.X = append(c.X, int64(i))
			c.Labels = append(c.Labels, m.Label)
			s.Values = append(s.Values, int64(m.Members))
		}
		c.Series = []series{s}
		out = append(out, c)
	}
	if len(data.CLVBins) > 0 {
		c := chart{ID: "clv-distribution", Title: "Customers by predicted 12-month value (" + data.Currency + ")", Kind: "bars", Unit: "members", Category: true, Axis: "Predicted value"}
		s := series{Label: "Customers", Color: "#0f766e"}
		for i, b := range data.CLVBins {
			c.X = append(c.X, int64(i))
			c.Labels = append(c.Labels, b.Short)
			s.Values = append(s.Values, int64(b.Members))
		}
		c.Series = []series{s}
		out = append(out, c)
	}
	return out
}

// ratesChart is the retention trend: retention and repeat purchase rate per month.
func ratesChart(monthly []analytics.PeriodMetrics) (chart, bool) {
	c := chart{ID: "rates-monthly", Title: "Retention and repeat purchase rate per month", Kind: "line", Unit: "percent", Axis: "Month"}
	ret, rep := series{Label: "Retention", Color: "#2563eb"}, series{Label: "Repeat purchase rate", Color: "#c2410c"}
	for _, m := range monthly {
		c.X = append(c.X, m.Start.Unix())
		c.Labels = append(c.Labels, m.Start.Format("Jan 2006"))
		ret.Values = append(ret.Values, bp(m.RetentionRate))
		rep.Values = append(rep.Values, bp(m.RepeatPurchaseRate))
	}
	c.Series = []series{ret, rep}
	return c, len(monthly) > 0
}

// bp turns a rate into basis points for a chart.
func bp(f float64) int64 { return int64(math.Round(f * 10000)) }

// major writes minor units as major ones, without decimals when there are none.
func major(minor int64) string {
	if minor%100 == 0 {
		return num(minor / 100)
	}
	return strings.TrimSpace(money(minor, ""))
}
