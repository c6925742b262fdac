package service

import (
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// changeFeed tells the service's caches what changed, on this node and on every other
// node sharing the database. *storage.DB implements it: on SQLite in process only (one
// node), on PostgreSQL also through LISTEN/NOTIFY.
type changeFeed interface {
	// Subscribe calls fn for every committed change: this process's at once, other
	// nodes' as they arrive. storage.ChangeAll means changes may have been missed.
	Subscribe(fn func(storage.Change))
	// Live reports whether every node's changes are being heard now; while it is false
	// the caches are bypassed.
	Live() bool
	// Synchronous reports whether every change reaches every cache before the write that
	// made it returns: true with one node (SQLite). Across nodes a notification may arrive
	// after the client's next request to another node, so a cache that must never serve
	// a value older than the last write (balances) is used only when this is true.
	Synchronous() bool
}

// invalidate drops what a change makes stale.
func (s *core) invalidate(c storage.Change) {
	switch c.Kind {
	case storage.ChangeBalance:
		s.balances.forget(c.ID)
	case storage.ChangeKey:
		s.keys.drop(func(k tenure.APIKey) bool { return k.ID == c.ID })
	case storage.ChangeWidget:
		s.widgetKeys.forget(c.ID)
	case storage.ChangeAll:
		s.balances.clear()
		s.keys.clear()
		s.widgetKeys.clear()
	}
}

// entryCache holds values read from the database by key, until a change drops them or
// (a backstop for writes no node announced) ttl passes. A value is stored only if nothing
// was dropped since its read began, so a read racing a change never caches the old value.
type entryCache[V any] struct {
	ttl time.Duration
	max int // bounded: past it the cache starts over rather than grow

	mu  sync.RWMutex
	m   map[string]cacheEntry[V]
	gen uint64 // advanced by every drop
}

type cacheEntry[V any] struct {
	v  V
	at time.Time
}

// get returns the cached value of k and the generation to hand to put after a miss.
func (c *entryCache[V]) get(k string, now time.Time) (V, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[k]
	if !ok || now.Sub(e.at) >= c.ttl {
		var zero V
		return zero, c.gen, false
	}
	return e.v, c.gen, true
}

// put caches v, read at now, unless something was dropped since gen.
func (c *entryCache[V]) put(k string, v V, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= c.max {
		c.m = map[string]cacheEntry[V]{}
	}
	c.m[k] = cacheEntry[V]{v: v, at: now}
}

func (c *entryCache[V]) forget(k string) {
	c.mu.Lock()
	delete(c.m, k)
	c.gen++
	c.mu.Unlock()
}

// drop forgets every value match selects.
func (c *entryCache[V]) drop(match func(V) bool) {
	c.mu.Lock()
	for k, e := range c.m {
		if match(e.v) {
			delete(c.m, k)
		}
	}
	c.gen++
	c.mu.Unlock()
}

func (c *entryCache[V]) clear() {
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
}
