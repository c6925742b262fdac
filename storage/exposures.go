package storage

import (
	"context"
	"time"
)

// Expose records a member's exposure to a rule with a holdout (the first one wins) and adds
// the points the rule gave them.
func (tx *Tx) Expose(ctx context.Context, tenantID, ruleID, memberID string, holdout bool, points int64) error {
	_, err := tx.exec(ctx, `INSERT INTO rule_exposures (tenant_id, rule_id, member_id, holdout, points, first_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, rule_id, member_id) DO UPDATE SET points = rule_exposures.points + excluded.points`,
		tenantID, ruleID, memberID, holdout, points, ts(tx.Now))
	return err
}

// Exposure is one member's first exposure to a rule.
type Exposure struct {
	MemberID string
	Holdout  bool
	Points   int64
	FirstAt  time.Time
}

// Exposures lists a rule's exposures.
func (tx *Tx) Exposures(ctx context.Context, tenantID, ruleID string) ([]Exposure, error) {
	rows, err := tx.query(ctx, `SELECT member_id, holdout, points, first_at FROM rule_exposures WHERE tenant_id = $1 AND rule_id = $2 ORDER BY member_id`, tenantID, ruleID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (Exposure, error) {
		var e Exposure
		var at int64
		err := s.Scan(&e.MemberID, &e.Holdout, &e.Points, &at)
		e.FirstAt = fromTS(at)
		return e, err
	})
}
