package service_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func mailFlow(key string, priority int, purpose string) flows.Flow {
	return flows.Flow{Key: key, Name: key, Enabled: true, Priority: priority, Trigger: flows.Trigger{Event: "custom"},
		Steps: []flows.Step{{ID: "m", Type: flows.StepSend, Send: &flows.SendSpec{Channel: "email", Purpose: purpose, Template: "thanks"}}}}
}

func TestFlowBudgetDefersInPriorityOrder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		s := newSink(t)
		v.flowsOn(s)
		v.svc.Flows.SetBudget(flows.Budget{Max: 2, Per: 7 * 24 * time.Hour, Expiry: 30 * 24 * time.Hour})
		for i, f := range []flows.Flow{mailFlow("p1", 1, flows.Marketing), mailFlow("p4", 4, flows.Marketing), mailFlow("p2", 2, flows.Marketing),
			mailFlow("p3", 3, flows.Marketing), mailFlow("receipt", 0, flows.Transactional)} {
			if _, err := v.svc.Flows.Save(ctx, v.tenant, "test", f); err != nil {
				t.Fatalf("flow %d: %v", i, err)
			}
		}
		v.ingest(customer("c1", "ala@example.com", "en", "Europe/Warsaw", true))
		day0 := v.clock.Now()
		v.ingest(tenure.Event{ID: "x1", Type: tenure.CustomAction, Action: "ping", CustomerID: "c1"})
		v.runJobs()
		if n := len(s.all()); n != 3 {
			t.Fatalf("day 0: %d messages, want 2 marketing and the transactional one", n)
		}
		state := func() map[string]flows.FlowMessage {
			out := map[string]flows.FlowMessage{}
			for _, d := range v.messages("c1") {
				out[d.FlowKey] = d
			}
			return out
		}
		st := state()
		for _, k := range []string{"p4", "p3", "receipt"} {
			if st[k].State != flows.Sent || !st[k].SentAt.Equal(day0) {
				t.Errorf("%s: %+v", k, st[k])
			}
		}
		for _, k := range []string{"p2", "p1"} {
			if st[k].State != flows.Deferred || !st[k].SendAt.After(day0) || !strings.Contains(st[k].Reason, "contact budget") {
				t.Errorf("%s not deferred: %+v", k, st[k])
			}
		}
		if st["p2"].SendAt.After(st["p1"].SendAt) {
			t.Errorf("p2 after p1: %s %s", st["p2"].SendAt, st["p1"].SendAt)
		}
		// Days pass; the deferred messages go out when the window has room, none lost.
		for range 8 {
			v.clock.Advance(24 * time.Hour)
			v.runJobs()
		}
		st = state()
		if n := len(s.all()); n != 5 {
			t.Fatalf("after a week: %d messages, want 5", n)
		}
		for _, k := range []string{"p2", "p1"} {
			if st[k].State != flows.Sent || !st[k].SentAt.After(day0) {
				t.Errorf("%s: %+v", k, st[k])
			}
		}
		if st["p2"].SentAt.After(st["p1"].SentAt) {
			t.Errorf("priority order broken: p2 %s, p1 %s", st["p2"].SentAt, st["p1"].SentAt)
		}
	})
}

func TestFlowQuietHoursInMemberZone(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		s := newSink(t)
		v.flowsOn(s)
		if _, err := v.svc.Flows.EnablePreset(ctx, v.tenant, "test", "welcome"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			member, zone string
			at, want     time.Time
		}{
			// 23:10 in Warsaw (UTC+1 in January): sent at 08:00 there, 07:00 UTC.
			{"waw", "Europe/Warsaw", time.Date(2026, 1, 14, 22, 10, 0, 0, time.UTC), time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)},
			// 23:10 in New York (UTC-5): sent at 08:00 there, 13:00 UTC.
			{"nyc", "America/New_York", time.Date(2026, 1, 16, 4, 10, 0, 0, time.UTC), time.Date(2026, 1, 16, 13, 0, 0, 0, time.UTC)},
		}
		for i, c := range cases {
			v.clock.Set(c.at)
			v.ingest(customer(c.member, c.member+"@example.com", "en", c.zone, true))
			v.runJobs()
			log := v.messages(c.member)
			if len(log) != 1 || log[0].State != flows.Deferred || !log[0].SendAt.Equal(c.want) || !strings.Contains(log[0].Reason, "quiet hours") {
				t.Fatalf("%s: %+v", c.member, log)
			}
			v.clock.Set(c.want.Add(-time.Minute))
			v.runJobs()
			if n := len(s.all()); n != i {
				t.Fatalf("%s: sent before 08:00 local", c.member)
			}
			v.clock.Set(c.want)
			v.runJobs()
			if log := v.messages(c.member); log[0].State != flows.Sent || !log[0].SentAt.Equal(c.want) {
				t.Fatalf("%s: %+v", c.member, log[0])
			}
		}
	})
}

func TestFlowAbandonedCart(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		s := newSink(t)
		v.flowsOn(s)
		v.svc.Flows.SetBudget(flows.Budget{Max: 3, Per: 7 * 24 * time.Hour})
		_, err := v.svc.Flows.Save(ctx, v.tenant, "test", flows.Flow{Key: "cart", Name: "Abandoned cart", Enabled: true, Reentry: flows.ReentryAfter,
			Trigger: flows.Trigger{Event: "cart.updated"}, ExitWhen: `event.type == "order.paid"`,
			Steps: []flows.Step{{ID: "wait", Type: flows.StepWait, Wait: flows.Duration(4 * time.Hour)},
				{ID: "remind", Type: flows.StepSend, Send: &flows.SendSpec{Channel: "email", Purpose: flows.Marketing, Template: "winback"}}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"stays", "buys"} {
			v.ingest(customer(c, c+"@example.com", "en", "UTC", true))
			v.ingest(tenure.Event{ID: "cart-" + c, Type: tenure.CartUpdated, CustomerID: c})
		}
		v.runJobs()
		v.clock.Advance(2 * time.Hour)
		v.ingest(orderEvent("pay-buys", tenure.OrderPaid, "buys", "o1", 5000))
		v.runJobs()
		v.clock.Advance(2*time.Hour - time.Second)
		v.runJobs()
		if n := len(s.all()); n != 0 {
			t.Fatalf("sent before 4 h: %d", n)
		}
		v.clock.Advance(time.Second)
		v.runJobs()
		got := s.all()
		if len(got) != 1 || !strings.Contains(got[0].Header.Get("To"), "stays@example.com") {
			t.Fatalf("want one reminder to stays, got %d", len(got))
		}
		runs, err := v.svc.Flows.Runs(ctx, v.tenant, "buys")
		if err != nil || len(runs) != 1 || runs[0].State != flows.RunExited || !strings.Contains(runs[0].Reason, "order.paid") {
			t.Fatalf("buys' run: %+v %v", runs, err)
		}
		if log := v.messages("buys"); len(log) != 0 {
			t.Fatalf("buys got messages: %+v", log)
		}
	})
}

// Two nodes over one database send every member's welcome exactly once, though one of
// them stops mid-way with jobs claimed.
func TestFlowExactlyOnceAcrossNodes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		s := newSink(t)
		v.flowsOn(s)
		other := service.New(storagetest.Open(t, e, v.clock), nil)
		other.Flows.SetMail(service.MailConfig{Addr: s.addr, From: "sklep@example.com", BaseURL: "https://loyalty.example.com"})
		if _, err := v.svc.Flows.EnablePreset(ctx, v.tenant, "test", "welcome"); err != nil {
			t.Fatal(err)
		}
		const members = 300
		var evs []tenure.Event
		for i := range members {
			evs = append(evs, customer(fmt.Sprintf("m%03d", i), fmt.Sprintf("m%03d@example.com", i), "en", "UTC", true))
			if len(evs) == 100 {
				v.ingest(evs...)
				evs = nil
			}
		}
		var wg sync.WaitGroup
		stopB, cancel := context.WithCancel(ctx)
		wg.Go(func() {
			for stopB.Err() == nil {
				if n, _ := other.RunDueJobs(stopB, "node-b", 20); n == 0 {
					return
				}
			}
		})
		wg.Go(func() {
			for {
				n, err := v.svc.RunDueJobs(ctx, "node-a", 20)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
		time.Sleep(30 * time.Millisecond)
		cancel() // node b stops, perhaps holding leases
		wg.Wait()
		v.clock.Advance(service.JobLease + time.Second)
		v.runJobs()
		var byNode map[string]string
		_ = v.db.Read(ctx, func(tx *storage.Tx) (err error) { byNode, err = tx.JobsDone(ctx, "flow.send"); return err })
		per := map[string]int{}
		for _, n := range byNode {
			per[n]++
		}
		t.Logf("send jobs done per node: %v", per)
		got := s.all()
		seen := map[string]int{}
		for _, m := range got {
			seen[m.Header.Get("To")]++
		}
		if len(got) != members || len(seen) != members {
			t.Fatalf("%d messages to %d addresses, want %d each once", len(got), len(seen), members)
		}
	})
}
