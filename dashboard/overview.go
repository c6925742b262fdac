package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// overviewData is the overview page: the program's headline numbers and its charts (the
// handler adds the retention trend from the analytics snapshot).
type overviewData struct {
	Currency       string
	Members        int64
	Active         int64 // members with an order in the last 90 days
	Issued         int64 // points, last 12 months
	Redeemed       int64
	Expired        int64
	Outstanding    int64 // available points now
	Pending        int64
	LiabilityMinor int64 // outstanding points at the program's point value
	PointValue     int64 // micro-units of the currency's minor unit per point
	Orders         int64 // last 12 months
	Revenue        int64
	RepeatRate     float64
	AOV            float64
	From, To       time.Time
	Charts         []chart
	// AnalyticsPending: the store's analytics are being computed for the first time.
	AnalyticsPending bool
}

// chart is one time series chart as the page script draws it (uPlot) and as the
// accessible table under it lists it.
type chart struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Kind  string  `json:"kind"` // "line" or "bars"
	Unit  string  `json:"unit"` // "points", "members", "percent" (values in basis points) or a currency code (values in minor units)
	X     []int64 `json:"x"`    // Unix seconds of each period's start, or 0, 1, ... for a category chart
	// Category charts have named bars (Labels) instead of a time axis.
	Category bool     `json:"category,omitempty"`
	Axis     string   `json:"axis,omitempty"` // the x axis and the table's first column; "Period" in the table when empty
	Labels   []string `json:"labels"`
	Series   []series `json:"series"`
	Extra    []series `json:"-"` // more columns for the table only
}

type series struct {
	Label  string  `json:"label"`
	Color  string  `json:"color"`
	Values []int64 `json:"values"`
}

func (d *Dashboard) overview(q *req) error {
	data, err := d.overviewData(q.r.Context(), q.tenant)
	if err != nil {
		return err
	}
	// The retention trend comes from the analytics snapshot the Analytics page shows.
	// It never holds the landing page: until a first snapshot exists the chart is left out.
	if sn := d.svc.Reports.ReadySnapshot(q.r.Context(), q.tenant.ID, analyticsMaxAge); sn != nil {
		if c, ok := ratesChart(sn.Monthly); ok {
			data.Charts = append(data.Charts, c)
		}
	} else {
		data.AnalyticsPending = true
	}
	d.render(q, http.StatusOK, "overview", "Overview", data)
	return nil
}

// overviewData reads everything the overview shows in one read transaction (the service's
// Overview: the program figures by the same definition as the API's, and per-day series)
// and folds the series into weeks and months.
func (d *Dashboard) overviewData(ctx context.Context, t tenure.Tenant) (overviewData, error) {
	now := d.svc.Clock.Now().UTC()
	out := overviewData{Currency: t.Program.Currency, PointValue: t.Program.PointValue, To: now}
	thisWeek := mondayOf(now) // the weekly chart shows complete weeks only: a partial last week would look like a drop
	weekStart := thisWeek.AddDate(0, 0, -7*52)
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	out.From = monthStart
	ledgerFrom := weekStart
	if monthStart.Before(ledgerFrom) {
		ledgerFrom = monthStart
	}
	ov, err := d.svc.Reports.Overview(ctx, t.ID, ledgerFrom, monthStart, now.Add(time.Second))
	if err != nil {
		return out, err
	}
	pm := ov.Program
	out.Members, out.Active = pm.Members, pm.ActiveMembers
	out.Issued, out.Redeemed, out.Expired = pm.Issued, pm.Redeemed, pm.Expired
	out.Outstanding, out.Pending, out.LiabilityMinor = pm.Outstanding, pm.Pending, pm.LiabilityMinor
	out.Orders, out.Revenue = ov.Orders.Orders, ov.Orders.Revenue
	if ov.Orders.Customers > 0 {
		out.RepeatRate = float64(ov.Orders.RepeatCustomers) / float64(ov.Orders.Customers)
	}
	if ov.Orders.Orders > 0 {
		out.AOV = float64(ov.Orders.Revenue) / float64(ov.Orders.Orders)
	}

	weeks := periods(weekStart, thisWeek, func(t time.Time) time.Time { return t.AddDate(0, 0, 7) })
	issued, redeemed, expired := make([]int64, len(weeks)), make([]int64, len(weeks)), make([]int64, len(weeks))
	for _, l := range ov.Ledger {
		if !l.Day.Before(thisWeek) {
			continue
		}
		f := service.FoldLedger(l)
		add(weeks, issued, l.Day, f.Issued)
		add(weeks, redeemed, l.Day, f.Redeemed)
		add(weeks, expired, l.Day, f.Expired)
	}
	joins, orders := ov.Enrolments, ov.OrdersByDay
	months := periods(monthStart, now, func(t time.Time) time.Time { return t.AddDate(0, 1, 0) })
	newMembers, revenue, orderCount := make([]int64, len(months)), make([]int64, len(months)), make([]int64, len(months))
	for _, j := range joins {
		add(months, newMembers, j.Day, j.Count)
	}
	for _, o := range orders {
		add(months, revenue, o.Day, o.Revenue)
		add(months, orderCount, o.Day, o.Orders)
	}
	monthLabels := labels(months, "Jan 2006")
	monthLabels[len(monthLabels)-1] += " (to date)"
	out.Charts = []chart{
		{ID: "points-weekly", Title: "Points issued, redeemed and expired per week (complete weeks)", Kind: "line", Unit: "points",
			X: unix(weeks), Labels: labels(weeks, "2 Jan 2006"), Series: []series{
				{Label: "Issued", Color: "#2563eb", Values: issued},
				{Label: "Redeemed", Color: "#15803d", Values: redeemed},
				{Label: "Expired", Color: "#b91c1c", Values: expired}}},
		{ID: "members-monthly", Title: "New members per month", Kind: "bars", Unit: "members",
			X: unix(months), Labels: monthLabels, Series: []series{
				{Label: "New members", Color: "#7c3aed", Values: newMembers}}},
		{ID: "revenue-monthly", Title: "Revenue per month (goods, net of refunds)", Kind: "bars", Unit: t.Program.Currency,
			X: unix(months), Labels: monthLabels, Series: []series{
				{Label: "Revenue", Color: "#0f766e", Values: revenue}},
			Extra: []series{{Label: "Orders", Values: orderCount}}},
	}
	return out, nil
}

// mondayOf returns the start of t's ISO week (Monday, 00:00 UTC).
func mondayOf(t time.Time) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// periods returns the starts of consecutive periods from start while they begin before end.
func periods(start, end time.Time, next func(time.Time) time.Time) []time.Time {
	var out []time.Time
	for t := start; t.Before(end); t = next(t) {
		out = append(out, t)
	}
	return out
}

// add adds v to the bucket of the last period starting at or before day.
func add(starts []time.Time, into []int64, day time.Time, v int64) {
	for i := len(starts) - 1; i >= 0; i-- {
		if !day.Before(starts[i]) {
			into[i] += v
			return
		}
	}
}

func unix(ts []time.Time) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.Unix()
	}
	return out
}

func labels(ts []time.Time, layout string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format(layout)
	}
	return out
}

// chartRow is one period of a chart as its accessible table shows it.
type chartRow struct {
	Label string
	Cells []string
}

// Columns names the table's value columns.
func (c chart) Columns() []string {
	var out []string
	for _, s := range append(append([]series{}, c.Series...), c.Extra...) {
		out = append(out, s.Label)
	}
	return out
}

// AxisLabel is the heading of the table's first column.
func (c chart) AxisLabel() string {
	if c.Axis == "" {
		return "Period"
	}
	return c.Axis
}

// Rows lists each period with its formatted values, newest first (category charts in
// their own order).
func (c chart) Rows() []chartRow {
	out := make([]chartRow, 0, len(c.Labels))
	for j := range c.Labels {
		i := len(c.Labels) - 1 - j
		if c.Category {
			i = j
		}
		row := chartRow{Label: c.Labels[i]}
		for _, s := range c.Series {
			switch c.Unit {
			case "points", "members":
				row.Cells = append(row.Cells, num(s.Values[i]))
			case "percent":
				row.Cells = append(row.Cells, strconv.FormatFloat(float64(s.Values[i])/100, 'f', 1, 64)+"%")
			default:
				row.Cells = append(row.Cells, money(s.Values[i], c.Unit))
			}
		}
		for _, s := range c.Extra {
			row.Cells = append(row.Cells, num(s.Values[i]))
		}
		out = append(out, row)
	}
	return out
}
