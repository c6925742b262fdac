package service

import (
	"context"
	"fmt"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/clv"
	"github.com/tenure-loyalty/tenure/storage"
)

// SnapshotOptions choose a snapshot's window; zero fields take the defaults.
type SnapshotOptions struct {
	// AsOf is the instant the figures are as of. By default it is now, unless the store's
	// latest order is more than a month old (an imported history that has ended): then it
	// is the end of that order's day, so that the figures describe the history rather
	// than a year of silence after it. With To given and AsOf not, AsOf is To.
	AsOf time.Time
	// From and To bound the monthly metrics and cohorts; To is at most AsOf. By default
	// From is the start of the month twelve months before AsOf's month and To is AsOf.
	From, To time.Time
}

// quietAfter is how old a store's latest order may be before the default as-of date
// becomes that order's day: a month, the period of the monthly metrics.
const quietAfter = 31 * 24 * time.Hour

// resolve fills in the defaults, and returns why AsOf is what it is.
func (s *core) resolve(ctx context.Context, tenantID string, now time.Time, opt SnapshotOptions) (SnapshotOptions, string, error) {
	reason := "given"
	switch {
	case !opt.AsOf.IsZero():
	case !opt.To.IsZero():
		opt.AsOf, reason = opt.To, "the end of the window"
	default:
		var last time.Time
		if err := s.db.Read(ctx, func(tx *storage.Tx) error {
			var err error
			last, err = tx.LastPaidAt(ctx, tenantID)
			return err
		}); err != nil {
			return opt, "", err
		}
		// Just after now's second, so that an order paid this very second counts.
		opt.AsOf, reason = now.Truncate(time.Second).Add(time.Second), "now"
		if !last.IsZero() && now.Sub(last) > quietAfter {
			opt.AsOf = time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, time.UTC)
			reason = fmt.Sprintf("the end of the day of the latest order (%s), which is more than a month before now (%s)",
				last.Format(time.DateOnly), now.Format(time.DateOnly))
		}
	}
	opt.AsOf = opt.AsOf.UTC()
	if opt.To.IsZero() || opt.To.After(opt.AsOf) {
		opt.To = opt.AsOf
	}
	if opt.From.IsZero() {
		opt.From = analytics.Month.Start(opt.To.Add(-time.Second)).AddDate(0, -12, 0)
	}
	if !opt.From.Before(opt.To) {
		return opt, "", tenure.Invalid("service.Snapshot", "from", "the window's start %s is not before its end %s",
			opt.From.Format(time.RFC3339), opt.To.Format(time.RFC3339))
	}
	return opt, reason, nil
}

// computeSnapshot computes a snapshot in one pass over the tenant's orders, streamed from
// storage by (member, payment time, arrival): each member's orders are gathered, handed to
// the period metrics, cohorts and RFM (analytics.Aggregate), summarised for the CLV models
// and matched with the member's rule exposures for lift, then dropped. Memory is that of
// the results (a few rows per member) and of one member's orders; nothing holds all the
// orders. The service, `tenure analytics` and `tenure bench analytics` all use it.
func (s *core) computeSnapshot(ctx context.Context, tenantID string, now time.Time, opt SnapshotOptions) (*Snapshot, error) {
	opt, reason, err := s.resolve(ctx, tenantID, now, opt)
	if err != nil {
		return nil, err
	}
	asOf := opt.AsOf
	sn := &Snapshot{ComputedAt: now, AsOf: asOf, AsOfReason: reason, From: opt.From, To: opt.To, LiftWindowDays: liftWindowDays}
	if sn.Program, err = s.svc.Reports.ProgramMetrics(ctx, tenantID, opt.From, asOf); err != nil {
		return nil, err
	}
	lifts, err := s.snapshotLifts(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	agg := analytics.NewAggregate(analytics.AggregateConfig{
		AsOf:       asOf,
		Periods:    analytics.Periods(analytics.Month, opt.From, opt.To),
		CohortFrom: opt.From, CohortTo: opt.To,
		Segments: analytics.DefaultSegmentConfig(),
	})
	const week = 7 * 24 * time.Hour
	var (
		cs     []clv.Customer
		member string
		facts  []storage.OrderFact
		orders []analytics.Order
		txns   []clv.Transaction
	)
	flush := func() error {
		if len(facts) == 0 {
			return nil
		}
		if s.snapshotHook != nil {
			s.snapshotHook(ctx)
		}
		orders, txns = orders[:0], txns[:0]
		for _, f := range facts {
			net := max(f.Net, 0)
			orders = append(orders, analytics.Order{Customer: member, At: f.PaidAt, Amount: net, Items: f.Items})
			if f.PaidAt.Before(asOf) {
				txns = append(txns, clv.Transaction{CustomerID: member, Time: f.PaidAt, Amount: float64(net)})
			}
		}
		if err := agg.Add(member, orders); err != nil {
			return err
		}
		if len(txns) > 0 {
			c, err := clv.Summarize(txns, asOf, week)
			if err != nil {
				return err
			}
			cs = append(cs, c...)
		}
		for _, l := range lifts {
			l.add(member, facts)
		}
		facts = facts[:0]
		return nil
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		err := tx.EachOrderFact(ctx, tenantID, func(f storage.OrderFact) error {
			if f.MemberID != member {
				if err := flush(); err != nil {
					return err
				}
				member = f.MemberID
			}
			facts = append(facts, f)
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	res := agg.Result()
	sn.Customers, sn.Orders = res.Customers, res.Orders
	if res.Orders > 0 {
		sn.Monthly = res.Metrics
		for len(sn.Monthly) > 1 && sn.Monthly[0].CustomersToDate == 0 { // months before the first order
			sn.Monthly = sn.Monthly[1:]
		}
		sn.Cohorts = res.Cohorts
		sn.RFM = res.RFM
		sn.Lifecycle = analytics.SegmentCounts(sn.RFM)
		rep, err := fitSummaries(cs, asOf, 12, 0.01, len(cs))
		if err != nil {
			sn.CLVError = err.Error()
		} else {
			sn.CLV = &rep
		}
	}
	for _, l := range lifts {
		sn.Lifts = append(sn.Lifts, LiftReport{RuleID: l.ruleID, WindowDays: liftWindowDays, LiftReport: liftOf(l.exps, l.outcomes)})
	}
	sn.index()
	return sn, nil
}

// liftAcc gathers the outcomes of one rule's exposed members as their orders stream by.
type liftAcc struct {
	ruleID     string
	pointValue int64
	exps       []storage.Exposure
	at         map[string][]int // member id -> indexes into exps
	outcomes   []analytics.Outcome
}

func (l *liftAcc) add(member string, orders []storage.OrderFact) {
	for _, i := range l.at[member] {
		l.outcomes[i] = liftOutcome(l.exps[i], orders, l.pointValue, liftWindowDays)
	}
}

// snapshotLifts loads the exposures of every rule of the current set that holds members
// out; a member with no order keeps the outcome of no orders.
func (s *core) snapshotLifts(ctx context.Context, tenantID string) ([]*liftAcc, error) {
	set, err := s.svc.Rules.Current(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var out []*liftAcc
	for _, r := range set.Rules {
		if r.Holdout <= 0 {
			continue
		}
		l := &liftAcc{ruleID: r.ID, at: map[string][]int{}}
		err := s.db.Read(ctx, func(tx *storage.Tx) error {
			t, err := tx.Tenant(ctx, tenantID)
			if err != nil {
				return err
			}
			l.pointValue = t.Program.PointValue
			l.exps, err = tx.Exposures(ctx, tenantID, r.ID)
			return err
		})
		if err != nil {
			return nil, err
		}
		l.outcomes = make([]analytics.Outcome, len(l.exps))
		for i, e := range l.exps {
			l.outcomes[i] = liftOutcome(e, nil, l.pointValue, liftWindowDays)
			l.at[e.MemberID] = append(l.at[e.MemberID], i)
		}
		out = append(out, l)
	}
	return out, nil
}
