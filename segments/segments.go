// Package segments decides which members belong to which segment. A segment is a boolean
// expression over a member's profile — recency, frequency, spend, AOV, categories bought,
// tier, points, RFM scores, lifecycle stage, predicted CLV and P(alive), tags and
// attributes — checked when it is saved (with the position of any mistake) and evaluated
// by the same safe evaluator as earning-rule conditions. It does no I/O.
package segments

import (
	"regexp"
	"strconv"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
)

// Definition is a segment as the store saves it.
type Definition struct {
	Key         string `json:"key" doc:"Lower-case letters, digits, - and _; used in rules as member.segments"`
	Name        string `json:"name" maxLength:"128"`
	Description string `json:"description,omitempty" maxLength:"1000"`
	Condition   string `json:"condition" maxLength:"1000" doc:"An expr-lang boolean over member, e.g. member.recency_days > 90 && member.monetary > 50000"`
}

// Profile is what a segment condition reads, as "member.<field>".
type Profile struct {
	ID             string         `expr:"id"`
	ExternalID     string         `expr:"external_id"`
	Email          string         `expr:"email"`
	Country        string         `expr:"country"`
	City           string         `expr:"city"`
	Tags           []string       `expr:"tags"`
	Attributes     map[string]any `expr:"attributes"`
	Tier           string         `expr:"tier"`
	Points         int64          `expr:"points"`
	EnrolledDays   int            `expr:"enrolled_days"`
	OrderCount     int            `expr:"order_count"`
	RecencyDays    int            `expr:"recency_days" doc:"Days since the last order; -1 without orders"`
	FirstOrderDays int            `expr:"first_order_days" doc:"Days since the first order; -1 without orders"`
	Frequency      int            `expr:"frequency"`
	Monetary       int64          `expr:"monetary" doc:"Net spend, minor units"`
	AOV            float64        `expr:"aov"`
	Categories     []string       `expr:"categories" doc:"Categories bought"`
	R              int            `expr:"r"`
	F              int            `expr:"f"`
	M              int            `expr:"m"`
	Lifecycle      string         `expr:"lifecycle" doc:"new, active, loyal, vip, occasional, at_risk, lapsed; empty without orders"`
	CLV            float64        `expr:"clv" doc:"Predicted 12-month value, minor units; 0 when no usable model"`
	PAlive         float64        `expr:"p_alive"`
}

// Env is the evaluation environment: the profile under "member".
type Env struct {
	Member Profile `expr:"member"`
}

// Set is a compiled list of definitions.
type Set struct {
	defs  []Definition
	progs []*vm.Program
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Compile checks definitions and compiles their conditions. Errors name the field
// ("segments[2].condition") and, for conditions, the line and column.
func Compile(defs []Definition) (*Set, error) {
	var p tenure.Problems
	s := &Set{defs: defs, progs: make([]*vm.Program, len(defs))}
	seen := map[string]bool{}
	for i, d := range defs {
		f := "segments[" + strconv.Itoa(i) + "]."
		if !keyPattern.MatchString(d.Key) {
			p.Add(f+"key", "must be 1 to 64 lower-case letters, digits, - or _, starting with a letter or digit")
		} else if seen[d.Key] {
			p.Add(f+"key", "duplicate key %q", d.Key)
		}
		seen[d.Key] = true
		if d.Name == "" || len(d.Name) > 128 {
			p.Add(f+"name", "must be 1 to 128 characters")
		}
		if d.Condition == "" || len(d.Condition) > 1000 {
			p.Add(f+"condition", "must be 1 to 1000 characters")
			continue
		}
		prog, err := rules.CompileCondition(d.Condition, Env{}, time.UTC)
		if err != nil {
			p.Add(f+"condition", "%s", rules.ConditionMessage(err))
			continue
		}
		if msg := unknownValue(d.Condition); msg != "" {
			p.Add(f+"condition", "%s", msg)
			continue
		}
		s.progs[i] = prog
	}
	if err := p.Err("segments.Compile"); err != nil {
		return nil, err
	}
	return s, nil
}

// Definitions returns the compiled definitions.
func (s *Set) Definitions() []Definition { return s.defs }

// Match returns the keys of the segments p belongs to, in definition order. A condition
// that fails at run time (a missing attribute) counts as false.
func (s *Set) Match(p Profile) []string {
	var out []string
	env := Env{Member: p}
	for i, prog := range s.progs {
		if ok, err := rules.RunCondition(prog, env); ok && err == nil {
			out = append(out, s.defs[i].Key)
		}
	}
	return out
}

// Segment is a stored segment with its last refresh.
type Segment struct {
	Definition
	Members     int64      `json:"members"`
	RefreshedAt *time.Time `json:"refreshed_at,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int64      `json:"version" doc:"Goes up with every save; send it as If-Match to save only over this version"`
}
