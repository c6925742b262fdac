package tenure

import (
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := NewID(PrefixMember, at.Add(-time.Millisecond))
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := NewID(PrefixMember, at)
		if !HasPrefix(id, PrefixMember) || id <= prev || seen[id] {
			t.Fatalf("id %d: %s after %s", i, id, prev)
		}
		seen[id], prev = true, id
	}
	if later := NewID(PrefixMember, at.Add(time.Millisecond)); later <= prev {
		t.Fatalf("a later millisecond sorts before: %s <= %s", later, prev)
	}
}
