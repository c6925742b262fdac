package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// blockSegments makes the next segment refresh stop inside its read transaction until
// release is closed; entered is closed when it gets there.
func blockSegments(t *testing.T, svc *service.Service) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	first := true
	service.SetSegmentHook(svc, func(ctx context.Context) {
		if !first {
			return
		}
		first = false
		close(entered)
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	return entered, release
}

func waitFor(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// A segment refresh computes in read transactions and writes only its result: while one
// is stopped in the middle of its computation, an event is ingested and committed.
func TestSegmentRefreshDoesNotHoldIntake(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		if _, err := v.svc.Segments.Save(ctx, v.tenant, "test", segments.Definition{Key: "buyers", Name: "Buyers", Condition: "member.frequency >= 1"}); err != nil {
			t.Fatal(err)
		}
		v.ingest(orderEvent("a1", tenure.OrderPaid, "cust-a", "oa", 5000))
		entered, release := blockSegments(t, v.svc)
		type result struct {
			counts map[string]int
			err    error
		}
		refreshed := make(chan result, 1)
		go func() {
			c, err := v.svc.Segments.Refresh(ctx, v.tenant)
			refreshed <- result{c, err}
		}()
		waitFor(t, entered, "the refresh to start computing")

		ingested := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			_, err := v.svc.Intake.Ingest(ctx, v.tenant, []tenure.Event{orderEvent("b1", tenure.OrderPaid, "cust-b", "ob", 7000)}, service.IngestOptions{})
			if err != nil {
				t.Errorf("ingest during the refresh: %v", err)
			}
			ingested <- time.Since(start)
		}()
		select {
		case d := <-ingested:
			t.Logf("an event ingested in %v while the refresh was computing", d)
		case <-time.After(10 * time.Second):
			t.Fatal("intake waited for the segment refresh")
		}
		if b := v.points("cust-b"); b.Pending+b.Available == 0 {
			t.Fatalf("the event ingested during the refresh earned nothing: %+v", b)
		}
		close(release)
		r := <-refreshed
		if r.err != nil || r.counts["buyers"] != 1 {
			t.Fatalf("refresh: %v %v, want the one buyer it read before the second order", r.counts, r.err)
		}
		if c, err := v.svc.Segments.Refresh(ctx, v.tenant); err != nil || c["buyers"] != 2 {
			t.Fatalf("the next refresh: %v %v, want both buyers", c, err)
		}
	})
}

// A segment refresh run as a job renews its lease while it computes: a node that finds
// the job after the first lease would have ended does not take it over, and the owner
// completes it.
func TestSegmentJobKeepsItsLease(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		v.ingest(orderEvent("a1", tenure.OrderPaid, "cust-a", "oa", 5000))
		for n, err := v.svc.RunDueJobs(ctx, "setup", 100); n > 0 || err != nil; n, err = v.svc.RunDueJobs(ctx, "setup", 100) {
			if err != nil {
				t.Fatal(err)
			}
		}
		// Saving a segment schedules its refresh.
		if _, err := v.svc.Segments.Save(ctx, v.tenant, "test", segments.Definition{Key: "buyers", Name: "Buyers", Condition: "member.frequency >= 1"}); err != nil {
			t.Fatal(err)
		}
		service.SetLeaseBeat(v.svc, 10*time.Millisecond)
		entered, release := blockSegments(t, v.svc)
		type result struct {
			n   int
			err error
		}
		ran := make(chan result, 1)
		go func() {
			n, err := v.svc.RunDueJobs(ctx, "node-a", 10)
			ran <- result{n, err}
		}()
		waitFor(t, entered, "the refresh job to start computing")
		v.clock.Advance(3 * service.JobLease)
		time.Sleep(300 * time.Millisecond) // several renewals at the new time
		if n, err := v.svc.RunDueJobs(ctx, "node-b", 10); n != 0 || err != nil {
			t.Fatalf("another node ran %d jobs (%v) while node-a was computing the refresh", n, err)
		}
		close(release)
		r := <-ran
		if r.err != nil || r.n != 1 {
			t.Fatalf("node-a: %d jobs, %v; want the refresh done", r.n, r.err)
		}
		list, err := v.svc.Segments.List(ctx, v.tenant)
		if err != nil || len(list) != 1 || list[0].Members != 1 {
			t.Fatalf("after the job: %+v %v", list, err)
		}
	})
}
