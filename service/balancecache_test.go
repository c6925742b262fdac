package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// TestBalanceCacheBounded: the cache keeps at most its size, dropping the least recently
// used read rather than everything; a member's change forgets every reference to it; a
// read that raced a write is not kept; entries expire after the TTL.
func TestBalanceCacheBounded(t *testing.T) {
	c := &balanceCache{size: 3}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bal := func(id string, points int64) Balances {
		return Balances{MemberID: id, Points: tenure.Balance{MemberID: id, Available: points}}
	}
	put := func(ref, id string, points int64) {
		_, epoch, _ := c.get("t", ref, now)
		c.put("t", ref, bal(id, points), now, epoch)
	}
	for i := 1; i <= 3; i++ {
		put(fmt.Sprintf("mem_%d", i), fmt.Sprintf("mem_%d", i), int64(i))
	}
	if _, _, ok := c.get("t", "mem_1", now); !ok { // mem_1 is now the most recently used
		t.Fatal("mem_1 not cached")
	}
	put("mem_4", "mem_4", 4) // evicts mem_2, the least recently used
	for ref, want := range map[string]bool{"mem_1": true, "mem_2": false, "mem_3": true, "mem_4": true} {
		if _, _, ok := c.get("t", ref, now); ok != want {
			t.Errorf("%s cached = %v, want %v", ref, ok, want)
		}
	}
	if c.lru.Len() != 3 || len(c.byRef) != 3 {
		t.Errorf("size %d/%d, want 3", c.lru.Len(), len(c.byRef))
	}
	// Two references to one member: a change forgets both.
	put("cust-4", "mem_4", 4)
	c.forget("mem_4")
	for _, ref := range []string{"mem_4", "cust-4"} {
		if _, _, ok := c.get("t", ref, now); ok {
			t.Errorf("%s still cached after the member changed", ref)
		}
	}
	// A read that began before a write is not cached.
	_, epoch, _ := c.get("t", "mem_5", now)
	c.forget("mem_9")
	c.put("t", "mem_5", bal("mem_5", 5), now, epoch)
	if _, _, ok := c.get("t", "mem_5", now); ok {
		t.Error("a read that raced a write was cached")
	}
	if b, _, ok := c.get("t", "mem_1", now.Add(BalanceCacheTTL)); ok {
		t.Errorf("an entry outlived the TTL: %+v", b)
	}
	if len(c.byMember) != c.lru.Len() {
		t.Errorf("member index %d, entries %d", len(c.byMember), c.lru.Len())
	}
}
