package rules

import (
	"strconv"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/tenure-loyalty/tenure"
)

// Input is everything one evaluation depends on. Evaluate reads nothing else: no clock, no
// database, no globals.
type Input struct {
	// At is the instant the rules are judged at — windows, schedules, time.* and the
	// periods of caps and limits. Zero means Event.OccurredAt. A backtest passes the
	// original event's time.
	At    time.Time
	Event tenure.Event
	// Order is the order an order event is about, as merged so far. Nil means the order
	// data carried by Event, if any.
	Order  *tenure.Order
	Member Member
	// Usage is the member's use of each rule, by rule id, in the periods containing At.
	Usage map[string]Usage
	// Budgets is what is left of each budget, by Rule.BudgetKey. A budget missing here
	// is taken as untouched (the rule's whole Budget).
	Budgets map[string]int64
}

// Result is what an event earns under a rule set, and why.
type Result struct {
	Points int64 `json:"points"`
	// Explanations has one entry per rule considered for the event, in evaluation order.
	// Rules listening to other events are not considered and not listed.
	Explanations []Explanation `json:"explanations"`
	// Usage lists the counters to increase, one entry per rule that fired.
	Usage []Increment `json:"usage,omitempty"`
	// Budgets lists what to take from each budget.
	Budgets []BudgetUse `json:"budgets,omitempty"`
	// Periods names the periods the usage increments belong to.
	Periods Periods `json:"periods"`
	// Exposures lists the rules with a holdout this member was eligible for.
	Exposures []Exposure `json:"exposures,omitempty"`
}

// Explanation says what one rule did. Points is what the rule gave after multipliers, caps
// and budget (0 when it did not fire); BasePoints is before multipliers; Multiplier is the
// product of the multipliers applied (OneX when none). Reason is a sentence for the store
// owner: how the points were counted, or why the rule did not fire.
type Explanation struct {
	RuleID       string      `json:"rule_id"`
	RuleName     string      `json:"rule_name,omitempty"`
	Kind         Kind        `json:"kind"`
	Fired        bool        `json:"fired"`
	Points       int64       `json:"points"`
	BasePoints   int64       `json:"base_points"`
	Multiplier   BasisPoints `json:"multiplier_bp"`
	MultipliedBy []string    `json:"multiplied_by,omitempty"`
	Reason       string      `json:"reason"`
}

// evaluation is the scratch state of one Evaluate call.
type evaluation struct {
	cs      *CompiledSet
	in      *Input
	at      time.Time
	local   time.Time
	ord     *order
	env     *Env
	machine vm.VM
	budgets budgets
	slot    []int        // index in res.Explanations by index in cs.rules; -1: not considered
	active  []bool       // multipliers in force, by index in cs.rules
	stopped [3]*compiled // by kindIndex: the exclusive rule that fired
	ids     []string     // backing array of every Explanation.MultipliedBy
	buf     []byte       // the reason being written
	res     Result
}

// Evaluate judges one event against a compiled rule set. It is deterministic: the same
// set and input give the same result, whatever the machine or time of the call. It never
// panics: a condition that fails at run time (a missing key, a division by zero) counts as
// false and its explanation says so. It never awards more than a rule's cap, limit or the
// budget left in the input, and it never returns negative points.
//
// Rules run in priority order, multipliers first so that the rules they multiply know
// their factor. An exclusive rule that fires stops the later rules of its kind.
func Evaluate(cs *CompiledSet, in Input) Result {
	e := &evaluation{cs: cs, in: &in, at: in.At, budgets: budgets{given: in.Budgets}}
	if e.at.IsZero() {
		e.at = in.Event.OccurredAt
	}
	e.local = e.at.In(cs.loc)
	e.res.Periods = PeriodsAt(e.at, cs.loc)
	e.res.Explanations = []Explanation{}
	if e.consider() == 0 {
		return e.res
	}
	e.multipliers()
	for i := range cs.rules {
		if c := &cs.rules[i]; e.slot[i] >= 0 && c.Kind != KindMultiplier {
			e.earn(i, c)
		}
	}
	for i := range cs.rules {
		if c := &cs.rules[i]; e.slot[i] >= 0 && e.active[i] {
			if x := &e.res.Explanations[e.slot[i]]; x.Fired {
				x.Reason = c.text.applied
			} else {
				x.Reason = c.text.idle
			}
		}
	}
	return e.res
}

// consider picks the rules about this event — spend and action rules listening to its
// type, and the multipliers of those — and opens an explanation for each. It returns how
// many there are.
func (e *evaluation) consider() int {
	cs := e.cs
	n := len(cs.rules)
	e.slot, e.active = make([]int, n), make([]bool, n)
	var anySpend bool
	count := 0
	for i := range cs.rules {
		c := &cs.rules[i]
		e.slot[i] = -1
		if c.Kind != KindMultiplier && e.listens(c) {
			e.slot[i] = 0
			anySpend = anySpend || c.Kind == KindSpend
			count++
		}
	}
	for i := range cs.rules {
		c := &cs.rules[i]
		if c.Kind != KindMultiplier {
			continue
		}
		in := c.targets == nil && anySpend
		for _, t := range c.targets {
			in = in || e.slot[t] >= 0
		}
		if in {
			e.slot[i] = 0
			count++
		}
	}
	if count == 0 {
		return 0
	}
	e.ids = make([]string, 0, cs.multRefs)
	e.buf = make([]byte, 0, 256)
	e.res.Explanations = make([]Explanation, 0, count)
	e.res.Usage = make([]Increment, 0, count)
	for i := range cs.rules {
		if e.slot[i] >= 0 {
			e.slot[i] = len(e.res.Explanations)
			c := &cs.rules[i]
			e.res.Explanations = append(e.res.Explanations, Explanation{RuleID: c.ID, RuleName: c.Name,
				Kind: c.Kind, Multiplier: OneX})
		}
	}
	return count
}

// multipliers decides which considered multipliers are in force.
func (e *evaluation) multipliers() {
	for i := range e.cs.rules {
		c := &e.cs.rules[i]
		if e.slot[i] < 0 || c.Kind != KindMultiplier {
			continue
		}
		x := &e.res.Explanations[e.slot[i]]
		x.Multiplier = c.Multiplier
		if by := e.stopped[kindIndex(c.Kind)]; by != nil {
			x.Reason = "skipped: the exclusive multiplier " + quote(by.label()) + " applies instead"
			continue
		}
		if why := e.gates(c); why != "" {
			x.Reason = why
			continue
		}
		e.active[i] = true
		if c.Stacking == StackExclusive {
			e.stopped[kindIndex(c.Kind)] = c
		}
	}
}

// earn runs one considered spend or action rule, unless an exclusive rule stopped it.
func (e *evaluation) earn(i int, c *compiled) {
	x := &e.res.Explanations[e.slot[i]]
	if by := e.stopped[kindIndex(c.Kind)]; by != nil {
		x.Reason = "skipped: the exclusive rule " + quote(by.label()) + " fired first"
		return
	}
	e.award(c, x)
	if !x.Fired {
		return
	}
	for _, mi := range c.multipliers {
		if e.active[mi] {
			e.res.Explanations[e.slot[mi]].Fired = true
		}
	}
	if c.Stacking == StackExclusive {
		e.stopped[kindIndex(c.Kind)] = c
	}
}

func kindIndex(k Kind) int {
	switch k {
	case KindSpend:
		return 0
	case KindAction:
		return 1
	}
	return 2
}

// listens reports whether a spend or action rule is about this event.
func (e *evaluation) listens(c *compiled) bool {
	ev := &e.in.Event
	return c.Event == ev.Type && (ev.Type != tenure.CustomAction || c.Action == ev.Action)
}

// gates checks what every kind of rule shares: its window, its schedule, its limit and its
// condition. It returns why the rule does not run, or "".
func (e *evaluation) gates(c *compiled) string {
	if c.StartsAt != nil && e.at.Before(*c.StartsAt) {
		return "not started yet: starts " + e.stamp(*c.StartsAt)
	}
	if c.EndsAt != nil && !e.at.Before(*c.EndsAt) {
		return "ended " + e.stamp(*c.EndsAt)
	}
	if s := c.Schedule; s != nil {
		if c.days != 0 && c.days&(1<<e.local.Weekday()) == 0 {
			return "outside campaign days (" + e.now() + "; runs " + c.text.days + ")"
		}
		if h := e.local.Hour(); h < s.FromHour || h >= s.endHour() {
			return "outside campaign hours (" + e.now() + "; runs " + c.text.hours + ")"
		}
	}
	if c.Limit != nil && e.in.Usage[c.ID].In(c.Limit.Per).Times >= c.Limit.Count {
		return c.text.limitReached
	}
	if c.cond != nil {
		ok, err := e.run(c.cond)
		if err != nil {
			return "condition could not be evaluated, counted as false: " + exprMessage(err)
		}
		if !ok {
			return c.text.condFalse
		}
	}
	if c.Holdout > 0 && e.in.Member.ID != "" {
		held := InHoldout(c.ID, e.in.Member.ID, c.Holdout)
		e.res.Exposures = append(e.res.Exposures, Exposure{RuleID: c.ID, Holdout: held})
		if held {
			return "held out: this member is in the " + c.Holdout.Percent() + " control group of this rule"
		}
	}
	return ""
}

// Exposure records that a member was eligible for a rule with a holdout, and in which
// group: the shell keeps the first one per rule and member for lift reports.
type Exposure struct {
	RuleID  string `json:"rule_id"`
	Holdout bool   `json:"holdout"`
}

// InHoldout reports whether a member falls in a rule's control group: FNV-1a of
// "rule/member" modulo 10000 below the share. Stable across processes and versions.
func InHoldout(ruleID, memberID string, share BasisPoints) bool {
	h := uint64(14695981039346656037)
	for _, b := range []byte(ruleID + "/" + memberID) {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return BasisPoints(h%10_000) < share
}

// Percent renders a share as a percentage ("10%").
func (m BasisPoints) Percent() string {
	return strconv.FormatFloat(float64(m)/100, 'f', -1, 64) + "%"
}
