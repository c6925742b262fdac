package storage_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestWriteMerged: writes of one merge key that wait in the same group run as one call of
// Run, in the group's order, beside plain writes of the same group; their hooks run once,
// after the commit. When the merged run fails, nothing it wrote is kept (rows, buffered
// outbox rows, hooks) and each write runs alone: the bad one gets its own error, the
// others commit.
func TestWriteMerged(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db, tenant := openGroupDB(t, e, tenure.SystemClock{})
		type item struct {
			i   int
			bad bool
			out *string
		}
		var mergedCalls, merged, alone atomic.Int64
		var hooks sync.Map
		var mu sync.Mutex
		var order []int
		var mergedMessages []string
		save := func(tx *storage.Tx, it item, how string) error {
			if it.bad {
				return tenure.Invalid("test", "i", "item %d refuses", it.i)
			}
			key := fmt.Sprintf("k%d", it.i)
			if err := tx.SaveIdempotency(ctx, tenant, key, storage.IdempotencyRecord{Operation: how, BodyHash: "h", Response: key}); err != nil {
				return err
			}
			id, err := tx.Emit(ctx, tenant, "test.merged", "", map[string]int{"i": it.i})
			*it.out = id
			if how == "merged" {
				mu.Lock()
				mergedMessages = append(mergedMessages, id)
				mu.Unlock()
			}
			return err
		}
		run := func(tx *storage.Tx, items []any) error {
			mergedCalls.Add(1)
			for _, x := range items {
				it := x.(item)
				mu.Lock()
				order = append(order, it.i)
				mu.Unlock()
				if err := save(tx, it, "merged"); err != nil {
					return err
				}
				merged.Add(1)
			}
			tx.OnCommit(func() {
				for _, x := range items {
					n, _ := hooks.LoadOrStore(x.(item).i, new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
				}
			})
			return nil
		}
		write := func(key string, it item) error {
			return db.WriteMerged(ctx, storage.Merge{Key: key, Item: it, Run: run}, func(tx *storage.Tx) error {
				alone.Add(1)
				if err := save(tx, it, "alone"); err != nil {
					return err
				}
				tx.OnCommit(func() {
					n, _ := hooks.LoadOrStore(it.i, new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
				})
				return nil
			})
		}
		stored := func(i int) bool {
			var found bool
			if err := db.Read(ctx, func(tx *storage.Tx) (err error) {
				_, found, err = tx.Idempotency(ctx, tenant, fmt.Sprintf("k%d", i))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return found
		}

		// Twenty mergeable writes and two plain ones in one group (queued in any order).
		const n = 22
		errs := make([]error, n)
		outs := make([]string, n)
		sizes := gather(t, db, n, func(i int) {
			if i == 5 || i == 15 {
				errs[i] = db.WriteGrouped(ctx, func(tx *storage.Tx) error {
					return tx.SaveIdempotency(ctx, tenant, fmt.Sprintf("k%d", i), storage.IdempotencyRecord{Operation: "plain"})
				})
				return
			}
			errs[i] = write("a", item{i: i, out: &outs[i]})
		})
		if len(sizes) != 2 || sizes[1] != n {
			t.Fatalf("groups committed: %v, want [1 %d]", sizes, n)
		}
		if mergedCalls.Load() != 1 || merged.Load() != 20 || alone.Load() != 0 {
			t.Fatalf("merged runs %d with %d writes, %d alone; want one run of 20", mergedCalls.Load(), merged.Load(), alone.Load())
		}
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Errorf("write %d: %v", i, errs[i])
			}
			if !stored(i) {
				t.Errorf("write %d: row missing", i)
			}
			if i == 5 || i == 15 {
				continue
			}
			if c, ok := hooks.Load(i); !ok || c.(*atomic.Int64).Load() != 1 {
				t.Errorf("write %d: OnCommit ran %v times, want once", i, c)
			}
		}
		mu.Lock()
		seen := map[int]bool{}
		for _, i := range order {
			seen[i] = true
		}
		if len(order) != 20 || len(seen) != 20 {
			t.Errorf("merged run saw %v, want each of the 20 writes once", order)
		}
		order, mergedMessages = nil, nil
		mu.Unlock()

		// Ten writes of which one fails: the merged run is undone, each runs alone.
		mergedCalls.Store(0)
		merged.Store(0)
		errs = make([]error, 10)
		outs = make([]string, 10)
		gather(t, db, 10, func(i int) {
			errs[i] = write("b", item{i: 100 + i, bad: i == 7, out: &outs[i]})
		})
		if mergedCalls.Load() != 1 || alone.Load() != 10 {
			t.Fatalf("%d merged runs, %d alone; want one merged run undone, then 10 alone", mergedCalls.Load(), alone.Load())
		}
		for i := 0; i < 10; i++ {
			if (i == 7) != (tenure.KindOf(errs[i]) == tenure.KindInvalid) || (i != 7 && errs[i] != nil) {
				t.Errorf("write %d: %v", 100+i, errs[i])
			}
			if stored(100+i) == (i == 7) {
				t.Errorf("write %d: stored = %v", 100+i, !(i == 7))
			}
			c, ok := hooks.Load(100 + i)
			if ran := ok && c.(*atomic.Int64).Load() > 0; ran == (i == 7) || (ok && c.(*atomic.Int64).Load() > 1) {
				t.Errorf("write %d: OnCommit ran %v", 100+i, c)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(mergedMessages) > 9 {
			t.Fatalf("merged run emitted %d messages before failing, want at most 9", len(mergedMessages))
		}
		if err := db.Read(ctx, func(tx *storage.Tx) error {
			for _, id := range mergedMessages {
				if _, err := tx.Message(ctx, tenant, id); err == nil {
					t.Errorf("outbox message %s of the undone merged run was kept", id)
				}
			}
			for i, id := range outs {
				if _, err := tx.Message(ctx, tenant, id); (err == nil) != (i != 7) {
					t.Errorf("write %d: outbox message %q: %v", 100+i, id, err)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMergeBounds: one group holds at most maxGroup savepoints, where a merged run counts
// once, and a merged run at most MaxMergeWeight.
func TestMergeBounds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db, _ := openGroupDB(t, e, tenure.SystemClock{})
		var mu sync.Mutex
		var runs []int
		run := func(tx *storage.Tx, items []any) error {
			w := 0
			for _, x := range items {
				w += x.(int)
			}
			mu.Lock()
			runs = append(runs, w)
			mu.Unlock()
			return nil
		}
		sizes := gather(t, db, 12, func(i int) {
			w := 300
			if err := db.WriteMerged(ctx, storage.Merge{Key: 1, Item: w, Weight: w, Run: run}, func(*storage.Tx) error {
				mu.Lock()
				runs = append(runs, -w)
				mu.Unlock()
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
		if len(sizes) != 2 || sizes[1] != 12 {
			t.Fatalf("groups %v, want [1 12]", sizes)
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(runs) != "[900 900 900 900]" {
			t.Fatalf("merged runs of weights %v, want four of 900 (1000 at most each)", runs)
		}
	})
}

// TestMergeKeyRunsInOneGroupAtATime: while a group runs writes of a merge key, further
// writes of that key wait for it even when another leader is free, and plain writes do
// not wait.
func TestMergeKeyRunsInOneGroupAtATime(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db, _ := openGroupDB(t, e, tenure.SystemClock{})
		if e.Name == "sqlite" {
			t.Skip("SQLite has one writer: one group runs at a time")
		}
		db.SetGroupLimits(2, 48)
		started, hold := make(chan struct{}), make(chan struct{})
		var running atomic.Int64
		run := func(tx *storage.Tx, items []any) error {
			if running.Add(1) > 1 {
				t.Error("two groups ran writes of one merge key at once")
			}
			defer running.Add(-1)
			for _, x := range items {
				if x == "first" {
					close(started)
					<-hold
				}
			}
			return nil
		}
		write := func(item string) error {
			return db.WriteMerged(ctx, storage.Merge{Key: "k", Item: item, Run: run}, func(tx *storage.Tx) error {
				return run(tx, []any{item})
			})
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := write("first"); err != nil {
				t.Error(err)
			}
		})
		<-started
		second := make(chan error, 1)
		go func() { second <- write("second") }()
		for db.QueuedWrites() != 1 {
			time.Sleep(time.Millisecond)
		}
		if err := db.WriteGrouped(ctx, func(*storage.Tx) error { return nil }); err != nil {
			t.Fatal(err) // a plain write runs beside the held group
		}
		select {
		case err := <-second:
			t.Fatalf("the second write of the key ran while the first group held it: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(hold)
		if err := <-second; err != nil {
			t.Fatal(err)
		}
		wg.Wait()
	})
}
