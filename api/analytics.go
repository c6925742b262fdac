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

type metricsQuery struct {
	rangeQuery
	Granularity string `query:"granularity" enum:"month,quarter,year" default:"month"`
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

func (s *Server) analyticsMetrics(ctx context.Context, in *metricsQuery) (*body[listBody[analytics.PeriodMetrics]], error) {
	ms, err := s.svc.Reports.CustomerMetrics(ctx, caller(ctx).TenantID, granularity(in.Granularity), in.From, in.To)
	if err != nil {
		return nil, s.problem(err)
	}
	return list(ms, ""), nil
}

type csvOut struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func csvFile(name string, write func(*bytes.Buffer) error) (*csvOut, error) {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return nil, err
	}
	return &csvOut{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="` + name + `"`, Body: b.Bytes()}, nil
}

func (s *Server) analyticsMetricsCSV(ctx context.Context, in *metricsQuery) (*csvOut, error) {
	ms, err := s.svc.Reports.CustomerMetrics(ctx, caller(ctx).TenantID, granularity(in.Granularity), in.From, in.To)
	if err != nil {
		return nil, s.problem(err)
	}
	return csvFile("metrics.csv", func(b *bytes.Buffer) error { return analytics.WriteSeriesCSV(b, ms) })
}

func (s *Server) analyticsCohorts(ctx context.Context, in *rangeQuery) (*body[listBody[analytics.Cohort]], error) {
	t, err := s.svc.Reports.Cohorts(ctx, caller(ctx).TenantID, in.From, in.To)
	if err != nil {
		return nil, s.problem(err)
	}
	return list([]analytics.Cohort(t), ""), nil
}

func (s *Server) analyticsCohortsCSV(ctx context.Context, in *rangeQuery) (*csvOut, error) {
	t, err := s.svc.Reports.Cohorts(ctx, caller(ctx).TenantID, in.From, in.To)
	if err != nil {
		return nil, s.problem(err)
	}
	return csvFile("cohorts.csv", func(b *bytes.Buffer) error { return t.WriteRetentionMatrixCSV(b) })
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

func (s *Server) analyticsRFM(ctx context.Context, in *rfmQuery) (*body[rfmOut], error) {
	rs, err := s.svc.Reports.RFM(ctx, caller(ctx).TenantID, in.AsOf)
	if err != nil {
		return nil, s.problem(err)
	}
	limit := in.Limit
	if limit == 0 {
		limit = 100
	}
	return ok(rfmOut{Segments: analytics.SegmentCounts(rs), Members: rs[:min(limit, len(rs))], Total: len(rs)}), nil
}

func (s *Server) analyticsRFMCSV(ctx context.Context, in *rfmQuery) (*csvOut, error) {
	rs, err := s.svc.Reports.RFM(ctx, caller(ctx).TenantID, in.AsOf)
	if err != nil {
		return nil, s.problem(err)
	}
	return csvFile("rfm.csv", func(b *bytes.Buffer) error { return analytics.WriteRFMCSV(b, rs) })
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

func (s *Server) analyticsCLV(ctx context.Context, in *clvQuery) (*body[service.CLVReport], error) {
	r, err := s.svc.Reports.CLVWithHoldout(ctx, caller(ctx).TenantID, in.AsOf, in.HorizonMonths, in.DiscountRate, in.Top, in.HoldoutWeeks)
	if err != nil {
		return nil, s.problem(err)
	}
	return ok(r), nil
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
