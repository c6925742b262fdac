package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// idempotent runs do once per Idempotency-Key: a repeat with the same key and body returns
// the stored result without running do; the same key with another operation or body is a
// conflict. An empty key runs do every time.
func idempotent[T any](ctx context.Context, tx *storage.Tx, tenantID, key, op string, req any, do func() (T, error)) (T, error) {
	var zero T
	if key == "" {
		return do()
	}
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:16])
	rec, found, err := tx.Idempotency(ctx, tenantID, key)
	if err != nil {
		return zero, err
	}
	if found {
		if rec.Operation != op || rec.BodyHash != hash {
			return zero, &tenure.Error{Kind: tenure.KindConflict, Op: op, Message: "Idempotency-Key reused for a different request",
				Fields: []tenure.FieldError{{Field: "header.Idempotency-Key", Message: "was already used with another operation or body"}}}
		}
		var out T
		return out, json.Unmarshal([]byte(rec.Response), &out)
	}
	out, err := do()
	if err != nil {
		return zero, err
	}
	resp, _ := json.Marshal(out)
	return out, tx.SaveIdempotency(ctx, tenantID, key, storage.IdempotencyRecord{Operation: op, BodyHash: hash, Response: string(resp)})
}
