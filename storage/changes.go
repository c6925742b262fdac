package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
)

// ChangeKind names what a Change makes stale in a node's caches.
type ChangeKind byte

const (
	// ChangeBalance: a member's balances changed; ID is the member id.
	ChangeBalance ChangeKind = 'b'
	// ChangeKey: an API key changed (revoked); ID is the key id.
	ChangeKey ChangeKind = 'k'
	// ChangeWidget: a tenant's widget secret or allowed origins changed; ID is the tenant id.
	ChangeWidget ChangeKind = 'w'
	// ChangeAll: anything may have changed (changes may have been missed); ID is empty.
	ChangeAll ChangeKind = '*'
)

// Change is one invalidation: cached copies of the thing it names are stale.
type Change struct {
	Kind ChangeKind
	ID   string
}

// Notify announces changes written in this transaction to every node's caches. They are
// delivered only if the transaction commits: to this process's subscribers right after
// the commit (before Write returns), and on PostgreSQL to every other node through
// NOTIFY, which the server sends in the commit itself. Ids must not contain newlines.
func (tx *Tx) Notify(cs ...Change) { tx.changes = append(tx.changes, cs...) }

// changeFeed fans changes out to the process's subscribers. On PostgreSQL it also owns
// the connection that listens for other nodes' changes (listen.go).
type changeFeed struct {
	mu   sync.RWMutex
	subs []func(Change)
	// live is true while changes made by every node are heard: always on SQLite (one
	// node; in-process delivery), on PostgreSQL while the listening connection is up.
	live atomic.Bool
	// origin marks this process's own notifications, which it has already delivered.
	origin string
	// channel is the NOTIFY channel, one per schema so that deployments sharing a
	// database (or tests in their own schemas) do not hear each other.
	channel string

	start     sync.Once
	dsn       string
	stop      context.CancelFunc
	done      chan struct{}
	listening bool // a listener goroutine was started (PostgreSQL)
}

func newChangeFeed() *changeFeed {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &changeFeed{origin: hex.EncodeToString(b[:]), done: make(chan struct{})}
}

// Subscribe calls fn for every change committed from now on: by this process at once,
// and on PostgreSQL by other nodes as their notifications arrive. fn runs on the
// committing goroutine or the listener's and must be quick. A ChangeAll means changes may
// have been missed (the listener reconnected): drop everything cached. On PostgreSQL the
// first call starts listening; it is stopped by Close.
func (db *DB) Subscribe(fn func(Change)) {
	f := db.changes
	f.mu.Lock()
	f.subs = append(f.subs, fn)
	f.mu.Unlock()
	if db.Engine == "postgres" {
		f.start.Do(func() { db.startListening() })
	}
}

// Live reports whether changes made by every node are being heard now. Caches must not
// be trusted while it is false: on PostgreSQL before the listener has connected and while
// it reconnects. Always true on SQLite, which has one node.
func (db *DB) Live() bool { return db.changes.live.Load() }

// Synchronous reports whether every change reaches every subscriber before the write that
// made it returns: on SQLite (one node) yes; on PostgreSQL other nodes hear it shortly
// after the commit, typically within a millisecond, but a client may be faster.
func (db *DB) Synchronous() bool { return db.Engine == "sqlite" }

func (f *changeFeed) deliver(cs []Change) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, c := range cs {
		for _, fn := range f.subs {
			fn(c)
		}
	}
}

// encodeChanges packs changes into NOTIFY payloads of at most maxPayload bytes (the
// server's limit is 8000), each starting with the origin's line. Duplicates are sent once.
func encodeChanges(origin string, cs []Change, maxPayload int) []string {
	var out []string
	var b strings.Builder
	seen := make(map[Change]bool, len(cs))
	for _, c := range cs {
		if seen[c] {
			continue
		}
		seen[c] = true
		line := string(rune(c.Kind)) + c.ID
		if b.Len() > 0 && b.Len()+1+len(line) > maxPayload {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() == 0 {
			b.WriteString(origin)
		}
		b.WriteByte('\n')
		b.WriteString(line)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// decodeChanges reads a payload made by encodeChanges; own is true when it came from
// origin (this process).
func decodeChanges(origin, payload string) (cs []Change, own bool) {
	lines := strings.Split(payload, "\n")
	if lines[0] == origin {
		return nil, true
	}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		cs = append(cs, Change{Kind: ChangeKind(l[0]), ID: l[1:]})
	}
	return cs, false
}
