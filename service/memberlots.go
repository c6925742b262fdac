package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// PendingLots returns how many points of each of a member's lots are still pending (lot
// id -> points), for a history that shows an earning as pending until its points are
// released. Lots with nothing pending are left out.
func (s *Members) PendingLots(ctx context.Context, tenantID, memberRef string) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		lots, err := tx.OpenLots(ctx, m.ID, tenure.Points)
		for _, l := range lots {
			if l.Pending > 0 {
				out[l.ID] = l.Pending
			}
		}
		return err
	})
	return out, err
}
