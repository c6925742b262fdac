package service

import (
	"sync"
	"time"
)

// BalanceCacheTTL is a backstop. The balance cache is used only where every change
// reaches it before the write returns (ChangeFeed.Synchronous: one node, SQLite): each
// ledger write announces the member's change (storage.Tx.Notify), which drops the cached
// balance when the transaction commits. Only a write made by another process on the same
// SQLite file (the CLI) waits for the TTL. With several nodes (PostgreSQL) a notification
// can arrive after the client's next request, so balances are read from their indexed
// rows every time and are never stale. Spends and redemptions never read the cache.
const BalanceCacheTTL = time.Second

// balanceCache keeps recently read balances for the storefront's hot read.
type balanceCache struct {
	mu       sync.RWMutex
	byRef    map[string]string // tenant|ref -> member id (a ref never changes member)
	byMember map[string]cachedBalances
	epoch    uint64 // advanced by every forget: a read that raced a write is not cached
}

type cachedBalances struct {
	b  Balances
	at time.Time
}

func (c *balanceCache) get(tenantID, ref string, now time.Time) (Balances, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.byRef[tenantID+"|"+ref]
	if !ok {
		return Balances{}, c.epoch, false
	}
	e, ok := c.byMember[id]
	if !ok || now.Sub(e.at) >= BalanceCacheTTL {
		return Balances{}, c.epoch, false
	}
	return e.b, c.epoch, true
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
		c.byRef, c.byMember = map[string]string{}, map[string]cachedBalances{}
	}
	if len(c.byMember) > 100_000 { // bounded: start over rather than grow without limit
		clear(c.byRef)
		clear(c.byMember)
	}
	c.byRef[tenantID+"|"+ref] = b.MemberID
	c.byMember[b.MemberID] = cachedBalances{b: b, at: at}
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
	delete(c.byMember, memberID)
	c.epoch++
	c.mu.Unlock()
}
