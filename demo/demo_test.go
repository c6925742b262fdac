package demo_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var end = time.Date(2026, 11, 1, 15, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	a := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 7, End: end})
	b := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 7, End: end.Add(5 * time.Hour)}) // same day
	if !reflect.DeepEqual(a.Events, b.Events) {
		t.Fatal("the same seed and day gave different stores")
	}
	c := demo.Generate(demo.Options{Customers: 200, Months: 6, Seed: 8, End: end})
	if reflect.DeepEqual(a.Events, c.Events) {
		t.Fatal("another seed gave the same store")
	}
	repeat := map[string]int{}
	for _, e := range a.Events {
		if e.Type == "order.paid" {
			repeat[e.CustomerID]++
		}
	}
	var once, more int
	for _, n := range repeat {
		if n == 1 {
			once++
		} else {
			more++
		}
	}
	if once == 0 || more == 0 {
		t.Fatalf("a believable store has one-timers and repeat buyers: %d and %d", once, more)
	}
}

func TestReplay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		h, db, svc, tn := replayed(t, e, demo.Options{Customers: 150, Months: 4, Seed: 3, End: end})
		ctx := context.Background()
		var members int64
		var bad []storage.Mismatch
		_ = db.Read(ctx, func(tx *storage.Tx) (err error) {
			members, err = tx.CountMembers(ctx, tn.ID)
			if err == nil {
				_, _, err = tx.Verify(ctx, func(m storage.Mismatch) { bad = append(bad, m) })
			}
			return err
		})
		pm, err := svc.Reports.ProgramMetrics(ctx, tn.ID, h.Start, end)
		if err != nil || members != 150 || len(bad) > 0 || pm.Issued == 0 || pm.Redeemed == 0 {
			t.Fatalf("members %d, mismatches %v, program %+v, err %v", members, bad, pm, err)
		}
	})
}

// replayed generates a demo store, configures a tenant as tenure demo does and replays the
// history through the service on engine e.
func replayed(t *testing.T, e storagetest.Engine, o demo.Options) (demo.History, *storage.DB, *service.Service, tenure.Tenant) {
	t.Helper()
	h := demo.Generate(o)
	clock := demo.NewClock(h.Start)
	db := storagetest.Open(t, e, clock)
	svc := service.New(db, nil)
	ctx := context.Background()
	tn, _, err := svc.Tenants.Create(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	rewardIDs, err := demo.Setup(ctx, svc, tn.ID, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Replay(ctx, svc, clock, tn.ID, h, rewardIDs, nil); err != nil {
		t.Fatal(err)
	}
	return h, db, svc, tn
}
