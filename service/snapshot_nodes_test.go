package service_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSnapshotServedByEveryNode computes a snapshot on one node and reads it on another
// (a second service over the same database, with its own memory): the second node serves
// the stored snapshot, member rows included, without computing its own.
func TestSnapshotServedByEveryNode(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		h := demo.Generate(demo.Options{Customers: 120, Months: 6, Seed: 3, End: v.clock.Now()})
		for i := 0; i < len(h.Events); i += 1000 {
			v.ingest(h.Events[i:min(i+1000, len(h.Events))]...)
		}
		a, err := v.svc.Reports.Snapshot(ctx, v.tenant, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if a.CLV == nil || len(a.RFM) == 0 {
			t.Fatalf("no figures to share: %d RFM rows, CLV %v (%s)", len(a.RFM), a.CLV != nil, a.CLVError)
		}
		other := service.New(v.db, nil)
		other.Clock = v.clock
		t.Cleanup(other.Close)
		v.clock.Advance(time.Minute)
		b, err := other.Reports.Snapshot(ctx, v.tenant, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !b.ComputedAt.Equal(a.ComputedAt) || !b.AsOf.Equal(a.AsOf) {
			t.Fatalf("the other node computed its own snapshot (%v, as of %v) instead of serving the stored one (%v, as of %v)",
				b.ComputedAt, b.AsOf, a.ComputedAt, a.AsOf)
		}
		if !reflect.DeepEqual(b.RFM, a.RFM) || !reflect.DeepEqual(b.CLV.Top, a.CLV.Top) || !reflect.DeepEqual(b.Lifecycle, a.Lifecycle) ||
			len(b.Monthly) != len(a.Monthly) || b.Monthly[len(b.Monthly)-1].Revenue != a.Monthly[len(a.Monthly)-1].Revenue ||
			b.CLV.TotalCLVMinor != a.CLV.TotalCLVMinor || b.Customers != a.Customers || b.Orders != a.Orders {
			t.Fatal("the stored snapshot differs from the computed one")
		}
		id := a.RFM[0].Customer
		if !reflect.DeepEqual(b.MemberRFM(id), a.MemberRFM(id)) || !reflect.DeepEqual(b.MemberCLV(id), a.MemberCLV(id)) {
			t.Fatalf("member %s: RFM %+v / %+v, CLV %+v / %+v", id, b.MemberRFM(id), a.MemberRFM(id), b.MemberCLV(id), a.MemberCLV(id))
		}
		// Older than maxAge: the other node computes a new one, and stores it.
		v.clock.Advance(2 * time.Hour)
		c, err := other.Reports.Snapshot(ctx, v.tenant, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !c.ComputedAt.After(a.ComputedAt) {
			t.Fatal("a stale stored snapshot was served")
		}
		if d, _ := v.svc.Reports.Snapshot(ctx, v.tenant, time.Hour); !d.ComputedAt.Equal(c.ComputedAt) {
			t.Fatalf("the first node did not take the other's newer snapshot: %v, want %v", d.ComputedAt, c.ComputedAt)
		}
	})
}
