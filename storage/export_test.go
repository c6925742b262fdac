package storage

import "context"

// SetGroupLimits lets tests force every grouped write through one leader.
func SetGroupLimits(db *DB, leaders, maxGroup int) { db.SetGroupLimits(leaders, maxGroup) }

// QueuedWrites is how many grouped writes wait for a leader.
func QueuedWrites(db *DB) int { return db.QueuedWrites() }

// Optimize refreshes SQLite's planner statistics as a start does.
func Optimize(db *DB) { db.optimize(context.Background(), "PRAGMA optimize=0x10002") }
