package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
)

// award runs one spend or action rule that passed the exclusivity check: gates, points,
// multipliers, cap and budget, in that order. It fills x and, when the rule fires, the
// result's totals and counters. The reason is written into e.buf and copied once.
func (e *evaluation) award(c *compiled, x *Explanation) {
	if why := e.gates(c); why != "" {
		x.Reason = why
		return
	}
	m, first := OneX, len(e.ids)
	for _, mi := range c.multipliers {
		if e.active[mi] {
			m = combine(m, e.cs.rules[mi].Multiplier)
			e.ids = append(e.ids, e.cs.rules[mi].ID)
		}
	}
	if len(e.ids) > first {
		x.MultipliedBy = e.ids[first:len(e.ids):len(e.ids)]
	}
	x.Multiplier = m
	e.buf = e.buf[:0]
	var final int64
	if c.Kind == KindSpend {
		x.BasePoints, final = e.spend(c, m)
	} else {
		x.BasePoints, final = e.action(c, m)
	}
	if final <= 0 {
		x.Reason = string(e.buf)
		return
	}
	if m != OneX {
		sep := "; "
		for _, mi := range c.multipliers {
			if e.active[mi] {
				e.buf = append(append(e.buf, sep...), e.cs.rules[mi].tag...)
				sep = ", "
			}
		}
		e.buf = appendPts(append(e.buf, " = "...), final)
	}
	if c.Cap != nil {
		used := e.in.Usage[c.ID].In(c.Cap.Per).Points
		left := c.Cap.Points - used
		if left <= 0 {
			x.Reason = c.text.capReached
			return
		}
		if final > left {
			final = left
			e.buf = appendPts(append(e.buf, "; cut to "...), left)
			e.buf = append(e.buf, " by the cap of "+c.text.capName+" ("...)
			e.buf = append(appendPts(e.buf, used), " earned already)"...)
		}
	}
	if c.Budget > 0 {
		got := e.budgets.take(c, final)
		if got <= 0 {
			x.Reason = "budget exhausted"
			return
		}
		if got < final {
			e.buf = append(appendPts(append(e.buf, "; cut to "...), got), ", all that was left of the budget"...)
			final = got
		}
		e.useBudget(c.budgetKey, got)
	}
	x.Fired, x.Points, x.Reason = true, final, string(e.buf)
	e.res.Points += final
	e.res.Usage = append(e.res.Usage, Increment{RuleID: c.ID, Points: final})
}

func (e *evaluation) useBudget(key string, n int64) {
	for i := range e.res.Budgets {
		if e.res.Budgets[i].Key == key {
			e.res.Budgets[i].Points += n
			return
		}
	}
	e.res.Budgets = append(e.res.Budgets, BudgetUse{Key: key, Points: n})
}

// spend counts a spend rule's points before (base) and after the multiplier m, and writes
// how — or, when the result is zero, why not — into e.buf.
func (e *evaluation) spend(c *compiled, m BasisPoints) (base, final int64) {
	o := e.order()
	if !o.present {
		e.buf = append(e.buf, "the event carries no order"...)
		return 0, 0
	}
	s := c.Spend
	whole := o.subtotal
	if s.IncludeShipping {
		whole += o.shipping
	}
	if whole < s.MinOrder {
		e.buf = appendMoney(append(e.buf, "order "...), whole)
		e.buf = appendMoney(append(e.buf, " below the minimum "...), s.MinOrder)
		return 0, 0
	}
	var weighted uint64 // sum of eligible amount x line multiplier; below 2^61 (see amount.go)
	var eligible int64
	boosted := 0
	for i := range o.lines {
		l := &o.lines[i]
		if l.eligible == 0 || c.excludes(l) {
			continue
		}
		lm := c.lineMultiplier(l)
		if lm != OneX {
			boosted++
		}
		eligible += l.eligible
		weighted += uint64(l.eligible) * uint64(lm)
	}
	if s.IncludeShipping {
		eligible += o.shipping
		weighted += uint64(o.shipping) * uint64(OneX)
	}
	what := "order "
	if eligible != whole {
		what = "eligible amount "
	}
	if s.Table != nil {
		row := -1
		for k, t := range s.Table {
			if eligible >= t.Min {
				row = k
			}
		}
		e.buf = appendMoney(append(e.buf, what...), eligible)
		if row < 0 {
			e.buf = appendMoney(append(e.buf, " below the first threshold "...), s.Table[0].Min)
			return 0, 0
		}
		base = s.Table[row].Points
		final = scale(base, m, c.Rounding)
		e.buf = appendMoney(append(e.buf, " reached the threshold "...), s.Table[row].Min)
		e.buf = appendPts(append(e.buf, ": "...), base)
		if final == 0 {
			e.buf = append(e.buf, ", which multiplied gives 0 pts"...)
		}
		return base, final
	}
	if eligible == 0 {
		e.buf = append(e.buf, "nothing in the order earns points (excluded lines, or an empty order)"...)
		return 0, 0
	}
	unit := uint64(s.Unit) * uint64(OneX)
	num := mul64(weighted, uint64(s.Points))
	base = num.div(unit, c.Rounding)
	final = num.mul(uint64(m)).div(unit*uint64(OneX), c.Rounding)
	e.buf = appendPts(e.buf, s.Points)
	e.buf = appendMoney(append(e.buf, " per "...), s.Unit)
	e.buf = appendMoney(append(append(e.buf, " on "...), what...), eligible)
	switch {
	case boosted == 1:
		e.buf = append(e.buf, " (1 line boosted)"...)
	case boosted > 1:
		e.buf = append(strconv.AppendInt(append(e.buf, " ("...), int64(boosted), 10), " lines boosted)"...)
	}
	if final == 0 {
		e.buf = append(e.buf, " earns 0 pts"...)
		return base, 0
	}
	e.buf = appendPts(append(e.buf, " = "...), base)
	return base, final
}

// excludes reports whether a spend rule leaves a line out.
func (c *compiled) excludes(l *line) bool {
	return contains(c.excluded[0], l.product) || contains(c.excluded[0], l.sku) ||
		contains(c.excluded[1], l.category) || contains(c.excluded[2], l.brand)
}

// lineMultiplier is the first matching line multiplier of a spend rule, or OneX.
func (c *compiled) lineMultiplier(l *line) BasisPoints {
	for _, lm := range c.lineMults {
		var hit bool
		switch lm.what {
		case 0:
			hit = lm.key == l.product || lm.key == l.sku
		case 1:
			hit = lm.key == l.category
		default:
			hit = lm.key == l.brand
		}
		if hit && lm.key != "" {
			return lm.times
		}
	}
	return OneX
}

func contains(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// action counts an action rule's fixed points and bonuses, before and after m, and writes
// how into e.buf.
func (e *evaluation) action(c *compiled, m BasisPoints) (base, final int64) {
	base = c.Points
	e.buf = append(appendPts(e.buf, c.Points), " for "...)
	e.buf = append(e.buf, c.Event...)
	if c.Action != "" {
		e.buf = strconv.AppendQuote(append(e.buf, ' '), c.Action)
	}
	for k, b := range c.Bonuses {
		name := b.Name
		if name == "" {
			name = "bonus " + strconv.Itoa(k+1)
		}
		ok, err := e.run(c.bonuses[k])
		if err != nil {
			e.buf = append(e.buf, "; "+name+" not given, its condition could not be evaluated: "+exprMessage(err)...)
			continue
		}
		if ok {
			base += b.Points
			e.buf = appendPts(append(e.buf, " + "+name+" "...), b.Points)
		}
	}
	if base != c.Points {
		e.buf = appendPts(append(e.buf, " = "...), base)
	}
	final = scale(base, m, c.Rounding)
	if final == 0 {
		e.buf = append(e.buf, ": earns 0 pts"...)
	}
	return base, final
}

// order is the judged order, read once and only when a rule needs it.
func (e *evaluation) order() *order {
	if e.ord == nil {
		o := newOrder(e.in)
		e.ord = &o
	}
	return e.ord
}

// run evaluates a condition. It recovers from anything the expression does at run time
// and reports it as an error; a result that is not a bool is an error too.
func (e *evaluation) run(p *vm.Program) (ok bool, err error) {
	if p == nil {
		return true, nil
	}
	if e.env == nil {
		e.env = newEnv(e.in, e.order(), e.at, e.cs.loc)
	}
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("%v", r)
		}
	}()
	e.machine.MemoryBudget = MemoryBudget
	out, err := e.machine.Run(p, e.env)
	if err != nil {
		return false, err
	}
	b, isBool := out.(bool)
	if !isBool {
		return false, fmt.Errorf("gave %v, not true or false", out)
	}
	return b, nil
}

// stamp shows an instant in the set's time zone: "Sat 1 Jun 2024 00:00 Europe/Warsaw".
func (e *evaluation) stamp(t time.Time) string {
	return t.In(e.cs.loc).Format("Mon 2 Jan 2006 15:04") + " " + e.cs.loc.String()
}

// now shows the evaluation instant the way a campaign reads it: "Fri 23:30 Europe/Warsaw".
func (e *evaluation) now() string {
	return e.local.Format("Mon 15:04") + " " + e.cs.loc.String()
}

func daysText(mask uint8) string {
	var names []string
	for i := 1; i <= 7; i++ { // Monday first
		if d := i % 7; mask&(1<<d) != 0 {
			names = append(names, strings.ToUpper(weekdays[d][:1])+weekdays[d][1:])
		}
	}
	return strings.Join(names, ", ")
}

func hoursText(s *Schedule) string {
	return fmt.Sprintf("%02d:00-%02d:00", s.FromHour, s.endHour())
}

func quote(s string) string { return strconv.Quote(s) }
