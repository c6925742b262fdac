package service

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/clv"
	"github.com/tenure-loyalty/tenure/storage"
)

// history loads the tenant's paid, uncancelled orders (net of refunds) as the analytics
// see them, keyed by member id. It reads only the orders table.
func (s *core) history(ctx context.Context, tenantID string) (*analytics.History, []clv.Transaction, error) {
	var orders []analytics.Order
	var txns []clv.Transaction
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		return tx.EachOrderFact(ctx, tenantID, func(f storage.OrderFact) error {
			net := max(f.Net, 0)
			orders = append(orders, analytics.Order{Customer: f.MemberID, At: f.PaidAt, Amount: net, Items: f.Items})
			txns = append(txns, clv.Transaction{CustomerID: f.MemberID, Time: f.PaidAt, Amount: float64(net)})
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	h, err := analytics.NewHistory(orders)
	return h, txns, err
}

// span returns [from, to) defaulting to the history's extent.
func span(h *analytics.History, from, to time.Time) (time.Time, time.Time) {
	first, last := h.Span()
	if from.IsZero() {
		from = first
	}
	if to.IsZero() {
		to = last.Add(time.Second)
	}
	return from, to
}

// CustomerMetrics returns the customer metrics per period (definitions in docs/metrics.md).
func (s *Reports) CustomerMetrics(ctx context.Context, tenantID string, g analytics.Granularity, from, to time.Time) ([]analytics.PeriodMetrics, error) {
	h, _, err := s.history(ctx, tenantID)
	if err != nil || h.Orders() == 0 {
		return nil, err
	}
	from, to = span(h, from, to)
	return h.Series(g, from, to, analytics.Options{}), nil
}

// Cohorts returns the retention matrix by first-order month.
func (s *Reports) Cohorts(ctx context.Context, tenantID string, from, to time.Time) (analytics.CohortTable, error) {
	h, _, err := s.history(ctx, tenantID)
	if err != nil || h.Orders() == 0 {
		return nil, err
	}
	from, to = span(h, from, to)
	return h.Cohorts(from, to), nil
}

// RFM scores every member with an order before asOf (now when zero).
func (s *Reports) RFM(ctx context.Context, tenantID string, asOf time.Time) ([]analytics.CustomerRFM, error) {
	h, _, err := s.history(ctx, tenantID)
	if err != nil || h.Orders() == 0 {
		return nil, err
	}
	if asOf.IsZero() {
		asOf = s.Clock.Now()
	}
	return h.RFM(asOf, analytics.DefaultSegmentConfig()), nil
}

// ProgramMetrics are the loyalty program's own numbers over a period.
type ProgramMetrics struct {
	From              time.Time `json:"from"`
	To                time.Time `json:"to"`
	Members           int64     `json:"members"`
	ActiveMembers     int64     `json:"active_members" doc:"Members with an order in the 90 days before To"`
	Participating     int64     `json:"participating_members" doc:"Members holding available points at To"`
	ParticipationRate float64   `json:"participation_rate" doc:"Participating / members"`
	Issued            int64     `json:"points_issued" doc:"Earned plus positive adjustments in the period"`
	Redeemed          int64     `json:"points_redeemed" doc:"Spent in the period"`
	Expired           int64     `json:"points_expired"`
	Reversed          int64     `json:"points_reversed" doc:"Clawed back after refunds and cancellations"`
	RedemptionRate    float64   `json:"redemption_rate" doc:"Redeemed / issued"`
	Outstanding       int64     `json:"points_outstanding" doc:"Available points now"`
	Pending           int64     `json:"points_pending"`
	LiabilityMinor    int64     `json:"liability_minor" doc:"Outstanding points at the program's point value, minor units"`
	Currency          string    `json:"currency"`
}

// ProgramMetrics sums the ledger over [from, to) (the last 365 days by default). It is the
// one definition of the program's figures: the API, the analytics page and the overview all
// show these numbers.
func (s *Reports) ProgramMetrics(ctx context.Context, tenantID string, from, to time.Time) (pm ProgramMetrics, err error) {
	if to.IsZero() {
		to = s.Clock.Now()
	}
	if from.IsZero() {
		from = to.AddDate(-1, 0, 0)
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) (err error) {
		pm, err = programMetrics(ctx, tx, tenantID, from, to)
		return err
	})
	return pm, err
}

// LedgerFlow is what one day's ledger movement of one kind adds to the program's figures.
type LedgerFlow struct{ Issued, Redeemed, Expired, Reversed int64 }

// FoldLedger classifies a day's movement of one entry kind: issued are points earned and
// added by hand (positive adjustments), redeemed are points spent net of points given back
// when a redemption is undone, expired and reversed (clawed back after refunds) as
// positive numbers. The overview's weekly chart and every program total use it.
func FoldLedger(d analytics.LedgerDay) LedgerFlow {
	switch d.Kind {
	case tenure.EntryEarn, tenure.EntryAdjust:
		return LedgerFlow{Issued: d.Credit}
	case tenure.EntrySpend, tenure.EntryRestore:
		return LedgerFlow{Redeemed: -(d.Debit + d.Credit)}
	case tenure.EntryExpire:
		return LedgerFlow{Expired: -d.Debit}
	case tenure.EntryReverse:
		return LedgerFlow{Reversed: -(d.Debit + d.Credit)}
	}
	return LedgerFlow{}
}

// activeWindow is how recent an order makes a member active.
const activeWindow = 90 * 24 * time.Hour

// programMetrics reads the program figures over [from, to) in tx.
func programMetrics(ctx context.Context, tx *storage.Tx, tenantID string, from, to time.Time) (pm ProgramMetrics, err error) {
	pm.From, pm.To = from, to
	t, err := tx.Tenant(ctx, tenantID)
	if err != nil {
		return pm, err
	}
	pm.Currency = t.Program.Currency
	if pm.Members, err = tx.CountMembers(ctx, tenantID); err != nil {
		return pm, err
	}
	if pm.ActiveMembers, err = tx.ActiveMembers(ctx, tenantID, to.Add(-activeWindow), to); err != nil {
		return pm, err
	}
	days, err := tx.LedgerByDay(ctx, tenantID, tenure.Points, from, to)
	if err != nil {
		return pm, err
	}
	for _, d := range days {
		f := FoldLedger(d)
		pm.Issued += f.Issued
		pm.Redeemed += f.Redeemed
		pm.Expired += f.Expired
		pm.Reversed += f.Reversed
	}
	if pm.Outstanding, pm.Pending, pm.Participating, err = tx.Outstanding(ctx, tenantID, tenure.Points); err != nil {
		return pm, err
	}
	pm.LiabilityMinor = pm.Outstanding * t.Program.PointValue / 1_000_000
	pm.ParticipationRate = ratio(pm.Participating, pm.Members)
	pm.RedemptionRate = ratio(pm.Redeemed, pm.Issued)
	return pm, nil
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// CLVReport is a predictive CLV fit on the tenant's orders: BG/NBD for purchases and
// Gamma-Gamma for spend, with fit diagnostics and the members of highest predicted value.
type CLVReport struct {
	CalibrationEnd  time.Time   `json:"calibration_end"`
	Customers       int         `json:"customers"`
	Repeaters       int         `json:"repeat_customers"`
	BGNBD           clv.Fit     `json:"bgnbd"`
	GammaGamma      *clv.Fit    `json:"gamma_gamma,omitempty"`
	GammaGammaError string      `json:"gamma_gamma_error,omitempty"`
	Usable          bool        `json:"usable" doc:"Both fits converged without warnings; otherwise treat the numbers with care"`
	HorizonMonths   int         `json:"horizon_months"`
	DiscountRate    float64     `json:"monthly_discount_rate"`
	TotalCLVMinor   float64     `json:"total_clv_minor"`
	Top             []MemberCLV `json:"top"`
	AliveBuckets    [10]int     `json:"p_alive_deciles" doc:"Members by P(alive) in tenths: [0,0.1), [0.1,0.2) ..."`
	Distribution    []CLVBin    `json:"distribution" doc:"Members by predicted CLV in equal-width bins; the last is open-ended"`
	ValueError      string      `json:"value_error,omitempty" doc:"Why no CLV values could be computed although both models fitted"`
	Warnings        []string    `json:"warnings,omitempty" doc:"Why the fit is not usable although both models converged (e.g. no recent orders)"`
	// Holdout compares, when asked for, a fit on the orders before the last HoldoutWeeks
	// with what customers then did: predicted vs actual repeat purchases by frequency.
	HoldoutWeeks int             `json:"holdout_weeks,omitempty"`
	Holdout      *clv.Comparison `json:"holdout,omitempty"`
}

// MemberCLV is one member's prediction.
type MemberCLV struct {
	MemberID           string  `json:"member_id"`
	PAlive             float64 `json:"p_alive"`
	ExpectedPurchases  float64 `json:"expected_purchases"`
	ExpectedSpendMinor float64 `json:"expected_spend_minor"`
	CLVMinor           float64 `json:"clv_minor"`
}

// CLV fits the models on orders up to asOf (now when zero), in weeks, and predicts each
// member's purchases and value over horizonMonths with a monthly discount rate.
func (s *Reports) CLV(ctx context.Context, tenantID string, asOf time.Time, horizonMonths int, discount float64, top int) (CLVReport, error) {
	return s.CLVWithHoldout(ctx, tenantID, asOf, horizonMonths, discount, top, 0)
}

// CLVWithHoldout is CLV plus, with holdoutWeeks > 0, a calibration/holdout check of the
// purchase model: fitted on orders up to asOf minus the holdout, compared with the
// purchases customers made in the holdout.
func (s *Reports) CLVWithHoldout(ctx context.Context, tenantID string, asOf time.Time, horizonMonths int, discount float64, top, holdoutWeeks int) (CLVReport, error) {
	if asOf.IsZero() {
		asOf = s.Clock.Now()
	}
	_, txns, err := s.history(ctx, tenantID)
	if err != nil {
		return CLVReport{HorizonMonths: horizonMonths, DiscountRate: discount, CalibrationEnd: asOf}, err
	}
	return fitCLV(txns, asOf, horizonMonths, discount, top, holdoutWeeks)
}

// fitCLV is CLVWithHoldout on transactions already loaded. It may reorder and shorten txns.
func fitCLV(txns []clv.Transaction, asOf time.Time, horizonMonths int, discount float64, top, holdoutWeeks int) (CLVReport, error) {
	rep := CLVReport{HorizonMonths: horizonMonths, DiscountRate: discount, CalibrationEnd: asOf}
	txns = slices.DeleteFunc(txns, func(t clv.Transaction) bool { return !t.Time.Before(asOf) })
	if len(txns) == 0 {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "no orders before %s to fit on", asOf.Format(time.DateOnly))
	}
	week := 7 * 24 * time.Hour
	cs, err := clv.Summarize(txns, asOf, week)
	if err != nil {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "%v", err)
	}
	if rep, err = fitSummaries(cs, asOf, horizonMonths, discount, top); err != nil || holdoutWeeks <= 0 {
		return rep, err
	}
	rep.HoldoutWeeks = holdoutWeeks
	calEnd := asOf.AddDate(0, 0, -7*holdoutWeeks)
	var cal []clv.Transaction
	for _, t := range txns {
		if t.Time.Before(calEnd) {
			cal = append(cal, t)
		}
	}
	ccs, err := clv.Summarize(cal, calEnd, week)
	if err != nil {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "holdout calibration: %v", err)
	}
	cm, _, err := clv.FitBGNBD(ccs, nil)
	if err != nil {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "holdout calibration: %v", err)
	}
	actual, err := clv.HoldoutPurchases(txns, ccs, calEnd, asOf)
	if err != nil {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "holdout: %v", err)
	}
	cmp, err := clv.CompareHoldout(cm, ccs, actual, float64(holdoutWeeks), 7)
	if err != nil {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "holdout: %v", err)
	}
	rep.Holdout = &cmp
	return rep, nil
}

// quietWeeks is how long before the calibration end a fit is still taken as describing a
// live store: with no order at all in the last quietWeeks, the models are extrapolating
// from a store that has gone quiet and are not reported as usable.
const quietWeeks = 30.0 / 7

// fitSummaries fits both models on customer summaries (in weeks, at asOf) and values every
// customer, highest value first (ties by member id, so reports are reproducible).
func fitSummaries(cs []clv.Customer, asOf time.Time, horizonMonths int, discount float64, top int) (CLVReport, error) {
	rep := CLVReport{HorizonMonths: horizonMonths, DiscountRate: discount, CalibrationEnd: asOf}
	if len(cs) == 0 {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "no orders before %s to fit on", asOf.Format(time.DateOnly))
	}
	rep.Customers = len(cs)
	m, fit, err := clv.FitBGNBD(cs, nil)
	if err != nil {
		return rep, tenure.Errorf(tenure.KindConflict, "service.CLV", "BG/NBD: %v", err)
	}
	rep.BGNBD = fit
	var repeaters []clv.Customer
	for _, c := range cs {
		if c.X > 0 && c.Monetary > 0 { // fully refunded repeat orders leave no spend to model
			repeaters = append(repeaters, c)
		}
	}
	rep.Repeaters = len(repeaters)
	g, gfit, gerr := clv.FitGammaGamma(repeaters, nil)
	if gerr == nil {
		rep.GammaGamma = &gfit
	} else {
		rep.GammaGammaError = gerr.Error()
	}
	rep.Usable = fit.OK() && gerr == nil && gfit.OK()
	quiet := math.Inf(1)
	for _, c := range cs {
		quiet = min(quiet, c.T-c.Tx)
	}
	if quiet > quietWeeks {
		rep.Usable = false
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("no order in the %.0f days before %s: the models extrapolate from a store that has gone quiet; take the figures as of the last order's date instead",
			quiet*7, asOf.Format(time.DateOnly)))
	}
	members := make([]MemberCLV, len(cs))
	var values []float64
	if gerr == nil {
		var verr error
		// A repeat buyer whose repeat orders were all refunded has a mean repeat spend of 0,
		// which the spend model cannot take as data; valued at (practically) 0, their
		// expected spend is the population's, shrunk by their x orders of nothing.
		valued := slices.Clone(cs)
		for i := range valued {
			if valued[i].X > 0 && !(valued[i].Monetary > 0) {
				valued[i].Monetary = 1e-9
			}
		}
		values, verr = clv.CLV(m, g, valued, clv.CLVOptions{Periods: horizonMonths, PeriodLength: 52.0 / 12, DiscountRate: discount})
		if verr != nil { // e.g. a spend model whose mean is infinite (q <= 1): no values rather than wrong ones
			rep.ValueError, rep.Usable = verr.Error(), false
		}
	}
	horizonWeeks := float64(horizonMonths) * 52 / 12
	for i, c := range cs {
		mc := MemberCLV{MemberID: c.ID, PAlive: m.PAlive(c.X, c.Tx, c.T), ExpectedPurchases: m.ConditionalExpectedPurchases(horizonWeeks, c.X, c.Tx, c.T)}
		if gerr == nil {
			mc.ExpectedSpendMinor = g.ConditionalExpectedSpend(c.X, max(c.Monetary, 0))
		}
		if values != nil && !math.IsNaN(values[i]) {
			mc.CLVMinor = values[i]
			rep.TotalCLVMinor += values[i]
		}
		if d := int(mc.PAlive * 10); d >= 0 {
			rep.AliveBuckets[min(d, 9)]++
		}
		members[i] = mc
	}
	slices.SortFunc(members, byValue)
	if values != nil {
		rep.Distribution = clvBins(values, 8)
	}
	rep.Top = members[:min(top, len(members))]
	return rep, nil
}
