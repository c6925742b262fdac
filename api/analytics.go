package api

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/service"
)

func (s *Server) analyticsRoutes() {
	a, read := s.api, tenure.ScopeReadOnly
	huma.Register(a, op("analytics-metrics", http.MethodGet, "/v1/analytics/metrics", "Customer metrics per period: retention, churn, repeat rate, frequency, AOV, CLV", "Analytics", read), s.analyticsMetrics)
	huma.Register(a, op("analytics-metrics-csv", http.MethodGet, "/v1/analytics/metrics.csv", "The same metrics as CSV", "Analytics", read), s.analyticsMetricsCSV)
	huma.Register(a, op("analytics-cohorts", http.MethodGet, "/v1/analytics/cohorts", "Retention by first-order month (customers and revenue)", "Analytics", read), s.analyticsCohorts)
	huma.Register(a, op("analytics-cohorts-csv", http.MethodGet, "/v1/analytics/cohorts.csv", "The cohort retention matrix as CSV", "Analytics", read), s.analyticsCohortsCSV)
	huma.Register(a, op("analytics-rfm", http.MethodGet, "/v1/analytics/rfm", "RFM scores and lifecycle segment counts", "Analytics", read), s.analyticsRFM)
	huma.Register(a, op("analytics-rfm-csv", http.MethodGet, "/v1/analytics/rfm.csv", "Every member's RFM scores and segment as CSV", "Analytics", read), s.analyticsRFMCSV)
	huma.Register(a, op("analytics-program", http.MethodGet, "/v1/analytics/program", "Program metrics: participation, points issued, redeemed, expired, liability", "Analytics", read), s.analyticsProgram)
	huma.Register(a, op("rule-lift", http.MethodGet, "/v1/rules/{id}/lift", "Lift of a rule with a holdout: treated vs control, net of reward cost, with 95% intervals", "Analytics", read, 404), s.ruleLift)
	huma.Register(a, op("analytics-clv", http.MethodGet, "/v1/analytics/clv", "Predictive CLV: BG/NBD and Gamma-Gamma fits with diagnostics and top members", "Analytics", read, 409), s.analyticsCLV)
}

type rangeQuery struct {
	From time.Time `query:"from" doc:"Start (RFC 3339); default the first order"`
	To   time.Time `query:"to" doc:"End, exclusive (RFC 3339); default after the last order"`
}

// metricsQuery names its range fields itself: the parameters of an embedded struct are
// not read.
type metricsQuery struct {
	From        time.Time `query:"from" doc:"Start (RFC 3339); default the first order"`
	To          time.Time `query:"to" doc:"End, exclusive (RFC 3339); default after the last order"`
	Granularity string    `query:"granularity" enum:"month,quarter,year" default:"month"`
}

func granularity(g string) analytics.Granularity {
	switch g {
	case "quarter":
		return analytics.Quarter
	case "year":
		return analytics.Year
	}
	return analytics.Month
}

func (s *Server) analyticsMetrics(ctx context.Context, in *metricsQuery) (*served[listBody[analytics.PeriodMetrics]], error) {
	ms, sn, err := s.customerMetrics(ctx, in)
	if err != nil {
		return nil, s.problem(err)
	}
	return serve(sn, list(ms, "").Body), nil
}

// customerMetrics answers the default monthly metrics from the kept snapshot, the rest by computing.
func (s *Server) customerMetrics(ctx context.Context, in *metricsQuery) ([]analytics.PeriodMetrics, *service.Snapshot, error) {
	if in.From.IsZero() && in.To.IsZero() && granularity(in.Granularity) == analytics.Month {
		sn, err := s.svc.Reports.LatestSnapshot(ctx, caller(ctx).TenantID, AnalyticsMaxAge)
		if err != nil {
			return nil, nil, err
		}
		return sn.Monthly, sn, nil
	}
	ms, err := s.svc.Reports.CustomerMetrics(ctx, caller(ctx).TenantID, granularity(in.Granularity), in.From, in.To)
	return ms, nil, err
}

// AnalyticsMaxAge is how old the kept analytics snapshot may be before a request answered
// from it also starts computing the next one in the background (the request does not wait).
const AnalyticsMaxAge = 10 * time.Minute

// served is an analytics answer that says, when it comes from the kept snapshot, which one.
type served[T any] struct {
	AsOf       string `header:"Tenure-Analytics-As-Of" doc:"When the answer comes from the kept analytics snapshot (the request gave no range, as-of or model option): the instant its figures are as of, RFC 3339; absent when computed for the request"`
	ComputedAt string `header:"Tenure-Analytics-Computed-At" doc:"When that snapshot was computed, RFC 3339"`
	Body       T
}

func serve[T any](sn *service.Snapshot, v T) *served[T] {
	out := &served[T]{Body: v}
	out.AsOf, out.ComputedAt = snapshotStamps(sn)
	return out
}

func snapshotStamps(sn *service.Snapshot) (asOf, computedAt string) {
	if sn == nil {
		return "", ""
	}
	return sn.AsOf.UTC().Format(time.RFC3339), sn.ComputedAt.UTC().Format(time.RFC3339)
}

type csvOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	AsOf               string `header:"Tenure-Analytics-As-Of" doc:"Set when the report comes from the kept analytics snapshot: the instant its figures are as of, RFC 3339"`
	ComputedAt         string `header:"Tenure-Analytics-Computed-At" doc:"When that snapshot was computed, RFC 3339"`
	Body               []byte
}

// fromSnapshot marks a CSV answer as the kept snapshot's.
func (c *csvOut) fromSnapshot(sn *service.Snapshot) *csvOut {
	if c != nil {
		c.AsOf, c.ComputedAt = snapshotStamps(sn)
	}
	return c
}

func csvFile(name string, write func(*bytes.Buffer) error) (*csvOut, error) {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return nil, err
	}
	return &csvOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: b.Bytes()}, nil
}

func (s *Server) analyticsMetricsCSV(ctx context.Context, in *metricsQuery) (*csvOut, error) {
	ms, sn, err := s.customerMetrics(ctx, in)
	if err != nil {
		return nil, s.problem(err)
	}
	out, err := csvFile("metrics.csv", func(b *bytes.Buffer) error { return analytics.WriteSeriesCSV(b, ms) })
	return out.fromSnapshot(sn), err
}

// cohorts answers the default cohorts from the kept snapshot, a chosen range by computing.
func (s *Server) cohorts(ctx context.Context, in *rangeQuery) (analytics.CohortTable, *service.Snapshot, error) {
	if in.From.IsZero() && in.To.IsZero() {
		sn, err := s.svc.Reports.LatestSnapshot(ctx, caller(ctx).TenantID, AnalyticsMaxAge)
		if err != nil {
			return nil, nil, err
		}
		return sn.Cohorts, sn, nil
	}
	t, err := s.svc.Reports.Cohorts(ctx, caller(ctx).TenantID, in.From, in.To)
	return t, nil, err
}

func (s *Server) analyticsCohorts(ctx context.Context, in *rangeQuery) (*served[listBody[analytics.Cohort]], error) {
	t, sn, err := s.cohorts(ctx, in)
	if err != nil {
		return nil, s.problem(err)
	}
	return serve(sn, list([]analytics.Cohort(t), "").Body), nil
}

func (s *Server) analyticsCohortsCSV(ctx context.Context, in *rangeQuery) (*csvOut, error) {
	t, sn, err := s.cohorts(ctx, in)
	if err != nil {
		return nil, s.problem(err)
	}
	out, err := csvFile("cohorts.csv", func(b *bytes.Buffer) error { return t.WriteRetentionMatrixCSV(b) })
	return out.fromSnapshot(sn), err
}

type rfmQuery struct {
	AsOf  time.Time `query:"as_of" doc:"Reference date; default now"`
	Limit int       `query:"limit" minimum:"0" maximum:"1000" doc:"How many members to list (default 100); the CSV has all"`
}

type rfmOut struct {
	Segments map[analytics.Segment]int `json:"segments"`
	Members  []analytics.CustomerRFM   `json:"members"`
	Total    int                       `json:"total"`
}

// rfm answers from the kept snapshot unless the request names its own as-of date.
func (s *Server) rfm(ctx context.Context, in *rfmQuery) ([]analytics.CustomerRFM, *service.Snapshot, error) {
	if in.AsOf.IsZero() {
		sn, err := s.svc.Reports.LatestSnapshot(ctx, caller(ctx).TenantID, AnalyticsMaxAge)
		if err != nil {
			return nil, nil, err
		}
		return sn.RFM, sn, nil
	}
	rs, err := s.svc.Reports.RFM(ctx, caller(ctx).TenantID, in.AsOf)
	return rs, nil, err
}

func (s *Server) analyticsRFM(ctx context.Context, in *rfmQuery) (*served[rfmOut], error) {
	rs, sn, err := s.rfm(ctx, in)
	if err != nil {
		return nil, s.problem(err)
	}
	limit := in.Limit
	if limit == 0 {
		limit = 100
	}
	return serve(sn, rfmOut{Segments: analytics.SegmentCounts(rs), Members: rs[:min(limit, len(rs))], Total: len(rs)}), nil
}

func (s *Server) analyticsRFMCSV(ctx context.Context, in *rfmQuery) (*csvOut, error) {
	var sn *service.Snapshot
	if in.AsOf.IsZero() {
		var err error
		if sn, err = s.svc.Reports.LatestSnapshot(ctx, caller(ctx).TenantID, AnalyticsMaxAge); err != nil {
			return nil, s.problem(err)
		}
	}
	out, err := csvFile("rfm.csv", func(b *bytes.Buffer) error {
		return s.svc.Reports.WriteRFMCSV(ctx, b, caller(ctx).TenantID, sn, in.AsOf)
	})
	if err != nil {
		return nil, s.problem(err)
	}
	return out.fromSnapshot(sn), nil
}

func (s *Server) analyticsProgram(ctx context.Context, in *rangeQuery) (*body[service.ProgramMetrics], error) {
	pm, err := s.svc.Reports.ProgramMetrics(ctx, caller(ctx).TenantID, in.From, in.To)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(pm), nil
}

type clvQuery struct {
	AsOf          time.Time `query:"as_of" doc:"Calibration end; default now"`
	HorizonMonths int       `query:"horizon_months" minimum:"1" maximum:"120" default:"12"`
	DiscountRate  float64   `query:"monthly_discount_rate" minimum:"0" maximum:"1" default:"0.01"`
	Top           int       `query:"top" minimum:"0" maximum:"1000" default:"20"`
	HoldoutWeeks  int       `query:"holdout_weeks" minimum:"0" maximum:"260" doc:"Also fit on all but the last N weeks and compare predicted with actual repeat purchases"`
}

func (s *Server) analyticsCLV(ctx context.Context, in *clvQuery) (*served[service.CLVReport], error) {
	if in.AsOf.IsZero() && in.HorizonMonths == 12 && in.DiscountRate == 0.01 && in.HoldoutWeeks == 0 {
		// The snapshot's prediction is this one: 12 months at 1% a month, as of its date.
		sn, err := s.svc.Reports.LatestSnapshot(ctx, caller(ctx).TenantID, AnalyticsMaxAge)
		if err != nil {
			return nil, s.problem(err)
		}
		if sn.CLV == nil {
			return nil, s.problem(tenure.Errorf(tenure.KindConflict, "service.CLV", "%s", sn.CLVError))
		}
		r := *sn.CLV
		r.Top = r.Top[:min(in.Top, len(r.Top))]
		return serve(sn, r), nil
	}
	r, err := s.svc.Reports.CLVWithHoldout(ctx, caller(ctx).TenantID, in.AsOf, in.HorizonMonths, in.DiscountRate, in.Top, in.HoldoutWeeks)
	if err != nil {
		return nil, s.problem(err)
	}
	return serve(nil, r), nil
}

type liftQuery struct {
	ID         string `path:"id" maxLength:"64" doc:"Rule id"`
	WindowDays int    `query:"window_days" minimum:"1" maximum:"730" default:"90"`
}

func (s *Server) ruleLift(ctx context.Context, in *liftQuery) (*body[service.LiftReport], error) {
	r, err := s.svc.Reports.Lift(ctx, caller(ctx).TenantID, in.ID, in.WindowDays)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
}
