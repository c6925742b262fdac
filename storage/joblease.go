package storage

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// ExtendJobLease renews owner's lease of a running job until the given time, for a job that
// computes longer than one lease. KindConflict when owner no longer holds it.
func (tx *Tx) ExtendJobLease(ctx context.Context, id, owner string, until time.Time) error {
	res, err := tx.exec(ctx, `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'`, ts(until), id, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return tenure.Errorf(tenure.KindConflict, "storage.ExtendJobLease", "lease of job %s lost", id)
	}
	return nil
}
