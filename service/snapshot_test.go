package service_test

import (
	"math"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestSnapshot computes a store's analytics snapshot and checks that its parts agree, that
// a repeat buyer whose repeat order was refunded still gets a value, and that the
// snapshot is kept for maxAge by the service clock.
func TestSnapshot(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		end := v.clock.Now()
		h := demo.Generate(demo.Options{Customers: 300, Months: 12, Seed: 5, End: end})
		for i := 0; i < len(h.Events); i += 1000 {
			v.ingest(h.Events[i:min(i+1000, len(h.Events))]...)
		}
		v.clock.Set(end.Add(time.Hour))
		v.ingest(orderEvent("r1", tenure.OrderPaid, "refunder", "ro1", 12000))
		v.clock.Advance(3 * 24 * time.Hour)
		v.ingest(orderEvent("r2", tenure.OrderPaid, "refunder", "ro2", 8000), refundEvent("r3", "refunder", "ro2", 8000))
		v.clock.Advance(time.Hour)

		sn, err := v.svc.Reports.Snapshot(ctx, v.tenant, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if sn.CLV == nil || sn.CLV.ValueError != "" || len(sn.CLV.Distribution) == 0 {
			t.Fatalf("no CLV values: %s / %+v", sn.CLVError, sn.CLV)
		}
		binned := 0
		for _, b := range sn.CLV.Distribution {
			binned += b.Members
		}
		segs := 0
		for _, n := range sn.Lifecycle {
			segs += n
		}
		if binned != sn.Customers || segs != sn.Customers || len(sn.RFM) != sn.Customers || len(sn.CLV.Top) != sn.Customers {
			t.Fatalf("customers %d: binned %d, segmented %d, scored %d, valued %d", sn.Customers, binned, segs, len(sn.RFM), len(sn.CLV.Top))
		}
		if len(sn.Monthly) == 0 || sn.Monthly[0].CustomersToDate == 0 || len(sn.Monthly) > 12 {
			t.Fatalf("monthly metrics: %d months, the first with %d customers to date", len(sn.Monthly), sn.Monthly[0].CustomersToDate)
		}
		m, err := v.svc.Members.Get(ctx, v.tenant, "refunder")
		if err != nil {
			t.Fatal(err)
		}
		mc, r := sn.MemberCLV(m.ID), sn.MemberRFM(m.ID)
		if mc == nil || r == nil || math.IsNaN(mc.CLVMinor) || mc.CLVMinor <= 0 || r.Frequency != 2 || r.Monetary != 12000 {
			t.Fatalf("the refunding repeat buyer: CLV %+v, RFM %+v", mc, r)
		}
		if sn.Program.Members < int64(sn.Customers) {
			t.Fatalf("program counts %d members for %d customers", sn.Program.Members, sn.Customers)
		}

		again, _ := v.svc.Reports.Snapshot(ctx, v.tenant, time.Hour)
		if again != sn {
			t.Fatal("a snapshot younger than maxAge was recomputed")
		}
		if fresh, _ := v.svc.Reports.Snapshot(ctx, v.tenant, 0); fresh == sn {
			t.Fatal("maxAge 0 returned the kept snapshot")
		}
		kept, _ := v.svc.Reports.Snapshot(ctx, v.tenant, time.Hour)
		v.clock.Advance(2 * time.Hour)
		if later, _ := v.svc.Reports.Snapshot(ctx, v.tenant, time.Hour); later == kept || !later.ComputedAt.After(kept.ComputedAt) {
			t.Fatal("a snapshot older than maxAge was served")
		}
	})
}

// TestLatestSnapshot serves the kept snapshot at once when it is stale and replaces it
// from the background.
func TestLatestSnapshot(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		v.ingest(orderEvent("o1", tenure.OrderPaid, "c1", "c1-1", 12000), orderEvent("o2", tenure.OrderPaid, "c2", "c2-1", 8000))
		// Nothing kept: ReadySnapshot does not wait, it has the first one computed.
		if sn := v.svc.Reports.ReadySnapshot(ctx, v.tenant, time.Hour); sn != nil {
			t.Fatal("a snapshot before any was computed")
		}
		var first *service.Snapshot
		for deadline := time.Now().Add(time.Minute); first == nil; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no first snapshot within a minute")
			}
			first = v.svc.Reports.ReadySnapshot(ctx, v.tenant, time.Hour)
		}
		if first.Orders != 2 {
			t.Fatalf("first snapshot: %+v", first)
		}
		v.ingest(orderEvent("o3", tenure.OrderPaid, "c1", "c1-2", 5000))
		if again, _ := v.svc.Reports.LatestSnapshot(ctx, v.tenant, time.Hour); again != first {
			t.Fatal("a young snapshot was not served as it is")
		}
		v.clock.Advance(2 * time.Hour)
		stale, _ := v.svc.Reports.LatestSnapshot(ctx, v.tenant, time.Hour)
		if stale != first {
			t.Fatal("a stale snapshot was not served at once")
		}
		// The background computation replaces it; poll for it rather than time it.
		deadline := time.Now().Add(time.Minute)
		for {
			sn, _ := v.svc.Reports.LatestSnapshot(ctx, v.tenant, time.Hour)
			if sn != first {
				if sn.Orders != 3 {
					t.Fatalf("the new snapshot has %d orders, want 3", sn.Orders)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no new snapshot within a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
