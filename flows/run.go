package flows

import (
	"fmt"
	"time"
)

// Run states.
const (
	RunActive  = "active"  // running or waiting
	RunDone    = "done"    // ran past its last step
	RunExited  = "exited"  // ended by an exit step or the flow's exit condition
	RunHoldout = "holdout" // entered, held out: no step runs (the control group)
)

// Run is one member's pass through one version of a flow.
type Run struct {
	ID        string    `json:"id"`
	FlowID    string    `json:"flow_id"`
	Version   int       `json:"version"`
	MemberID  string    `json:"member_id"`
	State     string    `json:"state"`
	Step      int       `json:"step"`                // the index of the next step to run
	WaitUntil time.Time `json:"wait_until,omitzero"` // set while a wait step waits
	Arm       string    `json:"arm,omitempty"`       // the split arm the member fell in
	Started   time.Time `json:"started_at"`
	Ended     time.Time `json:"ended_at,omitzero"`
	Reason    string    `json:"reason,omitempty"` // why it ended
	// Data is what the triggering event or state carried (expiring points and their
	// date, the order id); the run's messages see it.
	Data map[string]any `json:"data,omitempty"`
}

// Action is an effect the caller carries out for a run: send a message, award points,
// add or remove a tag.
type Action struct {
	Type   string    `json:"type"` // send, award, tag or untag
	StepID string    `json:"step_id"`
	Send   *SendSpec `json:"send,omitempty"`
	Points int64     `json:"points,omitempty"`
	Tag    string    `json:"tag,omitempty"`
}

// Decision is what Advance decided: the run as it now is, the actions to carry out now,
// and when to wake the run again (zero when it ended).
type Decision struct {
	Run     Run
	Actions []Action
	WakeAt  time.Time
}

// Enter decides whether a member enters flow f at now, given their previous run of it
// (nil if none). A member is in one run of a flow at a time. A new run starts at the first
// step, or in the holdout (for the flow's holdout share, stable per member).
func Enter(f Flow, memberID string, now time.Time, prev *Run) (Run, bool, string) {
	if !f.Enabled {
		return Run{}, false, "flow disabled"
	}
	if prev != nil {
		switch {
		case prev.State == RunActive:
			return Run{}, false, "already in a run of this flow"
		case f.Reentry == "" || f.Reentry == ReentryNever:
			return Run{}, false, "the flow is run once per member"
		case f.Reentry == ReentryDelay && now.Before(prev.Started.Add(time.Duration(f.Delay))):
			return Run{}, false, fmt.Sprintf("re-entry allowed from %s", prev.Started.Add(time.Duration(f.Delay)).UTC().Format(time.RFC3339))
		}
	}
	r := Run{FlowID: f.ID, Version: f.Version, MemberID: memberID, State: RunActive, Started: now}
	if f.Holdout > 0 && Bucket("holdout:"+f.Key, memberID, 100) < f.Holdout {
		r.State, r.Ended, r.Reason = RunHoldout, now, "held out"
	}
	return r, true, ""
}

// maxSteps bounds one Advance; steps only jump forward, so a flow of at most 100 steps
// never reaches it.
const maxSteps = 1000

// Advance runs r through f at now until a wait that is not over, or the end. zone is the
// member's time zone (for waits until a time of day); facts feed the conditions. Advance
// is pure: calling it again with the returned run and the same inputs does nothing new.
func Advance(r Run, f Flow, now time.Time, facts Facts, zone *time.Location) (Decision, error) {
	d := Decision{Run: r}
	if r.State != RunActive {
		return d, nil
	}
	end := func(state, reason string) (Decision, error) {
		d.Run.State, d.Run.Ended, d.Run.Reason, d.Run.WaitUntil = state, now, reason, time.Time{}
		d.WakeAt = time.Time{}
		return d, nil
	}
	if f.ExitWhen != "" {
		ok, err := eval(f.ExitWhen, facts)
		if err != nil {
			return d, fmt.Errorf("exit_when: %w", err)
		}
		if ok {
			return end(RunExited, "exit condition met")
		}
	}
	index := make(map[string]int, len(f.Steps))
	for i, s := range f.Steps {
		index[s.ID] = i
	}
	jump := func(to string, from int) int {
		if to == "" {
			return from + 1
		}
		return index[to]
	}
	for range maxSteps {
		if d.Run.Step >= len(f.Steps) {
			return end(RunDone, "completed")
		}
		i := d.Run.Step
		s := f.Steps[i]
		switch s.Type {
		case StepWait:
			if d.Run.WaitUntil.IsZero() {
				d.Run.WaitUntil = WaitEnd(s, now, zone)
			}
			if now.Before(d.Run.WaitUntil) {
				d.WakeAt = d.Run.WaitUntil
				return d, nil
			}
			d.Run.WaitUntil = time.Time{}
			d.Run.Step = i + 1
		case StepBranch:
			ok, err := eval(s.If, facts)
			if err != nil {
				return d, fmt.Errorf("steps[%d].if: %w", i, err)
			}
			if ok {
				d.Run.Step = jump(s.Then, i)
			} else {
				d.Run.Step = jump(s.Else, i)
			}
		case StepSplit:
			arm := pickArm(f.Key+":"+s.ID, r.MemberID, s.Arms)
			d.Run.Arm = s.Arms[arm].Name
			d.Run.Step = jump(s.Arms[arm].Goto, i)
		case StepSend:
			d.Actions = append(d.Actions, Action{Type: StepSend, StepID: s.ID, Send: s.Send})
			d.Run.Step = i + 1
		case StepAward:
			d.Actions = append(d.Actions, Action{Type: StepAward, StepID: s.ID, Points: s.Points})
			d.Run.Step = i + 1
		case StepTag, StepUntag:
			d.Actions = append(d.Actions, Action{Type: s.Type, StepID: s.ID, Tag: s.Tag})
			d.Run.Step = i + 1
		case StepExit:
			return end(RunExited, "exit step "+s.ID)
		default:
			return d, fmt.Errorf("steps[%d].type: unknown step type %q", i, s.Type)
		}
	}
	return d, fmt.Errorf("flow %s: more than %d steps in one advance", f.Key, maxSteps)
}

// WaitEnd returns when a wait step that starts at now ends: after its duration, then at the
// next time of day Until in zone (if set).
func WaitEnd(s Step, now time.Time, zone *time.Location) time.Time {
	t := now.Add(time.Duration(s.Wait))
	if s.Until == "" {
		return t
	}
	if zone == nil {
		zone = time.UTC
	}
	var h, m int
	_, _ = fmt.Sscanf(s.Until, "%d:%d", &h, &m)
	return NextClock(t, zone, h, m)
}

// NextClock returns the first instant at or after t when the clock in zone shows h:m.
func NextClock(t time.Time, zone *time.Location, h, m int) time.Time {
	l := t.In(zone)
	c := time.Date(l.Year(), l.Month(), l.Day(), h, m, 0, 0, zone)
	if c.Before(l) {
		c = time.Date(l.Year(), l.Month(), l.Day()+1, h, m, 0, 0, zone)
	}
	return c.UTC()
}

func pickArm(salt, memberID string, arms []Arm) int {
	total := 0
	for _, a := range arms {
		total += a.Weight
	}
	b := Bucket(salt, memberID, total)
	for i, a := range arms {
		if b < a.Weight {
			return i
		}
		b -= a.Weight
	}
	return len(arms) - 1
}
