package storage

import (
	"context"
	"strings"
	"time"
)

// Count is how many times something was counted for a key in one bucket of time.
type Count struct {
	Key   string
	Start time.Time // the bucket's start
	N     int
}

// Counts returns the counts of keys in buckets starting at or after since, oldest first.
func (tx *Tx) Counts(ctx context.Context, keys []string, since time.Time) ([]Count, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := []any{ts(since)}
	marks := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		marks[i] = tx.d.placeholder(i + 2)
	}
	ph := tx.d.placeholder(1)
	rows, err := tx.query(ctx, `SELECT counter_key, bucket, n FROM throttle_counts WHERE bucket >= `+ph+
		` AND counter_key IN (`+strings.Join(marks, ", ")+`) ORDER BY bucket, counter_key`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		var start int64
		if err := rows.Scan(&c.Key, &start, &c.N); err != nil {
			return nil, err
		}
		c.Start = fromTS(start)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddCounts counts one more for each key in the bucket starting at start.
func (tx *Tx) AddCounts(ctx context.Context, keys []string, start time.Time) error {
	for _, k := range keys {
		if _, err := tx.exec(ctx, `INSERT INTO throttle_counts (counter_key, bucket, n) VALUES ($1, $2, 1)
			ON CONFLICT (counter_key, bucket) DO UPDATE SET n = throttle_counts.n + 1`, k, ts(start)); err != nil {
			return err
		}
	}
	return nil
}

// ClearCounts forgets every count of key.
func (tx *Tx) ClearCounts(ctx context.Context, key string) error {
	_, err := tx.exec(ctx, `DELETE FROM throttle_counts WHERE counter_key = $1`, key)
	return err
}

// PruneCounts deletes the buckets that started before before.
func (tx *Tx) PruneCounts(ctx context.Context, before time.Time) error {
	_, err := tx.exec(ctx, `DELETE FROM throttle_counts WHERE bucket < $1`, ts(before))
	return err
}
