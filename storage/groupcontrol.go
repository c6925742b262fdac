package storage

// SetGroupLimits sets how many groups of grouped writes may run at once and how many
// savepoints one group holds (a merged run counts once). Tests use it to make concurrent
// writes share one group; call it while no grouped write runs.
func (db *DB) SetGroupLimits(leaders, maxGroup int) {
	db.groups.mu.Lock()
	defer db.groups.mu.Unlock()
	db.groups.limits = groupLimits{leaders: leaders, maxGroup: maxGroup}
}

// QueuedWrites is how many grouped writes wait for a leader.
func (db *DB) QueuedWrites() int {
	db.groups.mu.Lock()
	defer db.groups.mu.Unlock()
	return len(db.groups.queue)
}
