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

func openGroupDB(t *testing.T, e storagetest.Engine, clock tenure.Clock) (*storage.DB, string) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, e.DSN, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var tenant tenure.Tenant
	if err := db.Write(ctx, func(tx *storage.Tx) (err error) {
		tenant, err = tx.CreateTenant(ctx, "Group store", tenure.DefaultProgram())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db, tenant.ID
}

// gather makes the writes started by start share one group: a first write holds the
// leader until the others are queued behind it.
func gather(t *testing.T, db *storage.DB, n int, start func(i int)) []int {
	t.Helper()
	storage.SetGroupLimits(db, 1, 1000)
	var mu sync.Mutex
	var sizes []int
	db.ObserveGroups(func(writes int, _ time.Duration) {
		mu.Lock()
		sizes = append(sizes, writes)
		mu.Unlock()
	})
	hold, held := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := db.WriteGrouped(context.Background(), func(*storage.Tx) error { close(held); <-hold; return nil }); err != nil {
			t.Error(err)
		}
	}()
	<-held
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); start(i) }()
	}
	for storage.QueuedWrites(db) != n {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return sizes
}

// TestWriteGroupedIsolatesEachWrite: writes coalesced into one transaction each get their
// own answer. A failing write leaves nothing (its rows, its buffered outbox rows), a
// panicking one panics in its caller's goroutine, the others commit, and OnCommit hooks run
// only for those that committed.
func TestWriteGroupedIsolatesEachWrite(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		clock := tenure.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		db, tenant := openGroupDB(t, e, clock)
		const n = 30
		errs := make([]error, n)
		panics := make([]any, n)
		messages := make([]string, n)
		nows := make([]time.Time, n)
		var committed sync.Map
		sizes := gather(t, db, n, func(i int) {
			defer func() { panics[i] = recover() }()
			errs[i] = db.WriteGrouped(ctx, func(tx *storage.Tx) error {
				nows[i] = tx.Now
				key := fmt.Sprintf("k%d", i)
				if err := tx.SaveIdempotency(ctx, tenant, key, storage.IdempotencyRecord{Operation: "test", BodyHash: "h", Response: key}); err != nil {
					return err
				}
				id, err := tx.Emit(ctx, tenant, "test.grouped", "", map[string]int{"i": i})
				if err != nil {
					return err
				}
				messages[i] = id
				tx.OnCommit(func() { committed.Store(i, true) })
				switch i % 5 {
				case 1:
					return tenure.Invalid("test", "i", "write %d refuses", i)
				case 2:
					if i == 2 {
						panic("write 2 panics")
					}
				}
				return nil
			})
		})
		if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n {
			t.Fatalf("groups committed: %v, want [1 %d]", sizes, n)
		}
		for i := 0; i < n; i++ {
			fails, panicked := i%5 == 1, i == 2
			switch {
			case panicked:
				if panics[i] != "write 2 panics" {
					t.Errorf("write %d: recovered %v, want its own panic", i, panics[i])
				}
			case fails:
				if tenure.KindOf(errs[i]) != tenure.KindInvalid {
					t.Errorf("write %d: %v, want its own invalid error", i, errs[i])
				}
			case errs[i] != nil || panics[i] != nil:
				t.Errorf("write %d: %v %v, want success", i, errs[i], panics[i])
			}
			_, hooked := committed.Load(i)
			if hooked == (fails || panicked) {
				t.Errorf("write %d: OnCommit ran = %v", i, hooked)
			}
			if err := db.Read(ctx, func(tx *storage.Tx) error {
				_, found, err := tx.Idempotency(ctx, tenant, fmt.Sprintf("k%d", i))
				if err != nil {
					return err
				}
				if found == (fails || panicked) {
					t.Errorf("write %d: row stored = %v", i, found)
				}
				_, err = tx.Message(ctx, tenant, messages[i])
				if stored := err == nil; stored == (fails || panicked) {
					t.Errorf("write %d: outbox message stored = %v (%v)", i, stored, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !nows[i].Equal(clock.Now()) {
				t.Errorf("write %d: Now = %v, want the clock's %v", i, nows[i], clock.Now())
			}
		}
	})
}

// TestWriteGroupedRetriesAConflict: two groups insert the same key at once. On PostgreSQL
// (several groups run at once) the second insert waits for the first group, fails with a
// unique violation when it commits, and only that write is rolled back to its savepoint
// and run again, where it finds the row; the rest of its group commits once. On SQLite
// (one writer) the second group starts after the first committed and finds the row at
// once. Either way both callers succeed and the key is stored once.
func TestWriteGroupedRetriesAConflict(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db, tenant := openGroupDB(t, e, tenure.SystemClock{})
		storage.SetGroupLimits(db, 2, 100)
		inserted, release := make(chan struct{}), make(chan struct{})
		var wg sync.WaitGroup
		var firstErr, secondErr, bystanderErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			firstErr = db.WriteGrouped(ctx, func(tx *storage.Tx) error {
				if err := tx.SaveIdempotency(ctx, tenant, "shared", storage.IdempotencyRecord{Operation: "first"}); err != nil {
					return err
				}
				close(inserted)
				<-release
				return nil
			})
		}()
		<-inserted
		var attempts, found atomic.Int64
		wg.Add(2)
		go func() {
			defer wg.Done()
			secondErr = db.WriteGrouped(ctx, func(tx *storage.Tx) error {
				attempts.Add(1)
				if _, ok, err := tx.Idempotency(ctx, tenant, "shared"); err != nil || ok {
					if ok {
						found.Add(1)
					}
					return err
				}
				return tx.SaveIdempotency(ctx, tenant, "shared", storage.IdempotencyRecord{Operation: "second"})
			})
		}()
		go func() {
			defer wg.Done()
			bystanderErr = db.WriteGrouped(ctx, func(tx *storage.Tx) error {
				return tx.SaveIdempotency(ctx, tenant, "bystander", storage.IdempotencyRecord{Operation: "bystander"})
			})
		}()
		if e.Name == "postgres" {
			// Let the second insert reach the lock it waits for.
			for attempts.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
		}
		close(release)
		wg.Wait()
		if firstErr != nil || secondErr != nil || bystanderErr != nil {
			t.Fatalf("answers: first %v, second %v, bystander %v", firstErr, secondErr, bystanderErr)
		}
		want := int64(1)
		if e.Name == "postgres" {
			want = 2
		}
		if attempts.Load() != want || found.Load() != 1 {
			t.Errorf("second write ran %d times (want %d) and found the first one's row %d times (want 1)", attempts.Load(), want, found.Load())
		}
		if err := db.Read(ctx, func(tx *storage.Tx) error {
			for key, op := range map[string]string{"shared": "first", "bystander": "bystander"} {
				r, ok, err := tx.Idempotency(ctx, tenant, key)
				if err != nil || !ok || r.Operation != op {
					t.Errorf("%s: %+v %v %v, want the %s write's row", key, r, ok, err, op)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
