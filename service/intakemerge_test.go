package service_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// together sends each event as its own Ingest call and makes all of them wait for the same
// group commit; it returns each call's answer and the statements the group sent.
func (v *env) together(evs []tenure.Event) ([]tenure.EventResult, []error, []string) {
	v.t.Helper()
	v.db.SetGroupLimits(1, 1000)
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = v.db.WriteGrouped(ctx, func(*storage.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	var mu sync.Mutex
	var qs []string
	v.db.SetTrace(func(q string, _ []any) { mu.Lock(); qs = append(qs, q); mu.Unlock() })
	defer v.db.SetTrace(nil)
	rs, errs := make([]tenure.EventResult, len(evs)), make([]error, len(evs))
	var wg sync.WaitGroup
	for i := range evs {
		wg.Go(func() {
			out, err := v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{evs[i]}, service.IngestOptions{})
			if err == nil {
				rs[i] = out[0]
			}
			errs[i] = err
		})
	}
	for v.db.QueuedWrites() != len(evs) {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return rs, errs, qs
}

// TestMergedIntake: single events sent at once by concurrent requests run as one intake
// (a fraction of the statements of one event each), and give what they would have given
// one at a time: points, balances, a repeated event id applied once and replayed. A bad
// request among them gets its own error, named as in a single request, and the others
// are applied.
func TestMergedIntake(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		ref := newEnv(t, e, nil) // the same events one after another
		v.ingest(orderEvent("warm", tenure.OrderPaid, "c0", "o-warm", 1000))
		ref.ingest(orderEvent("warm", tenure.OrderPaid, "c0", "o-warm", 1000))
		var one []string
		v.db.SetTrace(func(q string, _ []any) { one = append(one, q) })
		v.ingest(orderEvent("single", tenure.OrderPaid, "c0", "o-single", 1000))
		v.db.SetTrace(nil)
		ref.ingest(orderEvent("single", tenure.OrderPaid, "c0", "o-single", 1000))

		var evs []tenure.Event
		for i := 0; i < 12; i++ {
			evs = append(evs, orderEvent(fmt.Sprintf("m%d", i), tenure.OrderPaid, fmt.Sprintf("c%d", i%5), fmt.Sprintf("o%d", i), int64(1000+100*i), 2500))
		}
		evs = append(evs, evs[3]) // the same event twice: applied once
		rs, errs, qs := v.together(evs)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
		}
		t.Logf("13 requests in one group: %d statements; one event alone: %d", len(qs), len(one))
		if len(qs) > 2*len(one) {
			t.Errorf("13 requests in one group sent %d statements; one event alone sends %d", len(qs), len(one))
		}
		for i := 0; i < 12; i++ {
			want := ref.ingest(evs[i])[0]
			got := rs[i]
			if i == 3 && got.Replay { // the other copy was applied first
				got = rs[12]
			}
			if got.Replay || got.Points == nil || *got.Points != *want.Points || got.EventID != want.EventID {
				t.Errorf("event %d: %+v %+v, one at a time %+v %+v", i, got, got.Points, want, want.Points)
			}
		}
		a, b := rs[3], rs[12]
		if a.Replay == b.Replay {
			t.Errorf("the repeated event: replay %v and %v, want exactly one replay", a.Replay, b.Replay)
		}
		a.Replay, b.Replay = false, false
		if a.ID != b.ID || *a.Points != *b.Points {
			t.Errorf("the repeated event answered %+v and %+v", a, b)
		}
		for c := 0; c < 5; c++ {
			ref := ref.points(fmt.Sprintf("c%d", c))
			if got := v.points(fmt.Sprintf("c%d", c)); !got.SameSums(ref) {
				t.Errorf("c%d: balance %+v, one at a time %+v", c, got, ref)
			}
		}
		sameCounts(t, ref.counts(), v.counts())
		v.verify()

		// A reused id with another body and an order in a foreign currency, among good ones.
		evs = nil
		for i := 0; i < 8; i++ {
			evs = append(evs, orderEvent(fmt.Sprintf("n%d", i), tenure.OrderPaid, fmt.Sprintf("d%d", i), fmt.Sprintf("p%d", i), 4000))
		}
		reused := orderEvent("m1", tenure.OrderPaid, "c1", "o1", 9999)
		foreign := orderEvent("x1", tenure.OrderPaid, "d1", "p-foreign", 4000)
		foreign.Order.Currency = "JPY"
		evs = append(evs, reused, foreign)
		before := v.counts()
		rs, errs, _ = v.together(evs)
		for i := 0; i < 8; i++ {
			if errs[i] != nil || rs[i].Replay || rs[i].Points == nil || rs[i].Points.Earned == 0 {
				t.Errorf("good event %d: %+v %v", i, rs[i], errs[i])
			}
		}
		if tenure.KindOf(errs[8]) != tenure.KindConflict || !strings.Contains(errs[8].Error(), "different body") {
			t.Errorf("reused id: %v, want its own conflict", errs[8])
		}
		var te *tenure.Error
		if tenure.KindOf(errs[9]) != tenure.KindInvalid || !asErr(errs[9], &te) || len(te.Fields) != 1 || te.Fields[0].Field != "order.currency" {
			t.Errorf("foreign currency: %v, want its own invalid order.currency", errs[9])
		}
		after := v.counts()
		if after["events"]-before["events"] != 8 || after["orders"]-before["orders"] != 8 {
			t.Errorf("stored %d events and %d orders, want the 8 good ones", after["events"]-before["events"], after["orders"]-before["orders"])
		}
		v.verify()
	})
}
