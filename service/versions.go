package service

import (
	"context"
	"fmt"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Configuration staff edit by hand (rules, tiers, program settings, rewards, segments)
// carries a version. A save names the version its editor started from, or AnyVersion;
// when another save came first it is a KindConflict ("reload and apply your change
// again"), never a lost update. The API shows the version as an ETag and takes If-Match;
// the dashboard keeps it in a hidden field of each form.

// bumpVersion records a save of a piece of configuration in tx and returns its new
// version, or a KindConflict naming what changed when base is stale.
func bumpVersion(ctx context.Context, tx *storage.Tx, tenantID, kind, ref string, base int64, what string) (int64, error) {
	v, ok, err := tx.BumpConfigVersion(ctx, tenantID, kind, ref, base)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, staleVersion("service.save", what, base)
	}
	return v, nil
}

// staleVersion is the conflict of a save over a version that is no longer current.
func staleVersion(op, what string, base int64) error {
	msg := fmt.Sprintf("%s changed since version %d, which this edit started from: reload and apply your change again", what, base)
	if base == 0 {
		msg = what + " was saved by someone else since this edit started: reload and apply your change to the saved one"
	}
	return &tenure.Error{Kind: tenure.KindConflict, Op: op, Message: msg}
}
