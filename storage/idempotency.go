package storage

import "context"

// IdempotencyRecord is the stored outcome of an unsafe call made with an Idempotency-Key.
type IdempotencyRecord struct {
	Operation string
	BodyHash  string
	Response  string
}

// Idempotency loads the record for a key; found is false if the key is new.
func (tx *Tx) Idempotency(ctx context.Context, tenantID, key string) (r IdempotencyRecord, found bool, err error) {
	err = tx.queryRow(ctx, `SELECT operation, body_hash, response FROM idempotency_keys WHERE tenant_id = $1 AND idem_key = $2`, tenantID, key).
		Scan(&r.Operation, &r.BodyHash, &r.Response)
	if isNoRows(err) {
		return r, false, nil
	}
	return r, err == nil, err
}

// SaveIdempotency stores a call's outcome. A concurrent call with the same key fails with
// a unique violation, and its retried transaction then finds this record.
func (tx *Tx) SaveIdempotency(ctx context.Context, tenantID, key string, r IdempotencyRecord) error {
	_, err := tx.exec(ctx, `INSERT INTO idempotency_keys (tenant_id, idem_key, operation, body_hash, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		tenantID, key, r.Operation, r.BodyHash, r.Response, ts(tx.Now))
	return err
}
