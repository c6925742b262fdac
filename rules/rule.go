// Package rules is Tenure's one earning-rule evaluator: a pure function of (rule set,
// member snapshot, event and order, usage counters, time) that returns the points an event
// earns and an explanation for every rule it considered.
//
// Live intake, dry runs, "why did I get 70 points?" and backtests all call Evaluate with
// the same compiled set, so they cannot disagree. Evaluate does no I/O, reads no clock and
// keeps no state: the time, the member's usage of each rule and the remaining budgets come
// in the Input, and the Result says which counters to increase.
//
// A rule set is data the store saves through the API (Set, Rule). Compile checks it once,
// at save time, and rejects anything that could misbehave later with a tenure.Error of
// KindInvalid naming the field ("rules[2].condition") and, for conditions, the line and
// column. Whatever compiles evaluates without panicking.
//
// How an event is judged:
//   - Only rules about the event are considered: spend and action rules whose Event is the
//     event's type (and Action its custom action), and the multipliers of those.
//   - Rules run by Priority, highest first; ties keep the set's order. Multipliers run
//     first. A rule runs if it is inside its window and schedule, under its limit, and its
//     condition holds; an exclusive rule that fires stops the later rules of its kind.
//   - A rule's points are counted as one exact fraction — amount, line multipliers, points
//     per unit and the product of the multipliers in force — and rounded once by its
//     Rounding. Then its cap and the budget left may cut it down.
package rules

import (
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Kind says what a rule does.
type Kind string

// Rule kinds.
const (
	// KindSpend earns points for money spent on an order: per currency unit or by a
	// threshold table.
	KindSpend Kind = "spend"
	// KindAction earns a fixed number of points for an event (sign-up, review, birthday...).
	KindAction Kind = "action"
	// KindMultiplier earns nothing by itself; it multiplies the points of other rules
	// (a tier's 1.5x, a weekend's 2x).
	KindMultiplier Kind = "multiplier"
)

// Stacking says whether lower-priority rules of the same kind still run after this one.
type Stacking string

// Stacking modes. The zero value means StackAlways.
const (
	// StackAlways lets every later rule run as well.
	StackAlways Stacking = "stack"
	// StackExclusive stops every later rule of the same kind once this one fires.
	StackExclusive Stacking = "exclusive"
)

// Period is the window a cap or a limit counts over, in the rule set's time zone. Weeks are
// ISO weeks starting on Monday.
type Period string

// Periods.
const (
	PerDay      Period = "day"
	PerWeek     Period = "week"
	PerMonth    Period = "month"
	PerYear     Period = "year"
	PerLifetime Period = "lifetime"
)

// Rounding says how fractional points become whole points. It is applied once, after all
// multipliers. The zero value means RoundFloor.
type Rounding string

// Rounding modes. RoundHalfUp rounds halves away from zero (2.5 -> 3).
const (
	RoundFloor  Rounding = "floor"
	RoundHalfUp Rounding = "round"
	RoundCeil   Rounding = "ceil"
)

// Event types emitted by Tenure's own daily scheduler, which action rules may listen to
// besides the store's event types (tenure.EventTypes).
const (
	MemberBirthday    = tenure.MemberBirthday
	MemberAnniversary = tenure.MemberAnniversary
)

// BasisPoints is a multiplier in ten-thousandths: 10000 is 1x, 15000 is 1.5x, 20000 is 2x.
type BasisPoints int64

// OneX is the neutral multiplier.
const OneX BasisPoints = 10_000

// Set is a program's complete rule set, as stored. TimeZone is the IANA zone in which
// schedules, "time.*" in conditions and cap/limit periods are read (e.g. Europe/Warsaw);
// empty means UTC.
type Set struct {
	TimeZone string `json:"time_zone,omitempty" doc:"IANA time zone for schedules, periods and time.* in conditions"`
	Rules    []Rule `json:"rules" maxItems:"500"`
}

// Rule is one earning rule as the store creates it through the API. Which fields apply
// depends on Kind; Compile rejects fields that do not apply rather than ignoring them.
type Rule struct {
	ID       string   `json:"id" doc:"Unique within the set; letters, digits, '-', '_' and '.'"`
	Name     string   `json:"name,omitempty" doc:"Shown to the store owner in explanations"`
	Kind     Kind     `json:"kind" enum:"spend,action,multiplier"`
	Priority int      `json:"priority,omitempty" doc:"Higher runs first; ties keep the set's order"`
	Stacking Stacking `json:"stacking,omitempty" enum:"stack,exclusive" doc:"exclusive: once this rule fires, later rules of the same kind do not run"`

	// Event is the event type the rule listens to. Spend rules default to order.paid and
	// must name an order event; action rules must name one; multipliers take none.
	Event tenure.EventType `json:"event,omitempty"`
	// Action names the custom action for Event "custom".
	Action string `json:"action,omitempty"`

	StartsAt  *time.Time `json:"starts_at,omitempty" doc:"The rule runs from this instant (inclusive)"`
	EndsAt    *time.Time `json:"ends_at,omitempty" doc:"The rule runs until this instant (exclusive)"`
	Schedule  *Schedule  `json:"schedule,omitempty" doc:"Days of week and hours, in the set's time zone"`
	Condition string     `json:"condition,omitempty" doc:"An expr-lang boolean over event, order, member and time"`

	// Points is an action rule's fixed award.
	Points  int64   `json:"points,omitempty"`
	Bonuses []Bonus `json:"bonuses,omitempty" doc:"Action rules: extra points when a further condition holds"`
	// Spend holds a spend rule's earning formula.
	Spend *Spend `json:"spend,omitempty"`
	// Multiplier is a multiplier rule's factor; Targets lists the rule ids it multiplies
	// (empty: every spend rule).
	Multiplier BasisPoints `json:"multiplier_bp,omitempty" doc:"Multiplier rules: 15000 = 1.5x"`
	Targets    []string    `json:"targets,omitempty"`

	Rounding Rounding `json:"rounding,omitempty" enum:"floor,round,ceil"`
	Cap      *Cap     `json:"cap,omitempty" doc:"Most points this rule gives one member per period"`
	Limit    *Limit   `json:"limit,omitempty" doc:"Most times this rule fires for one member per period"`
	// Budget is the most points the rule (or its campaign) may ever give, over all members.
	// Rules sharing a Campaign share one budget and must state the same amount.
	Budget int64 `json:"budget,omitempty"`
	// Holdout keeps a random, stable share of the members the rule would reward out of it,
	// as a control group for lift reports (1000 = 10%). Membership depends only on the rule
	// id and the member id.
	Holdout  BasisPoints `json:"holdout_bp,omitempty" doc:"Control-group share kept out of the rule, in basis points (1000 = 10%)"`
	Campaign string      `json:"campaign,omitempty" doc:"Rules with the same campaign share one budget"`
}

// Schedule restricts a rule to some days of the week and hours of the day, in the set's
// time zone. Days are "mon".."sun" (empty: every day). The rule runs from FromHour
// (inclusive) to ToHour (exclusive); ToHour 0 means midnight at the end of the day, so
// {0, 0} is the whole day. A window cannot wrap past midnight: use two rules.
type Schedule struct {
	Days     []string `json:"days,omitempty" doc:"mon, tue, wed, thu, fri, sat, sun"`
	FromHour int      `json:"from_hour,omitempty" minimum:"0" maximum:"23"`
	ToHour   int      `json:"to_hour,omitempty" minimum:"0" maximum:"24"`
}

// Spend is how a spend rule turns an order into points: Points per Unit minor units of the
// eligible amount, or a threshold Table — never both.
//
// The eligible amount is the order's lines after line and order discounts (the order
// discount shared across lines in proportion to their value), without excluded lines, plus
// shipping when IncludeShipping. MinOrder is compared with the whole order's subtotal
// (plus shipping when included), before exclusions.
type Spend struct {
	Points            int64            `json:"points,omitempty" doc:"Points per unit spent"`
	Unit              int64            `json:"unit,omitempty" doc:"Minor units per step; default 100 (one zloty, one euro)"`
	Table             []Threshold      `json:"table,omitempty" doc:"Ascending thresholds; the highest reached row gives its points"`
	MinOrder          int64            `json:"min_order,omitempty" doc:"Minor units; smaller orders earn nothing from this rule"`
	IncludeShipping   bool             `json:"include_shipping,omitempty"`
	ExcludeProducts   []string         `json:"exclude_products,omitempty" doc:"Product ids or SKUs that earn nothing"`
	ExcludeCategories []string         `json:"exclude_categories,omitempty"`
	ExcludeBrands     []string         `json:"exclude_brands,omitempty"`
	LineMultipliers   []LineMultiplier `json:"line_multipliers,omitempty" doc:"Per-unit rules only; the first matching entry applies to a line"`
}

// Threshold is one row of a threshold table: an eligible amount of at least Min minor
// units earns Points.
type Threshold struct {
	Min    int64 `json:"min"`
	Points int64 `json:"points"`
}

// LineMultiplier multiplies what order lines earn when they match: exactly one of
// Category, Brand or Product (a product id or SKU). Matching ignores case.
type LineMultiplier struct {
	Category   string      `json:"category,omitempty"`
	Brand      string      `json:"brand,omitempty"`
	Product    string      `json:"product,omitempty"`
	Multiplier BasisPoints `json:"multiplier_bp"`
}

// Bonus adds Points to an action rule's award when Condition holds too, e.g. a review
// with a photo: {"name": "photo", "condition": "event.properties.photo == true"}.
type Bonus struct {
	Name      string `json:"name,omitempty"`
	Condition string `json:"condition"`
	Points    int64  `json:"points"`
}

// Cap bounds the points a rule gives one member per period; an award that would pass the
// cap is cut down to it.
type Cap struct {
	Points int64  `json:"points"`
	Per    Period `json:"per" enum:"day,week,month,year,lifetime"`
}

// Limit bounds how many times a rule fires for one member per period: {1, lifetime} is
// "once per member", {1, day} is "once a day".
type Limit struct {
	Count int64  `json:"count"`
	Per   Period `json:"per" enum:"day,week,month,year,lifetime"`
}

// BudgetKey is the key under which a rule's budget is counted: its campaign, or its id.
func (r *Rule) BudgetKey() string {
	if r.Campaign != "" {
		return "campaign:" + r.Campaign
	}
	return "rule:" + r.ID
}

// clone copies everything a rule points to, so that a compiled set shares nothing with
// the caller's rules and stays immutable.
func (r Rule) clone() Rule {
	r.StartsAt, r.EndsAt = clonePtr(r.StartsAt), clonePtr(r.EndsAt)
	r.Cap, r.Limit = clonePtr(r.Cap), clonePtr(r.Limit)
	r.Bonuses, r.Targets = slices.Clone(r.Bonuses), slices.Clone(r.Targets)
	if r.Schedule != nil {
		s := *r.Schedule
		s.Days = slices.Clone(s.Days)
		r.Schedule = &s
	}
	if r.Spend != nil {
		s := *r.Spend
		s.Table, s.LineMultipliers = slices.Clone(s.Table), slices.Clone(s.LineMultipliers)
		s.ExcludeProducts, s.ExcludeCategories = slices.Clone(s.ExcludeProducts), slices.Clone(s.ExcludeCategories)
		s.ExcludeBrands = slices.Clone(s.ExcludeBrands)
		r.Spend = &s
	}
	return r
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// label is how explanations name a rule.
func (r *Rule) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}
