package service

import (
	"context"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
)

// ruleInput is the one place where the evaluator's input is assembled from a member and
// an event (with its order). Live intake, the dry run and the backtest all build their
// input here, so the rules see the same member whichever path judges the event: the
// profile (id, tags, attributes, enrolment) from m, and the changing part (balance, order
// statistics, tier, segments, metrics) from b, which each path gets its own way — live
// intake loads it (memberBasis), the backtest reads what each order recorded, a dry run
// takes the sample member. Usage and budgets are added by the caller.
func ruleInput(m tenure.Member, b tenure.MemberBasis, ev tenure.Event, o *tenure.Order, at time.Time) rules.Input {
	snap := rules.MemberOf(m)
	snap.Points = b.Points
	if b.Stats != nil {
		snap.OrderCount, snap.TotalSpent = b.Stats.Orders, b.Stats.Spent
	}
	if b.Tier != nil {
		snap.Tier = *b.Tier
	} else {
		snap.Tier, _ = m.Attributes["tier"].(string)
	}
	if b.Segments != nil {
		snap.Segments = *b.Segments
	}
	snap.Metrics = b.Metrics
	return rules.Input{At: at, Event: ev, Order: o, Member: snap}
}

// memberStats is a member's order count and spend before the event being judged,
// including orders paid earlier in the same transaction.
type memberStats struct{ orders, spent int64 }

// memberBasis loads, in the transaction, the changing part of a member that the rule
// book reads: always the available balance, and the order statistics, tier, segments
// and metrics when some rule reads them.
func (s *core) memberBasis(ctx context.Context, u *unit, rb *ruleBook, m tenure.Member) (tenure.MemberBasis, error) {
	tx := u.tx
	var b tenure.MemberBasis
	if rb.stats {
		if _, ok := u.stats[m.ID]; !ok {
			if err := u.loadStats(ctx, m.ID); err != nil {
				return b, err
			}
		}
		st := u.stats[m.ID]
		b.Stats = &tenure.OrderStats{Orders: st.orders, Spent: st.spent}
	}
	if rb.segs {
		segs, err := tx.MemberSegments(ctx, m.ID)
		if err != nil {
			return b, err
		}
		if segs == nil {
			segs = []string{}
		}
		b.Segments = &segs
	}
	if rb.tier {
		tier, _ := m.Attributes["tier"].(string)
		t, _, err := s.tierOf(ctx, tx, u.tenantID, m.ID)
		if err != nil {
			return b, err
		}
		if t != "" {
			tier = t
		}
		b.Tier = &tier
	}
	if rb.metrics {
		b.Metrics, b.MetricsSet = s.memberMetrics(ctx, u.tenantID, m.ID), true
	}
	book, err := u.book(ctx, m.ID, tenure.Points)
	if err != nil {
		return b, err
	}
	b.Points = book.Balance.Available
	return b, nil
}

// award judges an event with the tenant's rules and records the usage and budget the
// result consumed, in the transaction. The points themselves are written by the caller.
// For an order's payment it keeps on the order the member state the rules read
// (o.Points.Basis), which backtests replay.
func (s *core) award(ctx context.Context, u *unit, m tenure.Member, ev tenure.Event, o *tenure.Order, at time.Time) (rules.Result, *ruleBook, error) {
	tx := u.tx
	if u.rules == nil {
		var err error
		if u.rules, err = s.rules(ctx, tx, u.tenantID, u.prog); err != nil {
			return rules.Result{}, nil, err
		}
	}
	rb := u.rules
	basis, err := s.memberBasis(ctx, u, rb, m)
	if err != nil {
		return rules.Result{}, nil, err
	}
	in := ruleInput(m, basis, ev, o, at)
	if rb.subs {
		if in.Member.Subscription, err = memberSubscription(ctx, tx, u.tenantID, m.ID); err != nil {
			return rules.Result{}, nil, err
		}
	}
	periods := rules.PeriodsAt(at, rb.cs.Location())
	keys := []string{"day:" + periods.Day, "week:" + periods.Week, "month:" + periods.Month, "year:" + periods.Year, "lifetime"}
	if len(rb.counted) > 0 {
		if err := u.loadUsage(ctx, rb, m.ID, keys); err != nil {
			return rules.Result{}, nil, err
		}
		in.Usage = map[string]rules.Usage{}
		for id, byPeriod := range u.usage[m.ID] {
			c := func(k string) rules.Counter {
				return rules.Counter{Times: byPeriod[k].Times, Points: byPeriod[k].Points}
			}
			in.Usage[id] = rules.Usage{Day: c(keys[0]), Week: c(keys[1]), Month: c(keys[2]), Year: c(keys[3]), Lifetime: c(keys[4])}
		}
	}
	if len(rb.budgets) > 0 {
		if err := u.loadBudgets(ctx, rb); err != nil {
			return rules.Result{}, nil, err
		}
		in.Budgets = u.budgetsLeft(rb)
	}
	res := rules.Evaluate(rb.cs, in)
	if len(res.Budgets) > 0 {
		if res, err = u.lockBudgets(ctx, rb, in, res); err != nil {
			return res, rb, err
		}
	}
	if o != nil && ev.Type == tenure.OrderPaid {
		o.Points.Basis = &basis
	}
	var firings []storage.RuleFiring
	for _, inc := range res.Usage {
		if slices.Contains(rb.counted, inc.RuleID) {
			firings = append(firings, storage.RuleFiring{RuleID: inc.RuleID, Points: inc.Points})
		}
	}
	if err := tx.AddRuleUsage(ctx, u.tenantID, m.ID, firings, keys); err != nil {
		return res, rb, err
	}
	u.addUsage(m.ID, firings, keys)
	spends := make([]storage.BudgetSpend, 0, len(res.Budgets))
	for _, b := range res.Budgets {
		spends = append(spends, storage.BudgetSpend{Key: b.Key, Points: b.Points})
		u.budgets[b.Key] += b.Points
	}
	if err := tx.SpendBudgets(ctx, u.tenantID, spends); err != nil {
		return res, rb, err
	}
	for _, x := range res.Exposures {
		if err := tx.Expose(ctx, u.tenantID, x.RuleID, m.ID, x.Holdout, res.Attributed(x.RuleID)); err != nil {
			return res, rb, err
		}
	}
	return res, rb, nil
}

// metricsMaxAge is how old the kept analytics snapshot may be before reading a member's
// metrics starts a new computation in the background.
const metricsMaxAge = time.Hour

// memberMetrics returns a member's analytics metrics for rule conditions (member.metrics)
// from the analytics snapshot this process keeps, without waiting for one: with none
// kept yet it starts the first computation and returns no metrics, and a snapshot older
// than metricsMaxAge is refreshed in the background while its numbers are used. The keys
// are documented in docs/rules.md.
func (s *core) memberMetrics(ctx context.Context, tenantID, memberID string) map[string]float64 {
	sn := s.svc.Reports.ReadySnapshot(ctx, tenantID, metricsMaxAge)
	if sn == nil {
		return map[string]float64{}
	}
	return sn.MemberMetrics(memberID)
}
