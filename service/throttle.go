package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/tenure-loyalty/tenure/storage"
)

// CountBucket is the granularity of windowed counts: events are counted per minute.
const CountBucket = time.Minute

// WindowCount is how many events were counted for a key in the bucket starting at Start.
// An event in it counts until Start + CountBucket + the window, so none counts for less
// than the window.
type WindowCount struct {
	Start time.Time
	N     int
}

// counterKey is what the database keeps of a counter key: a hash, so that emails and
// addresses someone merely tried are not stored.
func counterKey(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:16])
}

// RecentCounts returns, for each key, its counts that still fall in a window of the given
// length ending now, oldest first, and now (the clock's). The counts are in the database,
// shared by every node.
func (s *Access) RecentCounts(ctx context.Context, keys []string, window time.Duration) (map[string][]WindowCount, time.Time, error) {
	now := s.Clock.Now()
	byHash := make(map[string]string, len(keys))
	hashed := make([]string, len(keys))
	for i, k := range keys {
		hashed[i] = counterKey(k)
		byHash[hashed[i]] = k
	}
	var cs []storage.Count
	err := s.db.Read(ctx, func(tx *storage.Tx) (err error) {
		cs, err = tx.Counts(ctx, hashed, now.Add(-window-CountBucket).Add(time.Microsecond))
		return err
	})
	out := map[string][]WindowCount{}
	for _, c := range cs {
		k := byHash[c.Key]
		out[k] = append(out[k], WindowCount{Start: c.Start, N: c.N})
	}
	return out, now, err
}

// AddCount counts one event now for each key, and deletes counts too old for a window of
// the given length (the longest any caller uses).
func (s *Access) AddCount(ctx context.Context, keys []string, window time.Duration) error {
	hashed := make([]string, len(keys))
	for i, k := range keys {
		hashed[i] = counterKey(k)
	}
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.AddCounts(ctx, hashed, tx.Now.UTC().Truncate(CountBucket)); err != nil {
			return err
		}
		return tx.PruneCounts(ctx, tx.Now.Add(-window-CountBucket+time.Microsecond)) // the oldest bucket still counting
	})
}

// ClearCount forgets a key's counts.
func (s *Access) ClearCount(ctx context.Context, key string) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error { return tx.ClearCounts(ctx, counterKey(key)) })
}
