package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func TestFlowsRunsMessagesConsents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db := openDB(t, e.DSN)
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		f := flows.Flow{ID: "flw_1", Key: "welcome", Name: "Welcome", Version: 1, Enabled: true, Trigger: flows.Trigger{Event: "member.created"},
			Steps: []flows.Step{{ID: "mail", Type: flows.StepSend, Send: &flows.SendSpec{Channel: "email", Purpose: flows.Marketing, Template: "welcome"}}}, Created: now}
		write := func(fn func(tx *storage.Tx) error) error { return db.Write(ctx, fn) }
		if err := write(func(tx *storage.Tx) error { return tx.SaveFlow(ctx, "ten_a", f) }); err != nil {
			t.Fatal(err)
		}
		err := write(func(tx *storage.Tx) error { return tx.SaveFlow(ctx, "ten_a", f) })
		if tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("same version twice: %v", err)
		}
		f2 := f
		f2.ID, f2.Version, f2.Name = "flw_2", 2, "Welcome, v2"
		if err := write(func(tx *storage.Tx) error { return tx.SaveFlow(ctx, "ten_a", f2) }); err != nil {
			t.Fatal(err)
		}
		err = db.Read(ctx, func(tx *storage.Tx) error {
			cur, err := tx.Flows(ctx, "ten_a")
			if err != nil || len(cur) != 1 || cur[0].Version != 2 {
				t.Fatalf("current flows %+v %v", cur, err)
			}
			vs, _ := tx.FlowVersions(ctx, "ten_a", "welcome")
			if len(vs) != 2 || vs[1].Name != "Welcome" {
				t.Fatalf("versions %+v", vs)
			}
			trig, _ := tx.TriggeredFlows(ctx, "ten_a", "member.created")
			other, _ := tx.TriggeredFlows(ctx, "ten_b", "member.created")
			if len(trig) != 1 || len(other) != 0 {
				t.Fatalf("triggered %d, other tenant %d", len(trig), len(other))
			}
			if _, err := tx.Flow(ctx, "ten_a", "nope", 0); tenure.KindOf(err) != tenure.KindNotFound {
				t.Fatalf("missing flow: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// One active run per member and flow.
		run := flows.Run{ID: "run_1", FlowID: "welcome", Version: 2, MemberID: "mem_1", State: flows.RunActive, Started: now, Data: map[string]any{"order_id": "o1"}}
		if err := write(func(tx *storage.Tx) error { return tx.InsertRun(ctx, "ten_a", run) }); err != nil {
			t.Fatal(err)
		}
		second := run
		second.ID = "run_2"
		if err := write(func(tx *storage.Tx) error { return tx.InsertRun(ctx, "ten_a", second) }); tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("second active run: %v", err)
		}
		run.State, run.Ended, run.Reason = flows.RunDone, now.Add(time.Hour), "completed"
		if err := write(func(tx *storage.Tx) error { return tx.UpdateRun(ctx, "ten_a", run) }); err != nil {
			t.Fatal(err)
		}
		second.Started = now.Add(2 * time.Hour)
		if err := write(func(tx *storage.Tx) error { return tx.InsertRun(ctx, "ten_a", second) }); err != nil {
			t.Fatalf("a new run after the first ended: %v", err)
		}
		_ = db.Read(ctx, func(tx *storage.Tx) error {
			last, found, err := tx.LastRun(ctx, "ten_a", "welcome", "mem_1")
			if err != nil || !found || last.ID != "run_2" || !last.WaitUntil.IsZero() || last.Data["order_id"] != "o1" {
				t.Fatalf("last run %+v %v %v", last, found, err)
			}
			got, _, _ := tx.FlowRun(ctx, "ten_a", "run_1")
			if got.State != flows.RunDone || !got.Ended.Equal(now.Add(time.Hour)) {
				t.Fatalf("run_1 %+v", got)
			}
			return nil
		})

		// Messages: one per run and step; the log and the budget's view.
		m := flows.FlowMessage{Data: map[string]any{"expiring_points": 300}, ID: "fms_1", MemberID: "mem_1", FlowKey: "welcome", RunID: "run_1", StepID: "mail", Channel: "email",
			Purpose: flows.Marketing, Template: "welcome", State: flows.Queued, Token: "tok1", QueuedAt: now, SendAt: now, Expiry: 72 * time.Hour}
		if err := write(func(tx *storage.Tx) error { return tx.InsertFlowMessage(ctx, "ten_a", m) }); err != nil {
			t.Fatal(err)
		}
		dup := m
		dup.ID, dup.Token = "fms_2", "tok2"
		if err := write(func(tx *storage.Tx) error { return tx.InsertFlowMessage(ctx, "ten_a", dup) }); tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("second message of a step: %v", err)
		}
		m.State, m.SentAt, m.Attempts = flows.Sent, now.Add(time.Minute), 1
		if err := write(func(tx *storage.Tx) error { return tx.UpdateFlowMessage(ctx, "ten_a", m) }); err != nil {
			t.Fatal(err)
		}
		_ = db.Read(ctx, func(tx *storage.Tx) error {
			log, _ := tx.MemberFlowMessages(ctx, "ten_a", "mem_1", 10)
			if len(log) != 1 || log[0].State != flows.Sent || log[0].Expiry != 72*time.Hour || !log[0].SentAt.Equal(now.Add(time.Minute)) || log[0].Data["expiring_points"] != float64(300) {
				t.Fatalf("log %+v", log)
			}
			sent, _ := tx.MarketingSentSince(ctx, "ten_a", "mem_1", now.Add(-time.Hour))
			if len(sent) != 1 {
				t.Fatalf("sent %v", sent)
			}
			tenant, byTok, found, err := tx.FlowMessageByToken(ctx, "tok1")
			if err != nil || !found || tenant != "ten_a" || byTok.ID != "fms_1" {
				t.Fatalf("by token %v %+v %v %v", tenant, byTok, found, err)
			}
			if _, _, found, _ := tx.FlowMessageByToken(ctx, "nope"); found {
				t.Fatal("found an unknown token")
			}
			return nil
		})
	})
}
