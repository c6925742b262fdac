package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxNotifyPayload keeps NOTIFY payloads under PostgreSQL's 8000-byte limit.
const maxNotifyPayload = 7900

// Listener reconnection backoff: it starts at listenBackoffMin and doubles up to
// listenBackoffMax; a connection that stayed up for a minute starts over.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// channelFor names the NOTIFY channel of a schema, within PostgreSQL's 63-byte limit.
func channelFor(schema string) string {
	c := "tenure_changes:" + schema
	if len(c) > 63 {
		sum := sha256.Sum256([]byte(schema))
		c = "tenure_changes:" + hex.EncodeToString(sum[:16])
	}
	return c
}

// sendChanges sends the transaction's changes with pg_notify, inside the transaction: the
// server delivers them to the listening nodes when (and only if) it commits.
func (tx *Tx) sendChanges(ctx context.Context) error {
	if len(tx.changes) == 0 || tx.db.Engine != "postgres" {
		return nil
	}
	f := tx.db.changes
	for _, p := range encodeChanges(f.origin, tx.changes, maxNotifyPayload) {
		if _, err := tx.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, f.channel, p); err != nil {
			return err
		}
	}
	return nil
}

// startListening runs the listener until Close. Called once, by the first Subscribe.
func (db *DB) startListening() {
	ctx, stop := context.WithCancel(context.Background())
	f := db.changes
	f.stop, f.listening = stop, true
	go func() {
		defer close(f.done)
		backoff := listenBackoffMin
		for ctx.Err() == nil {
			began := time.Now()
			err := db.listenOnce(ctx)
			// Whatever was heard before, changes made while nobody listened are lost: stop
			// trusting caches until the next connection is up, and drop what they hold.
			f.live.Store(false)
			f.deliver([]Change{{Kind: ChangeAll}})
			if ctx.Err() != nil {
				return
			}
			if time.Since(began) > time.Minute {
				backoff = listenBackoffMin
			}
			db.log.Warn("change listener disconnected; caches are bypassed until it reconnects", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, listenBackoffMax)
		}
	}()
}

// listenOnce connects, listens and delivers other nodes' changes until the connection
// fails or ctx ends.
func (db *DB) listenOnce(ctx context.Context) error {
	f := db.changes
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.Connect(cctx, f.dsn)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cl, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cl)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		return err
	}
	// From here every committed change is heard. Anything cached before may be stale.
	f.live.Store(true)
	f.deliver([]Change{{Kind: ChangeAll}})
	db.log.Debug("change listener connected", "channel", f.channel)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if cs, own := decodeChanges(f.origin, n.Payload); !own {
			f.deliver(cs)
		}
	}
}

// stopListening stops the listener, if any, and waits for it.
func (db *DB) stopListening() {
	f := db.changes
	f.start.Do(func() {}) // no listener may start after Close
	if f.listening {
		f.stop()
		<-f.done
	}
}
