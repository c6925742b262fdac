package storage

import "context"

// SetGroupLimits lets tests force every grouped write through one leader.
func SetGroupLimits(db *DB, leaders, maxGroup int) {
	db.groups.limits = groupLimits{leaders: leaders, maxGroup: maxGroup}
}

// QueuedWrites is how many grouped writes wait for a leader.
func QueuedWrites(db *DB) int {
	db.groups.mu.Lock()
	defer db.groups.mu.Unlock()
	return len(db.groups.queue)
}

// Optimize refreshes SQLite's planner statistics as a start does.
func Optimize(db *DB) { db.optimize(context.Background(), "PRAGMA optimize=0x10002") }
