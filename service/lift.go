package service

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/storage"
)

// LiftReport is what a rule with a holdout did: members' behaviour in the window after
// their first exposure, treated against held out, net of the points' cost.
type LiftReport struct {
	RuleID     string `json:"rule_id"`
	WindowDays int    `json:"window_days"`
	analytics.LiftReport
}

// Lift compares treated and held-out members of a rule over windowDays after each
// member's first exposure (orders at the exposure instant itself are the trigger, not the
// outcome, and are left out). Reward cost is the points the rule gave, at the program's
// point value.
func (s *Reports) Lift(ctx context.Context, tenantID, ruleID string, windowDays int) (LiftReport, error) {
	rep := LiftReport{RuleID: ruleID, WindowDays: windowDays}
	var exps []storage.Exposure
	var pointValue int64
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, tenantID)
		if err != nil {
			return err
		}
		pointValue = t.Program.PointValue
		exps, err = tx.Exposures(ctx, tenantID, ruleID)
		return err
	})
	if err != nil {
		return rep, err
	}
	if len(exps) == 0 {
		return rep, tenure.NotFound("service.Lift", "exposures of rule", ruleID)
	}
	orders := map[string][]storage.OrderFact{}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		return tx.EachOrderFact(ctx, tenantID, func(f storage.OrderFact) error {
			orders[f.MemberID] = append(orders[f.MemberID], f)
			return nil
		})
	})
	if err != nil {
		return rep, err
	}
	rep.LiftReport = lift(exps, orders, pointValue, windowDays)
	return rep, nil
}

// lift compares the outcomes of exposed members, treated against held out, over windowDays
// after each one's first exposure, given every member's orders.
func lift(exps []storage.Exposure, orders map[string][]storage.OrderFact, pointValue int64, windowDays int) analytics.LiftReport {
	out := make([]analytics.Outcome, len(exps))
	for i, e := range exps {
		out[i] = liftOutcome(e, orders[e.MemberID], pointValue, windowDays)
	}
	return liftOf(exps, out)
}

// liftOutcome is what an exposed member did in the window after their first exposure,
// given their orders, and (for a treated member) what the rule's points cost.
func liftOutcome(e storage.Exposure, orders []storage.OrderFact, pointValue int64, windowDays int) analytics.Outcome {
	window := time.Duration(windowDays) * 24 * time.Hour
	var o analytics.Outcome
	for _, f := range orders {
		if f.PaidAt.After(e.FirstAt) && !f.PaidAt.After(e.FirstAt.Add(window)) {
			o.Orders++
			o.Revenue += max(f.Net, 0)
		}
	}
	if !e.Holdout {
		o.Cost = e.Points * pointValue / 1_000_000
	}
	return o
}

// liftOf splits the outcomes of exps (by index) into treated and held out, in exposure
// order, and compares them.
func liftOf(exps []storage.Exposure, outcomes []analytics.Outcome) analytics.LiftReport {
	var treated, holdout []analytics.Outcome
	for i, e := range exps {
		if e.Holdout {
			holdout = append(holdout, outcomes[i])
		} else {
			treated = append(treated, outcomes[i])
		}
	}
	return analytics.Lift(treated, holdout)
}
