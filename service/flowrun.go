package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
)

// flowEvent is what a flow.event job carries: one thing that happened to one member.
type flowEvent struct {
	MemberID string         `json:"member_id"`
	Type     string         `json:"type"`
	Data     map[string]any `json:"data,omitempty"`
}

// afterIngest schedules a flow.event job for each new event of a type some enabled flow
// listens to. It runs after the intake committed; the job (keyed by the event's id) then
// starts and ends runs durably, once, on whichever node claims it.
func (s *Flows) afterIngest(ctx context.Context, tenantID string, events []tenure.Event, results []tenure.EventResult) {
	type due struct {
		key string
		ev  flowEvent
	}
	var jobs []due
	for i, r := range results {
		if r.Replay || r.MemberID == "" || i >= len(events) {
			continue
		}
		types := []string{string(r.Type)}
		if r.Enrolled {
			types = append(types, "member.created")
		}
		for _, typ := range types {
			ok, err := s.listens(ctx, tenantID, typ)
			if err != nil {
				s.Log.Error("flows: trigger lookup failed", "tenant", tenantID, "err", err)
				return
			}
			if ok {
				jobs = append(jobs, due{key: r.ID + "/" + typ, ev: flowEvent{MemberID: r.MemberID, Type: typ, Data: eventData(events[i])}})
			}
		}
	}
	if len(jobs) == 0 {
		return
	}
	err := s.db.Write(ctx, func(tx *storage.Tx) error {
		for _, j := range jobs {
			b, _ := json.Marshal(j.ev)
			if err := tx.Schedule(ctx, tenantID, jobFlowEvent, j.key, string(b), tx.Now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.Log.Error("flows: scheduling event jobs failed", "tenant", tenantID, "events", len(jobs), "err", err)
	}
}

// Trigger starts the runs a thing that happened to a member starts (and ends the runs it
// meets the exit condition of), as the intake does for events; for the loyalty states
// and dates the service itself notices.
func (s *Flows) Trigger(ctx context.Context, tenantID, memberRef, typ string, data map[string]any) error {
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(flowEvent{MemberID: m.ID, Type: typ, Data: data})
		return tx.Schedule(ctx, tenantID, jobFlowEvent, tx.NewID("trg"), string(b), tx.Now)
	})
}

func eventData(e tenure.Event) map[string]any {
	d := map[string]any{"type": string(e.Type), "id": e.ID}
	for k, v := range e.Properties {
		if _, taken := d[k]; !taken {
			d[k] = v
		}
	}
	if e.Order != nil {
		d["order_id"] = e.Order.ID
	}
	return d
}

// runFlowJob runs the short flow jobs (the send job is long: see flowmail.go).
func (s *core) runFlowJob(ctx context.Context, tx *storage.Tx, j storage.Job) (bool, error) {
	switch j.Kind {
	case jobFlowEvent:
		var ev flowEvent
		if err := json.Unmarshal([]byte(j.Payload), &ev); err != nil {
			return true, err
		}
		return true, s.flowEvent(ctx, tx, j.TenantID, ev)
	case jobFlowScan:
		return true, s.runFlowScan(ctx, tx, j.TenantID)
	case jobFlowRun:
		run, found, err := tx.FlowRun(ctx, j.TenantID, j.Payload)
		if err != nil || !found || run.State != flows.RunActive || run.WaitUntil.After(tx.Now) {
			return true, err
		}
		f, err := tx.Flow(ctx, j.TenantID, run.FlowID, run.Version)
		if err != nil {
			return true, err
		}
		m, err := tx.Member(ctx, j.TenantID, run.MemberID, true)
		if err != nil {
			return true, err
		}
		return true, s.advanceRun(ctx, tx, j.TenantID, f, run, m, nil)
	}
	return false, nil
}

// flowEvent ends the member's runs whose exit condition the event meets, then starts a
// run of each enabled flow the event triggers.
func (s *core) flowEvent(ctx context.Context, tx *storage.Tx, tenantID string, ev flowEvent) error {
	m, err := tx.Member(ctx, tenantID, ev.MemberID, true)
	if err != nil {
		return err
	}
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	ev.Data["type"] = ev.Type
	facts, err := s.flowFacts(ctx, tx, tenantID, m, ev.Data)
	if err != nil {
		return err
	}
	active, err := tx.MemberRuns(ctx, tenantID, m.ID, true)
	if err != nil {
		return err
	}
	for _, r := range active {
		f, err := tx.Flow(ctx, tenantID, r.FlowID, r.Version)
		if err != nil || f.ExitWhen == "" {
			continue
		}
		if d, err := flows.Advance(flows.Run{State: flows.RunActive, Step: len(f.Steps) + 1}, flows.Flow{ExitWhen: f.ExitWhen, Key: f.Key}, tx.Now, facts, time.UTC); err == nil && d.Run.State == flows.RunExited {
			r.State, r.Ended, r.Reason, r.WaitUntil = flows.RunExited, tx.Now, "exit condition met by "+ev.Type, time.Time{}
			if err := tx.UpdateRun(ctx, tenantID, r); err != nil {
				return err
			}
		}
	}
	fs, err := tx.TriggeredFlows(ctx, tenantID, ev.Type)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.Trigger.When != "" {
			ok, err := flowCond(f.Trigger.When, facts)
			if err != nil {
				s.Log.Warn("flows: trigger condition failed", "flow", f.Key, "err", err)
				continue
			}
			if !ok {
				continue
			}
		}
		last, found, err := tx.LastRun(ctx, tenantID, f.Key, m.ID)
		if err != nil {
			return err
		}
		var prev *flows.Run
		if found {
			prev = &last
		}
		run, ok, _ := flows.Enter(f, m.ID, tx.Now, prev)
		if !ok {
			continue
		}
		run.ID, run.FlowID, run.Data = tx.NewID("run"), f.Key, ev.Data
		if err := tx.InsertRun(ctx, tenantID, run); err != nil {
			return err
		}
		if err := s.advanceRun(ctx, tx, tenantID, f, run, m, ev.Data); err != nil {
			return err
		}
	}
	return nil
}

// flowCond evaluates a condition through the core (a one-step branch).
func flowCond(cond string, facts flows.Facts) (bool, error) {
	f := flows.Flow{Steps: []flows.Step{{ID: "c", Type: flows.StepBranch, If: cond, Else: "no"}, {ID: "yes", Type: flows.StepExit}, {ID: "no", Type: flows.StepExit}}}
	d, err := flows.Advance(flows.Run{State: flows.RunActive}, f, time.Time{}, facts, time.UTC)
	return d.Run.Reason == "exit step yes", err
}

// flowFacts gathers what conditions see of a member.
func (s *core) flowFacts(ctx context.Context, tx *storage.Tx, tenantID string, m tenure.Member, event map[string]any) (flows.Facts, error) {
	b, err := tx.Balance(ctx, tenantID, m.ID, tenure.Points, false)
	if err != nil {
		return flows.Facts{}, err
	}
	if event == nil {
		event = map[string]any{}
	}
	return flows.Facts{Member: flows.MemberFacts{Points: b.Available, Tags: m.Tags, Locale: m.Locale}, Event: event}, nil
}

// flowZone is the member's zone, else the program's.
func flowZone(ctx context.Context, tx *storage.Tx, tenantID string, m tenure.Member) (*time.Location, error) {
	t, err := tx.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return memberZone(m, t.Program), nil
}

// advanceRun asks the core what the run does now, carries it out in tx and schedules the
// run's next wake.
func (s *core) advanceRun(ctx context.Context, tx *storage.Tx, tenantID string, f flows.Flow, run flows.Run, m tenure.Member, event map[string]any) error {
	facts, err := s.flowFacts(ctx, tx, tenantID, m, event)
	if err != nil {
		return err
	}
	zone, err := flowZone(ctx, tx, tenantID, m)
	if err != nil {
		return err
	}
	d, err := flows.Advance(run, f, tx.Now, facts, zone)
	if err != nil {
		return err
	}
	for _, a := range d.Actions {
		if err := s.flowAction(ctx, tx, tenantID, f, d.Run, &m, a); err != nil {
			return err
		}
	}
	if err := tx.UpdateRun(ctx, tenantID, d.Run); err != nil {
		return err
	}
	if !d.WakeAt.IsZero() {
		return tx.Schedule(ctx, tenantID, jobFlowRun, fmt.Sprintf("%s/%d/%d", run.ID, d.Run.Step, d.WakeAt.UnixMicro()), run.ID, d.WakeAt)
	}
	return nil
}

func (s *core) flowAction(ctx context.Context, tx *storage.Tx, tenantID string, f flows.Flow, run flows.Run, m *tenure.Member, a flows.Action) error {
	switch a.Type {
	case flows.StepSend:
		msg := flows.FlowMessage{ID: tx.NewID("fms"), MemberID: m.ID, FlowKey: f.Key, RunID: run.ID, StepID: a.StepID, Channel: a.Send.Channel,
			Purpose: a.Send.Purpose, Template: a.Send.Template, Priority: f.Priority, Expiry: time.Duration(a.Send.Expiry),
			State: flows.Queued, Token: newToken(), QueuedAt: tx.Now, SendAt: tx.Now, Data: run.Data}
		if err := tx.InsertFlowMessage(ctx, tenantID, msg); err != nil {
			return err
		}
		return tx.Schedule(ctx, tenantID, jobFlowSend, msg.ID, msg.ID, tx.Now)
	case flows.StepAward:
		_, err := s.applyLedgerOp(ctx, tx, tenantID, "flow:"+f.Key, m.ID,
			LedgerOp{Wallet: tenure.Points, Amount: a.Points, Reason: "flow " + f.Key + " step " + a.StepID, Reference: run.ID},
			"adjusted", func(u *unit, b *ledger.Book, c ledger.Cause) error {
				return b.Adjust(a.Points, u.prog.ExpiresAt(u.tx.Now), c)
			})
		return err
	case flows.StepTag, flows.StepUntag:
		has := slices.Contains(m.Tags, a.Tag)
		switch {
		case a.Type == flows.StepTag && !has && len(m.Tags) < tenure.MaxTags:
			m.Tags = append(m.Tags, a.Tag)
		case a.Type == flows.StepUntag && has:
			m.Tags = slices.DeleteFunc(slices.Clone(m.Tags), func(t string) bool { return t == a.Tag })
		default:
			return nil
		}
		m.UpdatedAt = tx.Now
		return tx.UpdateMember(ctx, tenantID, m)
	}
	return fmt.Errorf("flow %s: unknown action %q", f.Key, a.Type)
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
