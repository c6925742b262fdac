package service

import (
	"container/list"
	"sync"
	"time"
)

// BalanceCacheTTL is a backstop. The balance cache is used only where every change
// reaches it before the write returns (changeFeed.Synchronous: one node, SQLite): each
// ledger write announces the member's change (storage.Tx.Notify), which drops the cached
// balance when the transaction commits. Only a write made by another process on the same
// SQLite file (the CLI) waits for the TTL. With several nodes (PostgreSQL) a notification
// can arrive after the client's next request, so balances are read from their indexed
// rows every time and are never stale. Spends and redemptions never read the cache.
const BalanceCacheTTL = time.Second

// balanceCacheSize bounds the cached reads; beyond it the least recently used go.
const balanceCacheSize = 100_000

// balanceCache keeps recently read balances for the storefront's hot read: a bounded LRU
// keyed by tenant and the reference a read used (member id or the store's customer id).
type balanceCache struct {
	mu       sync.Mutex
	byRef    map[string]*list.Element   // tenant|ref -> entry
	byMember map[string][]*list.Element // member id -> its entries (one per reference used)
	lru      list.List                  // front: most recently used
	epoch    uint64                     // advanced by every forget: a read that raced a write is not cached
	size     int                        // 0 means balanceCacheSize
}

type cachedBalances struct {
	key string
	b   Balances
	at  time.Time
}

func (c *balanceCache) get(tenantID, ref string, now time.Time) (Balances, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byRef[tenantID+"|"+ref]
	if !ok {
		return Balances{}, c.epoch, false
	}
	v := e.Value.(*cachedBalances)
	if now.Sub(v.at) >= BalanceCacheTTL {
		return Balances{}, c.epoch, false
	}
	c.lru.MoveToFront(e)
	return v.b, c.epoch, true
}

// put caches a balance read from the database, unless a write committed since the read
// began (epoch is what get returned before the read).
func (c *balanceCache) put(tenantID, ref string, b Balances, at time.Time, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if c.byRef == nil {
		c.byRef, c.byMember = map[string]*list.Element{}, map[string][]*list.Element{}
	}
	key := tenantID + "|" + ref
	if e, ok := c.byRef[key]; ok {
		v := e.Value.(*cachedBalances)
		if v.b.MemberID == b.MemberID {
			v.b, v.at = b, at
			c.lru.MoveToFront(e)
			return
		}
		c.remove(e)
	}
	limit := c.size
	if limit == 0 {
		limit = balanceCacheSize
	}
	for c.lru.Len() >= limit {
		c.remove(c.lru.Back())
	}
	e := c.lru.PushFront(&cachedBalances{key: key, b: b, at: at})
	c.byRef[key] = e
	c.byMember[b.MemberID] = append(c.byMember[b.MemberID], e)
}

// remove drops one entry; the caller holds mu.
func (c *balanceCache) remove(e *list.Element) {
	v := e.Value.(*cachedBalances)
	c.lru.Remove(e)
	delete(c.byRef, v.key)
	es := c.byMember[v.b.MemberID]
	for i, x := range es {
		if x == e {
			es = append(es[:i], es[i+1:]...)
			break
		}
	}
	if len(es) == 0 {
		delete(c.byMember, v.b.MemberID)
	} else {
		c.byMember[v.b.MemberID] = es
	}
}

// clear forgets everything: changes may have been missed.
func (c *balanceCache) clear() {
	c.mu.Lock()
	clear(c.byRef)
	clear(c.byMember)
	c.epoch++
	c.mu.Unlock()
}

func (c *balanceCache) forget(memberID string) {
	c.mu.Lock()
	for _, e := range c.byMember[memberID] {
		v := e.Value.(*cachedBalances)
		c.lru.Remove(e)
		delete(c.byRef, v.key)
	}
	delete(c.byMember, memberID)
	c.epoch++
	c.mu.Unlock()
}
