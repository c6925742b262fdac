package storage

import (
	"context"

	"github.com/tenure-loyalty/tenure/metrics"
)

// Merged writes.
//
// Group commit shares one transaction between concurrent writes, but each write still runs
// its own statements: the intake of one event loads the store's program, the member's
// books and order, and writes each table once. Writes of the same kind (the same Key) that
// wait in the same group can instead run as one: Run gets the items of all of them and does
// the work of the lot with one load and one multi-row write per table, in one savepoint.
// If that merged run fails in any way, it is rolled back and every write runs alone with
// its own function, in its own savepoint, so that each caller still gets its own answer
// and one caller's bad input costs the others nothing but the time of the second try.

// Merge describes how a grouped write can run together with others of its kind.
type Merge struct {
	// Key: writes merge only with writes whose Key is equal (a comparable value).
	Key any
	// Item is this write's part of a merged run.
	Item any
	// Run does the work of several writes, given their items in the order they queued,
	// within tx. It fails as a whole: on an error nothing it did is kept.
	Run func(tx *Tx, items []any) error
	// Weight counts toward MaxWeight (events, rows…); 0 counts as 1.
	Weight int
}

// MaxMergeWeight bounds the total Weight of the writes of one merged run.
const MaxMergeWeight = 1000

// WriteMerged is WriteGrouped for a write that may run merged with others of the same
// m.Key waiting in the same group (m.Run), and otherwise, or when that merged run fails,
// runs alone as fn. m.Run and fn must leave the same results for the caller to read.
func (db *DB) WriteMerged(ctx context.Context, m Merge, fn func(*Tx) error) error {
	return db.writeGrouped(ctx, fn, &m)
}

func (m *Merge) weight() int { return max(m.Weight, 1) }

// take removes from the queue the writes of the next group and returns them: at most
// maxGroup savepoints, where the writes of one merged run share one, and at most
// MaxMergeWeight per merged run. Writes of a merge key that a running group holds stay
// queued for that group's leader to take next: writes of one kind never run in two
// transactions at once, so they cannot wait for each other's locks (PostgreSQL runs
// several groups at once). Called with g.mu held.
func (g *grouper) take() []*groupWrite {
	var batch []*groupWrite
	rest := g.queue[:0] // filtered in place: rest never outgrows the position read
	savepoints := 0
	weights := map[any]int{}
	for i, w := range g.queue {
		if w.merge != nil {
			k := w.merge.Key
			if g.busy[k] {
				rest = append(rest, w)
				continue
			}
			if have, ok := weights[k]; ok && have+w.merge.weight() <= MaxMergeWeight {
				weights[k] = have + w.merge.weight()
				batch = append(batch, w)
				continue
			}
		}
		if savepoints == g.limits.maxGroup {
			rest = append(rest, g.queue[i:]...)
			break
		}
		savepoints++
		if w.merge != nil {
			weights[w.merge.Key] = w.merge.weight()
		}
		batch = append(batch, w)
	}
	clear(g.queue[len(rest):])
	g.queue = rest
	for k := range weights {
		if g.busy == nil {
			g.busy = map[any]bool{}
		}
		g.busy[k] = true
	}
	return batch
}

// release frees the merge keys of a group that has finished.
func (g *grouper) release(batch []*groupWrite) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, w := range batch {
		if w.merge != nil {
			delete(g.busy, w.merge.Key)
		}
	}
}

// mergeRuns splits a group into runs: each write alone, except writes with equal merge
// keys, which form one run (up to MaxMergeWeight), placed where the first of them queued.
func mergeRuns(ws []*groupWrite) [][]*groupWrite {
	var runs [][]*groupWrite
	open := map[any]int{} // key → index of its run still taking writes
	weights := map[any]int{}
	for _, w := range ws {
		if w.merge != nil {
			k := w.merge.Key
			if i, ok := open[k]; ok && weights[k]+w.merge.weight() <= MaxMergeWeight {
				runs[i] = append(runs[i], w)
				weights[k] += w.merge.weight()
				continue
			}
			open[k], weights[k] = len(runs), w.merge.weight()
		}
		runs = append(runs, []*groupWrite{w})
	}
	return runs
}

// runMerged runs the writes of one merged run as one, with tx, catching a panic.
func runMerged(ctx context.Context, run []*groupWrite, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicked{p}
		}
	}()
	items := make([]any, len(run))
	for i, w := range run {
		metrics.Lap(w.ctx, metrics.StageQueue)
		items[i] = w.merge.Item
	}
	if err := run[0].merge.Run(tx, items); err != nil {
		return err
	}
	if err := tx.flushBuffered(ctx); err != nil {
		return err
	}
	for _, w := range run {
		metrics.Lap(w.ctx, metrics.StageWrite)
	}
	return tx.sendChanges(ctx)
}
