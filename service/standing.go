package service

import (
	"context"

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
}

// MemberStanding gathers a member's standing. RFM scores and the CLV model are store-wide,
// so this reads the store's order history: fine for a staff page, not for a hot path.
func (s *Service) MemberStanding(ctx context.Context, tenantID, memberID string) (st Standing, err error) {
	if ts, err := s.MemberTierStatus(ctx, tenantID, memberID); err == nil && ts.Rank > 0 {
		st.Tier = &ts
	}
	err = s.DB.Read(ctx, func(tx *storage.Tx) (err error) {
		st.Segments, err = tx.MemberSegments(ctx, memberID)
		return err
	})
	if err != nil {
		return st, err
	}
	rs, err := s.RFM(ctx, tenantID, s.Clock.Now())
	if err != nil {
		return st, err
	}
	for i := range rs {
		if rs[i].Customer == memberID {
			st.RFM = &rs[i]
		}
	}
	if st.RFM == nil {
		return st, nil
	}
	rep, err := s.CLV(ctx, tenantID, s.Clock.Now(), 12, 0.01, 1<<30)
	if err != nil {
		return st, nil // no model for this store yet (too few repeat buyers): nothing to show
	}
	st.CLVUsable = rep.Usable
	for i := range rep.Top {
		if rep.Top[i].MemberID == memberID {
			st.CLV = &rep.Top[i]
		}
	}
	return st, nil
}
