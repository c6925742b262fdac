package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// formKeyOp is the operation recorded for a claimed form key.
const formKeyOp = "dashboard.form"

// ClaimFormKey claims the one-time key a dashboard form was served with, before the form's
// change is made: fresh is true the first time and false for a form sent again (a reload
// of the page a POST answered, the back button, a double click), whose change must not be
// made twice. Two claims of one key at once are settled by the key's unique index: one of
// them is fresh.
func (s *Access) ClaimFormKey(ctx context.Context, tenantID, key string) (fresh bool, err error) {
	if key == "" || len(key) > 128 {
		return false, tenure.Invalid("service.ClaimFormKey", "form_key", "must be the key the form was served with")
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		_, found, err := tx.Idempotency(ctx, tenantID, "form:"+key)
		if err != nil || found {
			fresh = false
			return err
		}
		fresh = true
		return tx.SaveIdempotency(ctx, tenantID, "form:"+key, storage.IdempotencyRecord{Operation: formKeyOp})
	})
	return fresh, err
}

// ReleaseFormKey gives back a claimed form key whose request was refused and changed
// nothing, so that the same form may be corrected and sent again.
func (s *Access) ReleaseFormKey(ctx context.Context, tenantID, key string) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		return tx.DeleteIdempotency(ctx, tenantID, "form:"+key)
	})
}
