package rules

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/patcher"
	"github.com/expr-lang/expr/vm"
	"github.com/tenure-loyalty/tenure"
)

// Bounds on the cost of one condition. MaxNodes bounds the size of the syntax tree, so
// the work of one pass over it; MemoryBudget bounds the elements one run may create or
// iterate (every element of a range, a map() or a filter() counts), so a condition cannot
// loop for long: a few hundred order lines times a few dozen tags fit, nothing much larger.
const (
	MaxNodes     = 300
	MemoryBudget = 20_000
)

// allowedBuiltins are the expr functions conditions may call. Left out: now() (reads the
// clock), keys/values/toPairs/groupBy (map order is random), repeat/replace/reduce/join/
// split (turn a short expression into huge strings or arrays, which the memory budget
// does not count), timezone (reads the system's zone files), and the JSON/base64 and bit
// helpers (no use in a condition).
var allowedBuiltins = []string{
	"all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex",
	"count", "sum", "len", "abs", "ceil", "floor", "round", "int", "float", "string", "trim",
	"trimPrefix", "trimSuffix", "upper", "lower", "indexOf", "lastIndexOf",
	"hasPrefix", "hasSuffix", "max", "min", "mean", "median", "first", "last", "get", "take",
	"reverse", "uniq", "concat", "flatten", "sort", "sortBy", "duration", "date",
}

// CompiledSet is a rule set checked and compiled once, at save time, for any number of
// evaluations. It is immutable and safe for concurrent use.
type CompiledSet struct {
	loc      *time.Location
	rules    []compiled // evaluation order: priority, highest first; ties keep the set's order
	multRefs int        // sum of len(multipliers): room for every Explanation.MultipliedBy
}

// compiled is one normalised rule with its programs and precomputed lookups.
type compiled struct {
	Rule
	cond        *vm.Program // nil: no condition
	bonuses     []*vm.Program
	days        uint8       // bit per time.Weekday; 0: every day
	targets     []int       // multipliers: indices (into CompiledSet.rules) of the rules multiplied; nil: all spend rules
	multipliers []int       // others: indices of the multiplier rules that target this rule, in order
	excluded    [3][]string // lower-cased products/SKUs, categories, brands
	lineMults   []lineMult
	budgetKey   string // Rule.BudgetKey
	tag         string // multipliers: "x1.5 Gold members", as explanations name them
	text        texts
}

// texts are the fixed parts of a rule's explanations, written once at compile time.
type texts struct {
	condFalse, limitReached, capReached, capName, days, hours string
	applied, idle                                             string // multipliers
}

type lineMult struct {
	what  int // 0 product, 1 category, 2 brand
	key   string
	times BasisPoints
}

// Compile checks a rule set and compiles its conditions. It returns a tenure.Error of
// KindInvalid naming every offending field, e.g. "rules[2].condition" with "line 1,
// column 13: unknown name tierr". A set that compiles can be evaluated on any input
// without panicking.
func Compile(s Set) (*CompiledSet, error) {
	var p tenure.Problems
	if len(s.Rules) > MaxRules {
		p.Add("rules", "at most %d rules", MaxRules)
		return nil, p.Err("rules.Compile")
	}
	loc := loadZone(s.TimeZone, &p)
	cs := &CompiledSet{loc: loc, rules: make([]compiled, len(s.Rules))}
	norm := make([]Rule, len(s.Rules))
	for i, r := range s.Rules {
		r = normalise(r.clone(), field(i), &p)
		norm[i] = r
		c := compiled{Rule: r, budgetKey: r.BudgetKey(), tag: r.Multiplier.String() + " " + r.label()}
		c.text.condFalse = "condition false: " + r.Condition
		if r.Kind == KindMultiplier {
			c.text.applied = r.Multiplier.String() + " applied"
			c.text.idle = r.Multiplier.String() + " in force, but no rule it multiplies earned points"
		}
		if r.Limit != nil {
			c.text.limitReached = "limit reached: " + limitText(r.Limit)
		}
		if r.Cap != nil {
			c.text.capName = capText(r.Cap)
			c.text.capReached = "cap reached: " + c.text.capName
		}
		c.cond = compileExpr(r.Condition, loc, field(i)+"condition", &p)
		for k, b := range r.Bonuses {
			f := fmt.Sprintf("%sbonuses[%d].condition", field(i), k)
			c.bonuses = append(c.bonuses, compileExpr(b.Condition, loc, f, &p))
		}
		if r.Schedule != nil {
			for _, d := range r.Schedule.Days {
				c.days |= 1 << dayIndex(d)
			}
			c.text.days, c.text.hours = daysText(c.days), hoursText(r.Schedule)
		}
		if r.Spend != nil {
			c.excluded = [3][]string{lowerAll(r.Spend.ExcludeProducts), lowerAll(r.Spend.ExcludeCategories),
				lowerAll(r.Spend.ExcludeBrands)}
			for _, lm := range r.Spend.LineMultipliers {
				m := lineMult{what: 0, key: lm.Product, times: lm.Multiplier}
				if lm.Category != "" {
					m = lineMult{what: 1, key: lm.Category, times: lm.Multiplier}
				} else if lm.Brand != "" {
					m = lineMult{what: 2, key: lm.Brand, times: lm.Multiplier}
				}
				m.key = strings.ToLower(m.key)
				c.lineMults = append(c.lineMults, m)
			}
		}
		cs.rules[i] = c
	}
	checkSet(norm, &p)
	if err := p.Err("rules.Compile"); err != nil {
		return nil, err
	}
	sort.SliceStable(cs.rules, func(a, b int) bool { return cs.rules[a].Priority > cs.rules[b].Priority })
	cs.link()
	return cs, nil
}

// link resolves multiplier targets to positions in evaluation order.
func (cs *CompiledSet) link() {
	at := make(map[string]int, len(cs.rules))
	for i, c := range cs.rules {
		at[c.ID] = i
	}
	for i := range cs.rules {
		m := &cs.rules[i]
		if m.Kind != KindMultiplier {
			continue
		}
		if len(m.Targets) == 0 {
			for j := range cs.rules {
				if cs.rules[j].Kind == KindSpend {
					cs.rules[j].multipliers = append(cs.rules[j].multipliers, i)
				}
			}
			continue
		}
		m.targets = []int{}
		for _, id := range m.Targets {
			j := at[id]
			m.targets = append(m.targets, j)
			cs.rules[j].multipliers = append(cs.rules[j].multipliers, i)
		}
	}
	for _, c := range cs.rules {
		cs.multRefs += len(c.multipliers)
	}
}

// Location is the time zone the set reads schedules, periods and time.* in.
func (cs *CompiledSet) Location() *time.Location { return cs.loc }

// Len is the number of rules in the set.
func (cs *CompiledSet) Len() int { return len(cs.rules) }

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.ToLower(s)
	}
	return out
}

// compileExpr compiles one condition against Env; an empty condition compiles to nil,
// which always holds.
func compileExpr(src string, loc *time.Location, f string, p *tenure.Problems) *vm.Program {
	if strings.TrimSpace(src) == "" || len(src) > MaxConditionChars {
		return nil // too long was reported by normalise
	}
	prog, err := compileSafely(src, loc)
	if err != nil {
		p.Add(f, "%s", exprMessage(err))
		return nil
	}
	return prog
}

func compileSafely(src string, loc *time.Location) (prog *vm.Program, err error) {
	return CompileCondition(src, Env{}, loc)
}

// CompileCondition compiles a boolean expr-lang condition against env's type with the same
// safety as rule conditions: allowed builtins only, bounded size, never a panic. Other
// condition languages of Tenure (segments) use it so that every condition behaves alike.
// Errors carry the line and column.
func CompileCondition(src string, env any, loc *time.Location) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("cannot compile: %v", r)
		}
	}()
	opts := []expr.Option{expr.Env(env), expr.AsBool(), expr.MaxNodes(MaxNodes), expr.DisableAllBuiltins()}
	for _, b := range allowedBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	guard := &builtinGuard{}
	opts = append(opts, expr.Patch(guard), expr.Patch(patcher.WithTimezone{Location: loc}))
	prog, err = expr.Compile(src, opts...)
	if guard.bad != "" {
		// The predicate builtins (map, reduce...) are parsed as syntax, so disabling them
		// does not remove them; the guard does.
		fe := &file.Error{Location: guard.at, Message: guard.bad + "() is not allowed in conditions"}
		return nil, fe.Bind(file.NewSource(src))
	}
	return prog, err
}

// builtinGuard remembers the first builtin call a condition may not make.
type builtinGuard struct {
	bad string
	at  file.Location
}

// Visit implements ast.Visitor.
func (g *builtinGuard) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BuiltinNode); ok && g.bad == "" && !slices.Contains(allowedBuiltins, b.Name) {
		g.bad, g.at = b.Name, b.Location()
	}
}

// exprMessage turns an expr error into "line 1, column 8: <message>", without the Go type
// names of Env that mean nothing to a store owner.
func exprMessage(err error) string {
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Line > 0 {
			msg = fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column+1, msg)
		}
	} else if strings.HasPrefix(msg, "expected bool, but got ") {
		// The checker reports the type of the whole condition without a position.
		msg = "line 1, column 1: the condition must give true or false, but gives " + strings.TrimPrefix(msg, "expected bool, but got ")
	}
	return typeNames.Replace(msg)
}

var typeNames = strings.NewReplacer("rules.EventEnv", "event", "rules.OrderEnv", "order",
	"rules.LineEnv", "order line", "rules.MemberEnv", "member", "rules.TimeEnv", "time", "rules.Env", "the environment")

// RunCondition evaluates a compiled condition on env within the memory budget of rule
// conditions. A run-time failure (a panic, a non-boolean) is an error, never a crash.
func RunCondition(p *vm.Program, env any) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("%v", r)
		}
	}()
	var machine vm.VM
	machine.MemoryBudget = MemoryBudget
	out, err := machine.Run(p, env)
	if err != nil {
		return false, err
	}
	b, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("gave %v, not true or false", out)
	}
	return b, nil
}

// ConditionMessage renders a compile error of CompileCondition for a store owner.
func ConditionMessage(err error) string { return exprMessage(err) }
