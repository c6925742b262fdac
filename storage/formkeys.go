package storage

import "context"

// DeleteIdempotency forgets a key's record, so that the key may be used again: for a
// claim whose request then failed and changed nothing.
func (tx *Tx) DeleteIdempotency(ctx context.Context, tenantID, key string) error {
	_, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND idem_key = $2`, tenantID, key)
	return err
}
