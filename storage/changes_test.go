package storage_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// recorder collects the changes a DB delivers.
type recorder struct {
	mu  sync.Mutex
	got []storage.Change
}

func (r *recorder) add(c storage.Change) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

// has reports whether c was delivered, ignoring ChangeAll.
func (r *recorder) has(c storage.Change) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.got {
		if g == c {
			return true
		}
	}
	return false
}

func openDB(t *testing.T, dsn string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), dsn, tenure.SystemClock{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func waitLive(t *testing.T, db *storage.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !db.Live() {
		if time.Now().After(deadline) {
			t.Fatal("the change listener did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestChangesAreDeliveredOnCommitOnly(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e.DSN)
		var local recorder
		db.Subscribe(local.add)
		waitLive(t, db)

		committed := storage.Change{Kind: storage.ChangeKey, ID: "key_1"}
		inWrite := false
		if err := db.Write(ctx, func(tx *storage.Tx) error {
			tx.Notify(committed, committed, storage.Change{Kind: storage.ChangeBalance, ID: "mem_1"})
			inWrite = local.has(committed)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if inWrite || !local.has(committed) || !local.has(storage.Change{Kind: storage.ChangeBalance, ID: "mem_1"}) {
			t.Fatalf("before commit %v; delivered %v", inWrite, local.got)
		}
		rolledBack := storage.Change{Kind: storage.ChangeWidget, ID: "ten_1"}
		boom := errors.New("boom")
		if err := db.Write(ctx, func(tx *storage.Tx) error { tx.Notify(rolledBack); return boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if local.has(rolledBack) {
			t.Fatal("a rolled-back change was delivered")
		}

		if e.Name != "postgres" {
			return
		}
		// Another node on the same schema hears committed changes (and only those); its
		// own are not delivered twice.
		other := openDB(t, e.DSN)
		var remote recorder
		other.Subscribe(remote.add)
		waitLive(t, other)
		if !remote.has(storage.Change{Kind: storage.ChangeAll}) {
			t.Fatal("a connecting listener did not ask to drop everything cached")
		}
		big := make([]storage.Change, 600) // more than one NOTIFY payload
		for i := range big {
			big[i] = storage.Change{Kind: storage.ChangeBalance, ID: "mem_" + time.Duration(i).String() + "_padding_to_make_the_payload_long"}
		}
		if err := db.Write(ctx, func(tx *storage.Tx) error { tx.Notify(rolledBack); return boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if err := db.Write(ctx, func(tx *storage.Tx) error { tx.Notify(big...); return nil }); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for !remote.has(big[0]) || !remote.has(big[len(big)-1]) {
			if time.Now().After(deadline) {
				t.Fatalf("the other node heard %d changes", len(remote.got))
			}
			time.Sleep(5 * time.Millisecond)
		}
		if remote.has(rolledBack) {
			t.Fatal("the other node heard a rolled-back change")
		}
		local.mu.Lock()
		n := 0
		for _, c := range local.got {
			if c == big[0] {
				n++
			}
		}
		local.mu.Unlock()
		if n != 1 {
			t.Fatalf("the writing node got its own change %d times", n)
		}

		// A schema of its own is a separate deployment: it hears nothing of this one.
		elsewhere := openDB(t, storagetest.FreshSchema(t, os.Getenv(storagetest.PostgresEnv)))
		var stranger recorder
		elsewhere.Subscribe(stranger.add)
		waitLive(t, elsewhere)
		mark := storage.Change{Kind: storage.ChangeKey, ID: "key_mark"}
		if err := db.Write(ctx, func(tx *storage.Tx) error { tx.Notify(mark); return nil }); err != nil {
			t.Fatal(err)
		}
		for !remote.has(mark) {
			time.Sleep(5 * time.Millisecond)
		}
		if stranger.has(mark) {
			t.Fatal("a deployment in another schema heard the change")
		}
	})
}

// TestListenerReconnects cuts the listening connection: the node stops trusting its
// caches, asks to drop them, reconnects and hears changes again.
func TestListenerReconnects(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		if e.Name != "postgres" {
			return // SQLite has one node and no listener
		}
		ctx := context.Background()
		db := openDB(t, e.DSN)
		var got recorder
		db.Subscribe(got.add)
		waitLive(t, db)
		all := func() int {
			got.mu.Lock()
			defer got.mu.Unlock()
			n := 0
			for _, c := range got.got {
				if c.Kind == storage.ChangeAll {
					n++
				}
			}
			return n
		}
		before := all()
		admin := openDB(t, e.DSN)
		if err := admin.Write(ctx, func(tx *storage.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		raw := admin.Raw()
		var killed int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE query LIKE 'LISTEN %' AND query LIKE '%' || current_schema() || '%' AND pid <> pg_backend_pid()`).Scan(&killed); err != nil {
			t.Fatal(err)
		}
		if killed != 1 {
			t.Fatalf("terminated %d listening connections, want 1", killed)
		}
		deadline := time.Now().Add(10 * time.Second)
		for all() < before+2 || !db.Live() { // one on the loss, one on the new connection
			if time.Now().After(deadline) {
				t.Fatalf("no reconnection: %d drop-all changes, live %v", all()-before, db.Live())
			}
			time.Sleep(5 * time.Millisecond)
		}
		mark := storage.Change{Kind: storage.ChangeKey, ID: "key_after"}
		if err := admin.Write(ctx, func(tx *storage.Tx) error { tx.Notify(mark); return nil }); err != nil {
			t.Fatal(err)
		}
		for !got.has(mark) {
			if time.Now().After(deadline) {
				t.Fatal("changes are not heard after reconnecting")
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
