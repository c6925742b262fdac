package rules

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// fuzzCase is one random rule set and event: a rule shaped by the numbers, a multiplier,
// and random condition strings, against a random order or action.
type fuzzCase struct {
	Cond, BonusCond, MultCond  string
	Kind, Flags, From, To      uint8
	Points, Unit, Mult, LineBP int64
	Priority                   int8
	Price, Qty, Ship, Disc     int64
	At                         int64
	Tier, Prop                 string
	UsedTimes, UsedPoints      int64
	BudgetLeft                 int64
}

var fuzzSeeds = []fuzzCase{
	{Cond: `member.tier == "gold"`, MultCond: "true", Kind: 0, Points: 1, Unit: 100, Mult: 15000, LineBP: 20000,
		Price: 12345, Qty: 2, Ship: 999, At: 1717799400, Tier: "gold"},
	{Cond: "order.subtotal >= 10000", Kind: 1, Flags: 0xff, From: 18, To: 0, Points: 10, Mult: 20000,
		Price: 9999, Qty: 1, Disc: 50, At: 1717795800, UsedTimes: 1, UsedPoints: 40, BudgetLeft: 3},
	{Cond: "event.properties.photo == true", BonusCond: `event.properties.text != ""`, Kind: 2, Points: 20, Mult: 10000,
		Prop: "x", At: 0, Flags: 0x0f},
	{Cond: "10 % member.order_count == 0", BonusCond: "order.lines[9].net > 0", MultCond: "len(member.tags) > 0", Kind: 2, Points: 5, Mult: 30000},
	{Cond: "all(1..1000, {all(1..1000, {# > 0})})", Kind: 0, Points: 1_000_000_000, Unit: 1, Mult: 1_000_000, LineBP: 1_000_000,
		Price: tenure.MaxMoney, Qty: tenure.MaxQuantity, Ship: tenure.MaxMoney, Disc: -1, At: -62135596800},
	{Cond: "", Kind: 0, Points: 7, Unit: 3, Mult: 1, Price: -5, Qty: -3, Ship: -9, Disc: 1 << 62, At: 253402300799, UsedPoints: 1 << 62},
	{Cond: "member.tier ==", Kind: 0, Points: 1, Mult: 10000},
	{Cond: "true", Kind: 0, Points: -1, Unit: -1, Mult: 0, LineBP: -1},
	{Cond: `time.weekday in ["sat", "sun"] && time.hour < 2`, MultCond: `"vip" in member.tags or member.points > 1e3`, Kind: 1, Points: 70,
		Price: 50000, Qty: 1, At: 1717799400, Mult: 20000, Flags: 4, From: 0, To: 2, Tier: "vip"},
}

func (c fuzzCase) set() Set {
	r := Rule{ID: "r", Name: "fuzzed", Priority: int(c.Priority), Condition: c.Cond, Rounding: []Rounding{RoundFloor, RoundHalfUp, RoundCeil}[c.Flags%3]}
	switch c.Kind % 3 {
	case 0:
		r.Kind, r.Spend = KindSpend, &Spend{Points: c.Points, Unit: c.Unit, IncludeShipping: c.Flags&8 != 0,
			ExcludeCategories: []string{"gift"}}
		if c.LineBP != 0 {
			r.Spend.LineMultipliers = []LineMultiplier{{Category: "coffee", Multiplier: BasisPoints(c.LineBP)}}
		}
	case 1:
		r.Kind, r.Spend = KindSpend, &Spend{Table: []Threshold{{Min: c.Unit, Points: c.Points}, {Min: c.Unit + 10000, Points: c.Points * 2}}}
	default:
		r.Kind, r.Event, r.Points = KindAction, tenure.ReviewPosted, c.Points
		r.Bonuses = []Bonus{{Name: "bonus", Condition: c.BonusCond, Points: c.Points / 2}}
	}
	if c.Flags&16 != 0 {
		r.Stacking = StackExclusive
	}
	if c.Flags&32 != 0 {
		r.Cap = &Cap{Points: max(c.Points, 1), Per: PerMonth}
	}
	if c.Flags&64 != 0 {
		r.Limit = &Limit{Count: 1, Per: PerDay}
	}
	if c.Flags&128 != 0 {
		r.Budget = max(c.Points*3, 1)
	}
	m := Rule{ID: "m", Kind: KindMultiplier, Multiplier: BasisPoints(c.Mult), Condition: c.MultCond}
	if c.Flags&4 != 0 {
		m.Schedule = &Schedule{Days: []string{"sat", "sun"}, FromHour: int(c.From), ToHour: int(c.To)}
	}
	if c.Kind%3 == 2 {
		m.Targets = []string{"r"}
	}
	return Set{TimeZone: "Europe/Warsaw", Rules: []Rule{r, m, seed003,
		{ID: "first", Kind: KindAction, Event: tenure.OrderPaid, Points: 50, Condition: "member.order_count == 0"}}}
}

func (c fuzzCase) input() Input {
	in := Input{
		At:      time.Unix(c.At, 0).UTC(),
		Member:  Member{Tier: c.Tier, Tags: []string{c.Tier}, Points: c.UsedPoints, Attributes: map[string]any{"x": c.Prop}},
		Usage:   map[string]Usage{"r": {Day: Counter{c.UsedTimes, c.UsedPoints}, Month: Counter{c.UsedTimes, c.UsedPoints}}},
		Budgets: map[string]int64{"rule:r": c.BudgetLeft},
	}
	if c.Kind%3 == 2 {
		in.Event = tenure.Event{Type: tenure.ReviewPosted, Properties: map[string]any{"photo": c.Prop != "", "text": c.Prop}}
		return in
	}
	in.Event = tenure.Event{Type: tenure.OrderPaid}
	in.Order = &tenure.Order{Shipping: c.Ship, Discount: c.Disc, Lines: []tenure.OrderLine{
		{ProductID: "a", Category: "coffee", Quantity: c.Qty, UnitPrice: c.Price},
		{ProductID: "b", Category: "gift", Quantity: 1, UnitPrice: c.Price / 3},
		{ProductID: "c", Category: c.Prop, Quantity: c.Qty, UnitPrice: c.Price, Discount: c.Disc},
	}}
	return in
}

// check compiles the case; whatever compiles must evaluate without panicking, keep the
// invariants and give the same result twice.
func (c fuzzCase) check(t *testing.T) {
	cs, err := Compile(c.set())
	if err != nil {
		var e *tenure.Error
		if !errors.As(err, &e) || e.Kind != tenure.KindInvalid || len(e.Fields) == 0 {
			t.Fatalf("Compile error %v is not a field-naming invalid error", err)
		}
		return
	}
	in := c.input()
	r := Evaluate(cs, in)
	checkInvariants(t, cs, in, r)
	if again := Evaluate(cs, c.input()); !reflect.DeepEqual(r, again) {
		t.Fatalf("not deterministic:\n%+v\n%+v", r, again)
	}
}

func FuzzEvaluate(f *testing.F) {
	for _, c := range fuzzSeeds {
		f.Add(c.Cond, c.BonusCond, c.MultCond, c.Kind, c.Flags, c.From, c.To, c.Points, c.Unit, c.Mult, c.LineBP,
			c.Priority, c.Price, c.Qty, c.Ship, c.Disc, c.At, c.Tier, c.Prop, c.UsedTimes, c.UsedPoints, c.BudgetLeft)
	}
	f.Fuzz(func(t *testing.T, cond, bonusCond, multCond string, kind, flags, from, to uint8, points, unit, mult, lineBP int64,
		prio int8, price, qty, ship, disc, at int64, tier, prop string, usedTimes, usedPoints, budgetLeft int64) {
		fuzzCase{cond, bonusCond, multCond, kind, flags, from, to, points, unit, mult, lineBP, prio, price, qty, ship, disc,
			at, tier, prop, usedTimes, usedPoints, budgetLeft}.check(t)
	})
}

// TestFuzzSeeds runs the fuzz corpus seeds as an ordinary test, so that `go test` covers
// them with names even where fuzzing is never run.
func TestFuzzSeeds(t *testing.T) {
	compiled := 0
	for _, c := range fuzzSeeds {
		t.Run(c.Cond, func(t *testing.T) { c.check(t) })
		if _, err := Compile(c.set()); err == nil {
			compiled++
		}
	}
	if compiled < len(fuzzSeeds)-2 {
		t.Fatalf("only %d of %d seeds compile; the seeds should mostly reach Evaluate", compiled, len(fuzzSeeds))
	}
}
