package service

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/storage"
)

// Standing is where a member stands in the program beyond the balance: tier and progress,
// segments, RFM scores and lifecycle stage, and the predicted value.
type Standing struct {
	Tier      *TierStatus            `json:"tier,omitempty"`
	Segments  []string               `json:"segments"`
	RFM       *analytics.CustomerRFM `json:"rfm,omitempty"`
	CLV       *MemberCLV             `json:"clv,omitempty"`
	CLVUsable bool                   `json:"clv_usable" doc:"The store-wide fit behind CLV and P(alive) converged without warnings"`
	// AnalyticsAsOf is when the store-wide RFM scores and CLV model were computed;
	// AnalyticsPending says they are being computed for the first time (RFM and CLV are
	// then absent).
	AnalyticsAsOf    time.Time `json:"analytics_as_of"`
	AnalyticsPending bool      `json:"analytics_pending,omitempty"`
}

// StandingMaxAge is how old the store-wide analytics behind a member's standing may be.
const StandingMaxAge = 15 * time.Minute

// Standing gathers a member's standing. RFM scores and the CLV model are store-wide:
// they come from the tenant's analytics snapshot, recomputed in the background when older
// than StandingMaxAge; it never waits for one.
func (s *Members) Standing(ctx context.Context, tenantID, memberID string) (st Standing, err error) {
	if ts, err := s.svc.Tiers.MemberStatus(ctx, tenantID, memberID); err == nil && ts.Rank > 0 {
		st.Tier = &ts
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) (err error) {
		st.Segments, err = tx.MemberSegments(ctx, memberID)
		return err
	})
	if err != nil {
		return st, err
	}
	sn := s.svc.Reports.ReadySnapshot(ctx, tenantID, StandingMaxAge)
	if sn == nil {
		st.AnalyticsPending = true
		return st, nil
	}
	st.AnalyticsAsOf = sn.ComputedAt
	st.RFM = sn.MemberRFM(memberID)
	if st.RFM == nil {
		return st, nil
	}
	st.CLV = sn.MemberCLV(memberID)
	st.CLVUsable = sn.CLV != nil && sn.CLV.Usable
	return st, nil
}
