// Package flows is the pure core of engagement flows: a flow as data (a trigger, then
// steps), its validation, the step function that says what a member's run does next and
// when, and the contact budget that places messages in time. It does no I/O and reads no
// clock: the caller passes the time and the member's facts.
package flows

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/tenure-loyalty/tenure"
)

// Step types.
const (
	StepWait   = "wait"   // wait a duration, or until a time of day in the member's zone
	StepBranch = "branch" // evaluate If; go to Then or Else
	StepSplit  = "split"  // random A/B split, stable per member
	StepSend   = "send"   // send a message
	StepAward  = "award"  // award points
	StepTag    = "tag"    // add a tag
	StepUntag  = "untag"  // remove a tag
	StepExit   = "exit"   // end the run
)

// Loyalty-state triggers.
const (
	TriggerPointsExpiring = "points.expiring" // points expire in Days days
	TriggerTierUp         = "tier.up"         // the member moved up a tier
	TriggerTierDown       = "tier.down"       // the member moved down a tier
	TriggerBirthday       = "date.birthday"   // the member's birthday, in their zone
	TriggerAnniversary    = "date.anniversary"
	TriggerSinceOrder     = "date.since_last_order" // Days days after the last order
)

// Message purposes: marketing counts against the contact budget; transactional does not,
// but both need consent to the channel.
const (
	Marketing     = "marketing"
	Transactional = "transactional"
)

// Re-entry policies.
const (
	ReentryNever = "never"       // a member runs the flow once
	ReentryAfter = "after_exit"  // again once the previous run ended
	ReentryDelay = "after_delay" // again once ReentryDelay passed since the previous run began
)

// Flow is a journey: a trigger, then steps run in order (a branch or split may jump
// forward, never back, so a run always ends).
type Flow struct {
	ID       string    `json:"id"`
	Key      string    `json:"key"`
	Name     string    `json:"name"`
	Version  int       `json:"version"`
	Enabled  bool      `json:"enabled"`
	Trigger  Trigger   `json:"trigger"`
	Steps    []Step    `json:"steps"`
	Holdout  int       `json:"holdout_percent,omitempty"` // share of entrants held out, 0..50
	Reentry  string    `json:"reentry,omitempty"`         // never (default), after_exit, after_delay
	Delay    Duration  `json:"reentry_delay,omitempty"`
	ExitWhen string    `json:"exit_when,omitempty"` // expr over Facts; true ends the run
	Priority int       `json:"priority,omitempty"`  // higher goes first under the contact budget
	Created  time.Time `json:"created_at"`
}

// Trigger says which members enter: on an event of a type (with an optional condition),
// on a loyalty state, or on a date.
type Trigger struct {
	Event string `json:"event,omitempty"` // an event type, or one of the Trigger constants
	When  string `json:"when,omitempty"`  // expr over Facts; the event enters only when true
	Days  int    `json:"days,omitempty"`  // for points.expiring and date.since_last_order
}

// Step is one step of a flow. Which fields apply depends on Type.
type Step struct {
	ID     string    `json:"id"`
	Type   string    `json:"type"`
	Wait   Duration  `json:"wait,omitempty"`   // wait: a duration
	Until  string    `json:"until,omitempty"`  // wait: a time of day "HH:MM" in the member's zone
	If     string    `json:"if,omitempty"`     // branch: expr over Facts
	Then   string    `json:"then,omitempty"`   // branch: the step when true ("" = the next)
	Else   string    `json:"else,omitempty"`   // branch: the step when false ("" = the next)
	Arms   []Arm     `json:"arms,omitempty"`   // split
	Send   *SendSpec `json:"send,omitempty"`   // send
	Points int64     `json:"points,omitempty"` // award
	Tag    string    `json:"tag,omitempty"`    // tag, untag
}

// Arm is one side of a split: its share (weights are relative) and the step it goes to.
type Arm struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
	Goto   string `json:"goto,omitempty"` // "" = the next step
}

// SendSpec is what a send step sends.
type SendSpec struct {
	Channel  string   `json:"channel"`          // email (sms, push and in-app are not delivered yet)
	Purpose  string   `json:"purpose"`          // marketing or transactional
	Template string   `json:"template"`         // a template key
	Expiry   Duration `json:"expiry,omitempty"` // a deferred message older than this is dropped
}

// Duration is a time.Duration written as Go writes it ("4h", "72h30m") in JSON.
type Duration time.Duration

// MarshalText writes the duration as "4h0m0s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "4h", "90m" or a number of seconds.
func (d *Duration) UnmarshalText(b []byte) error {
	s := string(b)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*d = Duration(time.Duration(n) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 4h or 30m", s)
	}
	*d = Duration(v)
	return nil
}

// Facts are what conditions see: the member, and the event that triggered or woke the run.
type Facts struct {
	Member MemberFacts    `expr:"member"`
	Event  map[string]any `expr:"event"`
}

// MemberFacts is the member as conditions see them.
type MemberFacts struct {
	Points           int64    `expr:"points"`
	Tier             string   `expr:"tier"`
	Tags             []string `expr:"tags"`
	Orders           int      `expr:"orders"`
	OrdersSinceEntry int      `expr:"orders_since_entry"`
	Locale           string   `expr:"locale"`
	ExpiringPoints   int64    `expr:"expiring_points"`
}

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Validate returns every problem of f, each naming its field (steps[2].wait, ...).
func Validate(f Flow) tenure.Problems {
	var ps tenure.Problems
	add := ps.Add
	if strings.TrimSpace(f.Name) == "" {
		add("name", "is required")
	}
	if !idRE.MatchString(f.Key) {
		add("key", "must be 1 to 40 lower-case letters, digits, _ or -, starting with a letter or digit")
	}
	if f.Trigger.Event == "" {
		add("trigger.event", "is required: an event type such as order.paid, or points.expiring, tier.up, date.birthday")
	}
	switch f.Trigger.Event {
	case TriggerPointsExpiring, TriggerSinceOrder:
		if f.Trigger.Days <= 0 || f.Trigger.Days > 366 {
			add("trigger.days", "must be between 1 and 366 for %s", f.Trigger.Event)
		}
	}
	if err := checkExpr(f.Trigger.When); err != nil {
		add("trigger.when", "%v", err)
	}
	if err := checkExpr(f.ExitWhen); err != nil {
		add("exit_when", "%v", err)
	}
	if f.Holdout < 0 || f.Holdout > 50 {
		add("holdout_percent", "must be between 0 and 50")
	}
	switch f.Reentry {
	case "", ReentryNever, ReentryAfter:
	case ReentryDelay:
		if f.Delay <= 0 {
			add("reentry_delay", "must be positive with reentry after_delay")
		}
	default:
		add("reentry", "must be never, after_exit or after_delay")
	}
	if len(f.Steps) == 0 {
		add("steps", "a flow needs at least one step")
	}
	if len(f.Steps) > 100 {
		add("steps", "a flow has at most 100 steps")
	}
	index := map[string]int{}
	for i, s := range f.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		if !idRE.MatchString(s.ID) {
			add(at+".id", "must be 1 to 40 lower-case letters, digits, _ or -")
		} else if _, dup := index[s.ID]; dup {
			add(at+".id", "%q is used by an earlier step", s.ID)
		}
		index[s.ID] = i
	}
	// jump checks a step reference: it must name a later step, so that no run loops.
	jump := func(field string, from int, to string) {
		if to == "" {
			return
		}
		j, ok := index[to]
		switch {
		case !ok:
			add(field, "names no step %q", to)
		case j <= from:
			add(field, "goes back to step %q: steps may only jump forward, so a run cannot loop", to)
		}
	}
	for i, s := range f.Steps {
		at := fmt.Sprintf("steps[%d]", i)
		switch s.Type {
		case StepWait:
			switch {
			case s.Wait < 0:
				add(at+".wait", "must not be negative")
			case s.Wait == 0 && s.Until == "":
				add(at+".wait", "a wait needs a duration or until")
			case s.Wait > Duration(366*24*time.Hour):
				add(at+".wait", "must be at most 366 days")
			}
			if s.Until != "" && !clockRE.MatchString(s.Until) {
				add(at+".until", "must be a time of day HH:MM")
			}
		case StepBranch:
			if s.If == "" {
				add(at+".if", "is required")
			} else if err := checkExpr(s.If); err != nil {
				add(at+".if", "%v", err)
			}
			jump(at+".then", i, s.Then)
			jump(at+".else", i, s.Else)
		case StepSplit:
			if len(s.Arms) < 2 {
				add(at+".arms", "a split needs at least two arms")
			}
			for k, a := range s.Arms {
				if a.Weight <= 0 {
					add(fmt.Sprintf("%s.arms[%d].weight", at, k), "must be positive")
				}
				jump(fmt.Sprintf("%s.arms[%d].goto", at, k), i, a.Goto)
			}
		case StepSend:
			if s.Send == nil {
				add(at+".send", "is required")
				continue
			}
			if s.Send.Channel != "email" {
				add(at+".send.channel", "must be email")
			}
			if s.Send.Purpose != Marketing && s.Send.Purpose != Transactional {
				add(at+".send.purpose", "must be marketing or transactional")
			}
			if _, ok := Templates[s.Send.Template]; !ok {
				add(at+".send.template", "unknown template %q", s.Send.Template)
			}
			if s.Send.Expiry < 0 {
				add(at+".send.expiry", "must not be negative")
			}
		case StepAward:
			if s.Points <= 0 || s.Points > 1_000_000 {
				add(at+".points", "must be between 1 and 1000000")
			}
		case StepTag, StepUntag:
			if strings.TrimSpace(s.Tag) == "" || len(s.Tag) > 64 {
				add(at+".tag", "is required, at most 64 bytes")
			}
		case StepExit:
		default:
			add(at+".type", "unknown step type %q: use wait, branch, split, send, award, tag, untag or exit", s.Type)
		}
	}
	return ps
}

// checkExpr compiles a condition against Facts: an unknown field or a non-boolean result
// is an error.
func checkExpr(src string) error {
	if src == "" {
		return nil
	}
	if _, err := expr.Compile(src, expr.Env(Facts{}), expr.AsBool()); err != nil {
		return fmt.Errorf("does not type-check: %s", firstLine(err.Error()))
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// eval evaluates a condition that Validate accepted; an empty one is true.
func eval(src string, f Facts) (bool, error) {
	if src == "" {
		return true, nil
	}
	if f.Event == nil {
		f.Event = map[string]any{}
	}
	v, err := expr.Eval(src, exprEnv(f))
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

func exprEnv(f Facts) map[string]any {
	tags := f.Member.Tags
	if tags == nil {
		tags = []string{}
	}
	return map[string]any{
		"member": map[string]any{"points": f.Member.Points, "tier": f.Member.Tier, "tags": tags, "orders": f.Member.Orders,
			"orders_since_entry": f.Member.OrdersSinceEntry, "locale": f.Member.Locale, "expiring_points": f.Member.ExpiringPoints},
		"event": f.Event,
	}
}

// Bucket returns a stable number in [0, n) for a member under a salt: the same member
// always falls in the same bucket of the same flow or split.
func Bucket(salt, memberID string, n int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(salt))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(memberID))
	return int(h.Sum64() % uint64(n))
}
