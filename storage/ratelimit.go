package storage

import (
	"context"
	"database/sql"
	"net/url"
	"sync"
	"time"
)

// bucketConns is the pool rate buckets are written on (bucketPool).
type bucketConns struct {
	once sync.Once
	pool *sql.DB
}

// TakeTokens takes up to n tokens from a key's bucket, which every node shares: the
// bucket holds at most burst tokens and gains one per interval. It is one atomic upsert
// (one round trip), so concurrent takes from several nodes never hand out the same token.
// On PostgreSQL it runs on connections whose commits do not wait for the disk: a bucket
// lost in a crash merely refills. It returns how many tokens it took (0 when the bucket is
// empty) and when the bucket next has a token. now is the caller's: rate limits follow
// the wall clock, not the injected one.
func (db *DB) TakeTokens(ctx context.Context, keyID string, now time.Time, n int, interval time.Duration, burst int) (granted int, next time.Time, err error) {
	at := now.UnixMicro()
	t := max(interval.Microseconds(), 1)
	tau := int64(burst) * t
	first := int64(min(n, burst))
	// base is when the bucket's debt starts: the stored time, or now if it is full.
	// available = (now + tau - base) / t whole tokens; take min(n, available).
	const base = `(CASE WHEN rate_buckets.tat > CAST($2 AS BIGINT) THEN rate_buckets.tat ELSE CAST($2 AS BIGINT) END)`
	const take = `(CASE WHEN (CAST($2 AS BIGINT) + CAST($4 AS BIGINT) - ` + base + `) / CAST($3 AS BIGINT) >= CAST($5 AS BIGINT) THEN CAST($5 AS BIGINT)
		ELSE (CAST($2 AS BIGINT) + CAST($4 AS BIGINT) - ` + base + `) / CAST($3 AS BIGINT) END)`
	var tat, got int64
	// One statement outside any transaction: one round trip.
	err = db.bucketPool().QueryRowContext(ctx, `INSERT INTO rate_buckets (key_id, tat, granted) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT) * CAST($6 AS BIGINT), $6)
		ON CONFLICT (key_id) DO UPDATE SET granted = `+take+`, tat = `+base+` + CAST($3 AS BIGINT) * `+take+`
		RETURNING tat, granted`, keyID, at, t, tau, int64(n), first).Scan(&tat, &got)
	if err != nil {
		return 0, time.Time{}, err
	}
	return int(got), fromTS(tat - tau + t), nil
}

// bucketPool returns the pool rate buckets are written on: on PostgreSQL a small one of
// its own with synchronous_commit off, opened on first use; on SQLite the write pool.
func (db *DB) bucketPool() *sql.DB {
	if db.Engine != "postgres" {
		return db.write
	}
	db.buckets.once.Do(func() {
		u, err := url.Parse(db.changes.dsn)
		if err == nil {
			q := u.Query()
			q.Set("synchronous_commit", "off")
			u.RawQuery = q.Encode()
			db.buckets.pool, err = sql.Open("pgx", u.String())
		}
		if err != nil {
			db.log.Warn("rate buckets: cannot open their own pool; using the write pool", "err", err)
			db.buckets.pool = db.write
			return
		}
		// Takes are rare (one per lease) and mostly ahead of need: two connections do.
		db.buckets.pool.SetMaxOpenConns(2)
		db.buckets.pool.SetMaxIdleConns(2)
	})
	return db.buckets.pool
}
