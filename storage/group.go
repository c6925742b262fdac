package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/metrics"
)

// Group commit.
//
// A write that changes a few rows costs little; its commit costs a WAL append (SQLite) or
// a WAL flush and a round trip (PostgreSQL), and on SQLite every writer waits for the one
// writer connection. WriteGrouped lets concurrent writes share one transaction: a leader
// takes the writes waiting when it starts (at most maxGroup), runs each in its own
// SAVEPOINT, commits once, and only then answers each caller. Writes that arrive while a
// group commits form the next group, so groups grow with the load and no write waits for
// a timer.
//
//   - A write whose function fails is rolled back to its savepoint: its error is its own
//     answer and the others commit.
//   - Answers, errors included, are sent after the shared commit: an error may depend on
//     what an earlier write of the group did (points already spent), and that is only true
//     once the group is durable. If the commit fails, every write of the group is run
//     again in a new transaction (a transient failure) or gets the error.
//   - A write that fails with a transient conflict (a deadlock, a concurrent insert of the
//     same key) is rolled back to its savepoint and run again in the next group.
//   - Each write gets a Tx of its own: Now (the clock when the write starts), OnCommit
//     hooks, buffered outbox rows and caches are per write. Buffered rows are written
//     inside the write's savepoint, so they share its fate.
//   - The statements of a grouped write run with a context that is never cancelled: on
//     SQLite, interrupting a statement may roll back the whole shared transaction. A
//     caller whose context ends before its write starts gets the context's error; once
//     started, the write finishes and the caller waits for the commit.

// groupLimits are an engine's group sizes.
type groupLimits struct {
	// leaders is how many groups may run at once: 1 on SQLite (one writer), several on
	// PostgreSQL so that its connections keep working while one group waits for a lock.
	leaders int
	// maxGroup bounds the writes in one transaction. On PostgreSQL each savepoint that
	// writes is a subtransaction, and a transaction with more than 64 of them makes every
	// other session's snapshot checks slower; the bound stays under that.
	maxGroup int
}

// grouper queues grouped writes.
type grouper struct {
	mu      sync.Mutex
	queue   []*groupWrite
	leaders int
	// busy holds the merge keys of the groups running (merge.go).
	busy   map[any]bool
	limits groupLimits
	// observe, when set, receives the size of every committed group and how long its
	// commit took.
	observe func(writes int, commit time.Duration)
}

// groupWrite is one caller's write.
type groupWrite struct {
	ctx      context.Context
	fn       func(*Tx) error
	done     chan error
	attempts int
	// merge, when set, lets the write run together with others of its kind (merge.go).
	merge *Merge
	// set by the leader while the group runs
	tx    *Tx
	err   error
	panic any
	// shared: the write ran merged, and tx (with its hooks) belongs to the first write of
	// its merged run.
	shared bool
}

// panicked carries a write function's panic to its caller's goroutine.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprint("panic in grouped write: ", p.v) }

// ObserveGroups registers fn to receive the number of writes and the commit time of every
// group WriteGrouped commits. Call it before the first write.
func (db *DB) ObserveGroups(fn func(writes int, commit time.Duration)) { db.groups.observe = fn }

// WriteGrouped runs fn like Write: in a read-write transaction, committed before it
// returns, run again on a transient conflict, its OnCommit hooks called after the commit.
// The transaction may be shared with concurrent WriteGrouped calls (see above): fn runs in
// a savepoint of its own, so its error rolls back only its own work. fn must not have
// effects outside tx, and must not keep tx after it returns.
func (db *DB) WriteGrouped(ctx context.Context, fn func(*Tx) error) error {
	return db.writeGrouped(ctx, fn, nil)
}

func (db *DB) writeGrouped(ctx context.Context, fn func(*Tx) error, m *Merge) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &groupWrite{ctx: ctx, fn: fn, merge: m, done: make(chan error, 1)}
	g := &db.groups
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := g.leaders < g.limits.leaders
	if lead {
		g.leaders++
	}
	g.mu.Unlock()
	if lead {
		go db.lead()
	}
	err := <-w.done
	if p, ok := err.(panicked); ok {
		panic(p.v)
	}
	metrics.Lap(ctx, metrics.StageCommit)
	return err
}

// lead runs groups until the queue is empty.
func (db *DB) lead() {
	g := &db.groups
	for {
		g.mu.Lock()
		batch := g.take()
		if len(batch) == 0 {
			g.leaders--
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		db.runGroup(batch)
		g.release(batch)
	}
}

// requeue puts writes that met a transient conflict at the front of the queue, after a
// short pause that grows with their attempts.
func (db *DB) requeue(ws []*groupWrite) {
	if len(ws) == 0 {
		return
	}
	worst := 0
	for _, w := range ws {
		worst = max(worst, w.attempts)
	}
	time.Sleep(time.Duration(1+worst*worst) * time.Millisecond)
	g := &db.groups
	g.mu.Lock()
	g.queue = append(ws, g.queue...)
	g.mu.Unlock()
}

// runGroup runs the writes of one group in one transaction and answers each of them.
func (db *DB) runGroup(batch []*groupWrite) {
	// The shared transaction outlives any one caller's context.
	ctx := context.Background()
	var live []*groupWrite
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			w.done <- err
			continue
		}
		w.tx, w.err, w.panic, w.shared = nil, nil, nil, false
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	fail := func(err error) {
		var again []*groupWrite
		for _, w := range live {
			w.attempts++
			if db.d.retryable(err) && w.attempts < maxAttempts {
				again = append(again, w)
			} else {
				w.done <- err
			}
		}
		db.requeue(again)
	}
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	var retry []*groupWrite
	open := false // whether a savepoint is open for the next write
	savepoint := func() error {
		if open {
			return nil
		}
		_, err := sqlTx.ExecContext(ctx, `SAVEPOINT g`)
		return err
	}
	// done ends a write (or a merged run) that succeeded.
	done := func() error {
		open = false
		if db.d.releaseSavepoints {
			_, err := sqlTx.ExecContext(ctx, `RELEASE SAVEPOINT g`)
			return err
		}
		return nil
	}
	// undo goes back to the state before a write that failed; the savepoint stays open
	// for the next.
	undo := func() error {
		_, err := sqlTx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT g`)
		open = err == nil
		return err
	}
	abort := func(err error) {
		_ = sqlTx.Rollback()
		fail(err)
	}
	for _, run := range mergeRuns(live) {
		if len(run) > 1 {
			if err := savepoint(); err != nil {
				abort(err)
				return
			}
			tx := &Tx{tx: sqlTx, d: db.d, Now: db.clock.Now(), db: db, cache: db.writeStmts, detached: ctx}
			if runMerged(ctx, run, tx) == nil {
				if err := done(); err != nil {
					abort(err)
					return
				}
				for i, w := range run {
					w.tx, w.shared = tx, i > 0
				}
				continue
			}
			// One of them failed: each runs alone, in a savepoint of its own.
			if err := undo(); err != nil {
				abort(err)
				return
			}
		}
		for _, w := range run {
			if err := savepoint(); err != nil {
				abort(err)
				return
			}
			w.tx = &Tx{tx: sqlTx, d: db.d, Now: db.clock.Now(), db: db, cache: db.writeStmts, detached: ctx}
			w.err = runOne(ctx, w)
			if w.err == nil {
				if err := done(); err != nil {
					abort(err)
					return
				}
				continue
			}
			if err := undo(); err != nil {
				// The engine ended the transaction itself: nothing of the group is left.
				abort(errors.Join(err, w.err))
				return
			}
			if w.panic == nil && tenure.KindOf(w.err) == tenure.KindInternal && db.d.retryable(w.err) && w.attempts+1 < maxAttempts {
				w.attempts++
				retry = append(retry, w)
				w.tx = nil
			}
		}
	}
	start := time.Now()
	if err := sqlTx.Commit(); err != nil {
		fail(err)
		return
	}
	if db.groups.observe != nil {
		db.groups.observe(len(live)-len(retry), time.Since(start))
	}
	if db.Engine == "sqlite" && db.clock.Now().UnixMicro()-db.optimizedAt.Load() > optimizeEvery.Microseconds() {
		db.optimize(ctx, "PRAGMA optimize")
	}
	var missed []string
	for _, w := range live {
		if w.tx == nil || w.shared { // to be run again, or answered with its merged run's first write
			if w.shared {
				w.done <- nil
			}
			continue
		}
		missed = append(missed, w.tx.missed...)
		switch {
		case w.panic != nil:
			w.done <- panicked{w.panic}
		case w.err != nil:
			w.done <- w.err
		default:
			if len(w.tx.changes) > 0 {
				db.changes.deliver(w.tx.changes)
			}
			for _, f := range w.tx.onCommit {
				f()
			}
			w.done <- nil
		}
	}
	if len(missed) > 0 && db.writeStmts != nil {
		db.writeStmts.prepare(ctx, missed)
	}
	db.requeue(retry)
	db.maybeOptimize(ctx)
}

// runOne runs a write's function and writes its buffered rows, catching a panic.
func runOne(ctx context.Context, w *groupWrite) (err error) {
	defer func() {
		if p := recover(); p != nil {
			w.panic = p
			err = panicked{p}
		}
	}()
	metrics.Lap(w.ctx, metrics.StageQueue)
	if err := w.fn(w.tx); err != nil {
		return err
	}
	if err := w.tx.flushBuffered(ctx); err != nil {
		return err
	}
	metrics.Lap(w.ctx, metrics.StageWrite)
	// Announced inside the write's savepoint: PostgreSQL drops a NOTIFY whose
	// subtransaction rolls back, and sends the rest on the shared commit.
	return w.tx.sendChanges(ctx)
}

// c returns the context a statement of tx runs with: the caller's, or for a grouped
// write the shared transaction's.
func (tx *Tx) c(ctx context.Context) context.Context {
	if tx.detached != nil {
		return tx.detached
	}
	return ctx
}
