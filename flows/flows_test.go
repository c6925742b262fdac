package flows

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func valid() Flow {
	return Flow{ID: "flw_1", Key: "winback", Name: "Win-back", Version: 1, Enabled: true,
		Trigger: Trigger{Event: "order.paid"},
		Steps: []Step{
			{ID: "wait", Type: StepWait, Wait: Duration(4 * time.Hour)},
			{ID: "check", Type: StepBranch, If: "member.orders_since_entry > 0", Then: "done"},
			{ID: "mail", Type: StepSend, Send: &SendSpec{Channel: "email", Purpose: Marketing, Template: "winback"}},
			{ID: "done", Type: StepExit},
		}}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(f *Flow)
		field string
		msg   string
	}{
		{"unknown step type", func(f *Flow) { f.Steps[2].Type = "fax" }, "steps[2].type", "unknown step type"},
		{"condition that does not type-check", func(f *Flow) { f.Steps[1].If = "member.shoe_size > 3" }, "steps[1].if", "type-check"},
		{"condition that is not boolean", func(f *Flow) { f.Steps[1].If = "member.points + 1" }, "steps[1].if", "type-check"},
		{"negative wait", func(f *Flow) { f.Steps[0].Wait = Duration(-time.Hour) }, "steps[0].wait", "negative"},
		{"loop", func(f *Flow) { f.Steps[1].Else = "wait" }, "steps[1].else", "cannot loop"},
		{"jump to itself", func(f *Flow) { f.Steps[1].Then = "check" }, "steps[1].then", "cannot loop"},
		{"jump to nowhere", func(f *Flow) { f.Steps[1].Then = "nowhere" }, "steps[1].then", "names no step"},
		{"bad time of day", func(f *Flow) { f.Steps[0].Until = "25:00" }, "steps[0].until", "HH:MM"},
		{"bad trigger condition", func(f *Flow) { f.Trigger.When = "event." }, "trigger.when", "type-check"},
		{"holdout too big", func(f *Flow) { f.Holdout = 80 }, "holdout_percent", "between"},
		{"expiring without days", func(f *Flow) { f.Trigger = Trigger{Event: TriggerPointsExpiring} }, "trigger.days", "between"},
		{"sms not delivered", func(f *Flow) { f.Steps[2].Send.Channel = "sms" }, "steps[2].send.channel", "email"},
		{"duplicate id", func(f *Flow) { f.Steps[2].ID = "wait" }, "steps[2].id", "earlier step"},
		{"unknown template", func(f *Flow) { f.Steps[2].Send.Template = "nope" }, "steps[2].send.template", "unknown template"},
		{"no steps", func(f *Flow) { f.Steps = nil }, "steps", "at least one"},
	}
	if ps := Validate(valid()); len(ps) != 0 {
		t.Fatalf("valid flow: %v", ps)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := valid()
			f.Steps = append([]Step(nil), f.Steps...)
			s := *f.Steps[2].Send
			f.Steps[2].Send = &s
			c.edit(&f)
			ps := Validate(f)
			for _, p := range ps {
				if p.Field == c.field && strings.Contains(p.Message, c.msg) {
					return
				}
			}
			t.Fatalf("want a problem at %s containing %q, got %v", c.field, c.msg, ps)
		})
	}
}

func TestDurationJSON(t *testing.T) {
	var s Step
	if err := json.Unmarshal([]byte(`{"id":"w","type":"wait","wait":"-1h"}`), &s); err != nil {
		t.Fatal(err)
	}
	if time.Duration(s.Wait) != -time.Hour {
		t.Fatalf("wait %v", time.Duration(s.Wait))
	}
	if err := json.Unmarshal([]byte(`{"wait":"soon"}`), &s); err == nil {
		t.Fatal("a wait of soon was accepted")
	}
}

func TestAdvanceWaitsThenBranches(t *testing.T) {
	f := valid()
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	r, ok, _ := Enter(f, "mem_1", t0, nil)
	if !ok || r.State != RunActive {
		t.Fatalf("enter: %+v", r)
	}
	d, err := Advance(r, f, t0, Facts{}, time.UTC)
	if err != nil || len(d.Actions) != 0 || !d.WakeAt.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("first advance: %+v %v", d, err)
	}
	// Woken early (a retry, another node): nothing happens, same wake time.
	again, _ := Advance(d.Run, f, t0.Add(time.Hour), Facts{}, time.UTC)
	if len(again.Actions) != 0 || !again.WakeAt.Equal(d.WakeAt) {
		t.Fatalf("early wake: %+v", again)
	}
	// No order: the message is sent and the run exits at the exit step.
	sent, _ := Advance(d.Run, f, t0.Add(4*time.Hour), Facts{}, time.UTC)
	if len(sent.Actions) != 1 || sent.Actions[0].Send.Template != "winback" || sent.Run.State != RunExited {
		t.Fatalf("no order: %+v", sent)
	}
	// Ordered in between: the branch skips the message.
	skip, _ := Advance(d.Run, f, t0.Add(4*time.Hour), Facts{Member: MemberFacts{OrdersSinceEntry: 1}}, time.UTC)
	if len(skip.Actions) != 0 || skip.Run.State != RunExited {
		t.Fatalf("ordered: %+v", skip)
	}
	// Exit condition: an abandoned cart whose member ordered ends before the wait ends.
	f.ExitWhen = "member.orders_since_entry > 0"
	exit, _ := Advance(d.Run, f, t0.Add(2*time.Hour), Facts{Member: MemberFacts{OrdersSinceEntry: 1}}, time.UTC)
	if exit.Run.State != RunExited || exit.Run.Reason != "exit condition met" || !exit.WakeAt.IsZero() {
		t.Fatalf("exit condition: %+v", exit)
	}
}

func TestWaitUntilTimeOfDayInMemberZone(t *testing.T) {
	step := Step{ID: "w", Type: StepWait, Until: "10:00"}
	cases := []struct {
		zone string
		now  time.Time
		want time.Time
	}{
		// 07:00 UTC is 08:00 in Warsaw (CET): 10:00 the same day = 09:00 UTC.
		{"Europe/Warsaw", time.Date(2026, 1, 10, 7, 0, 0, 0, time.UTC), time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)},
		// 12:00 UTC is 13:00 in Warsaw: the next 10:00 is tomorrow.
		{"Europe/Warsaw", time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), time.Date(2026, 1, 11, 9, 0, 0, 0, time.UTC)},
		// Summer time: 10:00 CEST = 08:00 UTC.
		{"Europe/Warsaw", time.Date(2026, 7, 10, 5, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := WaitEnd(step, c.now, mustZone(t, c.zone)); !got.Equal(c.want) {
			t.Errorf("%s at %s: got %s, want %s", c.zone, c.now, got, c.want)
		}
	}
	// A duration and a time of day: wait a day, then until 10:00.
	step.Wait = Duration(24 * time.Hour)
	got := WaitEnd(step, time.Date(2026, 1, 10, 7, 0, 0, 0, time.UTC), mustZone(t, "Europe/Warsaw"))
	if want := time.Date(2026, 1, 11, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("duration then clock: got %s want %s", got, want)
	}
}

func TestSplitAndHoldoutAreStable(t *testing.T) {
	f := valid()
	f.Holdout = 10
	f.Steps = []Step{
		{ID: "ab", Type: StepSplit, Arms: []Arm{{Name: "a", Weight: 1, Goto: "mail_a"}, {Name: "b", Weight: 1, Goto: "mail_b"}}},
		{ID: "mail_a", Type: StepSend, Send: &SendSpec{Channel: "email", Purpose: Marketing, Template: "welcome"}},
		{ID: "stop", Type: StepExit},
		{ID: "mail_b", Type: StepSend, Send: &SendSpec{Channel: "email", Purpose: Marketing, Template: "thanks"}},
	}
	if ps := Validate(f); len(ps) != 0 {
		t.Fatal(ps)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	arms, held := map[string]int{}, 0
	for i := range 10000 {
		id := fmt.Sprintf("mem_%d", i)
		r, _, _ := Enter(f, id, now, nil)
		r2, _, _ := Enter(f, id, now.Add(time.Hour), nil)
		if r.State != r2.State {
			t.Fatalf("%s: holdout not stable", id)
		}
		if r.State == RunHoldout {
			held++
			continue
		}
		d, _ := Advance(r, f, now, Facts{}, nil)
		d2, _ := Advance(r, f, now.Add(time.Minute), Facts{}, nil)
		if d.Run.Arm != d2.Run.Arm || len(d.Actions) != 1 || d.Actions[0].Send.Template != map[string]string{"a": "welcome", "b": "thanks"}[d.Run.Arm] {
			t.Fatalf("%s: arm %q then %q, actions %+v", id, d.Run.Arm, d2.Run.Arm, d.Actions)
		}
		arms[d.Run.Arm]++
	}
	if held < 800 || held > 1200 {
		t.Errorf("held out %d of 10000, want about 1000", held)
	}
	if arms["a"] < 4000 || arms["b"] < 4000 {
		t.Errorf("arms %v, want about even", arms)
	}
}

func TestEnterReentry(t *testing.T) {
	f := valid()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	active := Run{State: RunActive, Started: t0}
	ended := Run{State: RunDone, Started: t0}
	if _, ok, why := Enter(f, "m", t0, &active); ok || !strings.Contains(why, "already") {
		t.Errorf("active run: %v %q", ok, why)
	}
	if _, ok, _ := Enter(f, "m", t0, &ended); ok {
		t.Error("re-entered a run-once flow")
	}
	f.Reentry = ReentryAfter
	if _, ok, _ := Enter(f, "m", t0, &ended); !ok {
		t.Error("after_exit refused after the run ended")
	}
	f.Reentry, f.Delay = ReentryDelay, Duration(30*24*time.Hour)
	if _, ok, _ := Enter(f, "m", t0.Add(29*24*time.Hour), &ended); ok {
		t.Error("after_delay entered early")
	}
	if _, ok, _ := Enter(f, "m", t0.Add(30*24*time.Hour), &ended); !ok {
		t.Error("after_delay refused after the delay")
	}
	f.Enabled = false
	if _, ok, _ := Enter(f, "m", t0, nil); ok {
		t.Error("entered a disabled flow")
	}
}

func TestBudgetDefersInPriorityOrder(t *testing.T) {
	warsaw := mustZone(t, "Europe/Warsaw")
	b := Budget{Max: 2, Per: 7 * 24 * time.Hour, QuietFrom: 21, QuietTo: 8, Expiry: 30 * 24 * time.Hour}
	day := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // 11:00 in Warsaw
	pending := []Pending{
		{ID: "low", Purpose: Marketing, Priority: 1, Queued: day},
		{ID: "high", Purpose: Marketing, Priority: 9, Queued: day},
		{ID: "mid", Purpose: Marketing, Priority: 5, Queued: day},
		{ID: "mid2", Purpose: Marketing, Priority: 5, Queued: day.Add(time.Minute)},
		{ID: "receipt", Purpose: Transactional, Queued: day},
	}
	got := Place(b, warsaw, nil, pending, day)
	at := map[string]Placement{}
	order := []string{}
	for _, p := range got {
		at[p.ID] = p
		order = append(order, p.ID)
		if p.Drop {
			t.Fatalf("%s dropped: %s", p.ID, p.Reason)
		}
	}
	if !at["receipt"].At.Equal(day) || !at["high"].At.Equal(day) || !at["mid"].At.Equal(day) {
		t.Fatalf("two marketing and the transactional message go at once: %+v", got)
	}
	if want := day.Add(7 * 24 * time.Hour); !at["mid2"].At.Equal(want) || !at["low"].At.Equal(want) {
		t.Fatalf("the other two wait for the window: %+v", got)
	}
	if !strings.Contains(at["low"].Reason, "contact budget") {
		t.Errorf("reason %q", at["low"].Reason)
	}
	if strings.Join(order, ",") != "high,mid,mid2,low,receipt" && strings.Join(order, ",") != "receipt,high,mid,mid2,low" {
		// Transactional placement may come anywhere; the marketing order must hold.
		var mk []string
		for _, id := range order {
			if id != "receipt" {
				mk = append(mk, id)
			}
		}
		if strings.Join(mk, ",") != "high,mid,mid2,low" {
			t.Errorf("priority order %v", order)
		}
	}
	// The clock moves a day: with two sent yesterday, one more waits six days.
	sent := []time.Time{day, day}
	next := Place(b, warsaw, sent, []Pending{{ID: "x", Purpose: Marketing, Queued: day.Add(24 * time.Hour)}}, day.Add(24*time.Hour))
	if !next[0].At.Equal(day.Add(7 * 24 * time.Hour)) {
		t.Errorf("next slot %s", next[0].At)
	}
	// Past the window it goes at once.
	later := day.Add(8 * 24 * time.Hour)
	if p := Place(b, warsaw, sent, []Pending{{ID: "y", Purpose: Marketing, Queued: later}}, later); !p[0].At.Equal(later) || p[0].Reason != "" {
		t.Errorf("free slot: %+v", p)
	}
}

func TestBudgetExpiryDropsWithReason(t *testing.T) {
	b := Budget{Max: 1, Per: 7 * 24 * time.Hour, Expiry: 3 * 24 * time.Hour}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	got := Place(b, time.UTC, []time.Time{now.Add(-time.Hour)}, []Pending{{ID: "m", Purpose: Marketing, Queued: now}}, now)
	if !got[0].Drop || !strings.Contains(got[0].Reason, "expired") || !strings.Contains(got[0].Reason, "contact budget") {
		t.Fatalf("%+v", got)
	}
	// A message's own expiry wins over the budget's.
	got = Place(b, time.UTC, []time.Time{now.Add(-time.Hour)}, []Pending{{ID: "m", Purpose: Marketing, Queued: now, Expiry: 10 * 24 * time.Hour}}, now)
	if got[0].Drop {
		t.Fatalf("own expiry: %+v", got)
	}
}

func TestQuietHoursInMemberZone(t *testing.T) {
	b := Budget{QuietFrom: 21, QuietTo: 8}
	cases := []struct {
		zone string
		now  time.Time
		want time.Time
	}{
		// 23:10 in Warsaw (CET, UTC+1) = 22:10 UTC; 08:00 the next morning = 07:00 UTC.
		{"Europe/Warsaw", time.Date(2026, 1, 14, 22, 10, 0, 0, time.UTC), time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)},
		// 23:10 in New York (EST, UTC-5) = 04:10 UTC; 08:00 there = 13:00 UTC.
		{"America/New_York", time.Date(2026, 1, 15, 4, 10, 0, 0, time.UTC), time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC)},
		// 03:00 in Warsaw: 08:00 the same morning.
		{"Europe/Warsaw", time.Date(2026, 1, 15, 2, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 7, 0, 0, 0, time.UTC)},
		// 12:00 in Warsaw: not quiet.
		{"Europe/Warsaw", time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 11, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		p := Place(b, mustZone(t, c.zone), nil, []Pending{{ID: "m", Purpose: Marketing, Queued: c.now}}, c.now)
		if !p[0].At.Equal(c.want) || p[0].Drop {
			t.Errorf("%s at %s: %+v, want %s", c.zone, c.now, p[0], c.want)
		}
	}
	// Transactional messages ignore the quiet hours and the budget.
	now := time.Date(2026, 1, 14, 22, 10, 0, 0, time.UTC)
	p := Place(Budget{Max: 1, Per: time.Hour, QuietFrom: 21, QuietTo: 8}, mustZone(t, "Europe/Warsaw"), []time.Time{now}, []Pending{{ID: "t", Purpose: Transactional, Queued: now}}, now)
	if !p[0].At.Equal(now) {
		t.Errorf("transactional: %+v", p[0])
	}
}

func TestConsent(t *testing.T) {
	cs := []tenure.Consent{{Channel: "email", Purpose: Marketing, Granted: false}}
	if Allowed(cs, "email", Marketing) || !Allowed(cs, "email", Transactional) || Allowed(nil, "email", Marketing) {
		t.Fatal("consent")
	}
	if Allowed([]tenure.Consent{{Channel: "email", Purpose: Transactional, Granted: false}}, "email", Transactional) {
		t.Fatal("transactional withdrawn but allowed")
	}
}

func TestPresetsAreValidAndTheirTemplatesExist(t *testing.T) {
	for key, f := range Presets {
		if f.Key != key {
			t.Errorf("preset %s has key %s", key, f.Key)
		}
		if ps := Validate(f); len(ps) != 0 {
			t.Errorf("preset %s: %v", key, ps)
		}
		for _, s := range f.Steps {
			if s.Send == nil {
				continue
			}
			for _, loc := range []string{"en", "pl"} {
				if c, ok := Templates[s.Send.Template][loc]; !ok || c.Subject == "" || c.Text == "" || c.HTML == "" {
					t.Errorf("preset %s: template %s has no %s text", key, s.Send.Template, loc)
				}
			}
		}
	}
}
