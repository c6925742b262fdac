package service_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestCloseMidSnapshot shuts the service down while a background snapshot is being
// computed: Close cancels the computation and waits for it, so the database is still open
// for everything the computation does, and closing it afterwards leaves nothing running.
func TestCloseMidSnapshot(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		var logs bytes.Buffer
		v.svc.Log = slog.New(slog.NewTextHandler(&logs, nil))
		var evs []tenure.Event
		for i := range 20 {
			evs = append(evs, orderEvent(fmt.Sprintf("e%d", i), tenure.OrderPaid, fmt.Sprintf("c%d", i), fmt.Sprintf("o%d", i), 1000))
		}
		v.ingest(evs...)

		started := make(chan struct{})
		var once sync.Once
		var mu sync.Mutex
		var afterCancel []error
		service.SetSnapshotHook(v.svc, func(ctx context.Context) {
			once.Do(func() { close(started) })
			<-ctx.Done() // hold the computation until Close cancels it
			// The database must still be open: Close has not returned yet.
			err := v.db.Read(context.Background(), func(tx *storage.Tx) error {
				_, err := tx.CountMembers(context.Background(), v.tenant)
				return err
			})
			mu.Lock()
			afterCancel = append(afterCancel, err)
			mu.Unlock()
		})
		if sn := v.svc.Reports.ReadySnapshot(ctx, v.tenant, time.Hour); sn != nil {
			t.Fatal("a snapshot before any was computed")
		}
		select {
		case <-started:
		case <-time.After(time.Minute):
			t.Fatal("the background snapshot did not start within a minute")
		}
		v.svc.Close()
		if err := v.db.Close(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(afterCancel) == 0 {
			t.Fatal("Close returned before the computation saw the cancellation")
		}
		for _, err := range afterCancel {
			if err != nil {
				t.Fatalf("the computation found the database closed under it: %v", err)
			}
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("errors logged during shutdown:\n%s", logs.String())
		}
		if sn := v.svc.Reports.ReadySnapshot(ctx, v.tenant, time.Hour); sn != nil {
			t.Fatal("an interrupted computation left a snapshot")
		}
	})
}
