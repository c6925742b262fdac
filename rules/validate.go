package rules

import (
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Limits on a rule set. They keep evaluation fast and its arithmetic exact (see amount.go).
const (
	MaxRules          = 500
	MaxIDChars        = 64
	MaxNameChars      = 128
	MaxConditionChars = 1000
	MaxListItems      = 500           // exclusions, targets
	MaxTableRows      = 50            // threshold table rows
	MaxBonuses        = 20            // bonuses of one action rule
	MaxLineRules      = 100           // line multipliers of one spend rule
	MaxRulePoints     = 1_000_000_000 // one action award, bonus, table row or points per unit
	MaxUnit           = 1_000_000_000 // minor units per step
	MaxMultiplier     = 1_000_000     // 100x, in basis points
	MaxBudget         = 1_000_000_000_000_000
)

var weekdays = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Validate checks the set without keeping the compiled form. It returns nil or a
// tenure.Error of KindInvalid listing every offending field, exactly as Compile does.
func (s Set) Validate() error {
	_, err := Compile(s)
	return err
}

// normalise fills defaults and checks everything about one rule except its expressions
// and its targets, which need the whole set. It returns the rule with defaults applied.
func normalise(r Rule, f string, p *tenure.Problems) Rule {
	if r.ID == "" || len(r.ID) > MaxIDChars || strings.IndexFunc(r.ID, badIDRune) >= 0 {
		p.Add(f+"id", "must be 1 to %d letters, digits, '-', '_' or '.'", MaxIDChars)
	}
	if len(r.Name) > MaxNameChars {
		p.Add(f+"name", "must be at most %d characters", MaxNameChars)
	}
	if r.Holdout < 0 || r.Holdout > 5000 {
		p.Add(f+"holdout_bp", "must be between 0 and 5000 (at most half the members held out)")
	}
	switch r.Stacking {
	case "":
		r.Stacking = StackAlways
	case StackAlways, StackExclusive:
	default:
		p.Add(f+"stacking", "must be stack or exclusive")
	}
	switch r.Rounding {
	case "":
		r.Rounding = RoundFloor
	case RoundFloor, RoundHalfUp, RoundCeil:
	default:
		p.Add(f+"rounding", "must be floor, round or ceil")
	}
	if r.StartsAt != nil && r.EndsAt != nil && !r.StartsAt.Before(*r.EndsAt) {
		p.Add(f+"ends_at", "must be after starts_at")
	}
	if len(r.Condition) > MaxConditionChars {
		p.Add(f+"condition", "must be at most %d characters", MaxConditionChars)
	}
	if r.Schedule != nil {
		r.Schedule = normaliseSchedule(*r.Schedule, f+"schedule.", p)
	}
	switch r.Kind {
	case KindSpend:
		r = normaliseSpend(r, f, p)
	case KindAction:
		normaliseAction(r, f, p)
	case KindMultiplier:
		normaliseMultiplier(r, f, p)
	default:
		p.Add(f+"kind", "must be spend, action or multiplier")
		return r
	}
	if r.Kind != KindMultiplier {
		checkUsageLimits(r, f, p)
	}
	if r.Kind != KindMultiplier && len(r.Targets) > 0 {
		p.Add(f+"targets", "only multiplier rules have targets")
	}
	if r.Kind != KindMultiplier && r.Multiplier != 0 {
		p.Add(f+"multiplier_bp", "only multiplier rules have a multiplier; spend rules use spend.line_multipliers")
	}
	return r
}

func badIDRune(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
}

func normaliseSchedule(s Schedule, f string, p *tenure.Problems) *Schedule {
	out := Schedule{FromHour: s.FromHour, ToHour: s.ToHour}
	seen := map[string]bool{}
	for i, d := range s.Days {
		d = strings.ToLower(strings.TrimSpace(d))
		if len(d) > 3 {
			d = d[:3] // "Saturday" -> "sat"
		}
		if dayIndex(d) < 0 {
			p.Add(f+"days["+strconv.Itoa(i)+"]", "must be one of mon, tue, wed, thu, fri, sat, sun")
			continue
		}
		if seen[d] {
			p.Add(f+"days["+strconv.Itoa(i)+"]", "%s is listed twice", d)
		}
		seen[d] = true
		out.Days = append(out.Days, d)
	}
	if s.FromHour < 0 || s.FromHour > 23 {
		p.Add(f+"from_hour", "must be between 0 and 23")
	}
	if s.ToHour < 0 || s.ToHour > 24 {
		p.Add(f+"to_hour", "must be between 0 and 24 (0 means the end of the day)")
	} else if s.FromHour >= 0 && s.FromHour >= out.endHour() {
		p.Add(f+"to_hour", "must be after from_hour; split a window that crosses midnight into two rules")
	}
	return &out
}

func dayIndex(d string) int {
	for i, w := range weekdays {
		if w == d {
			return i
		}
	}
	return -1
}

// endHour is ToHour with 0 read as 24.
func (s *Schedule) endHour() int {
	if s.ToHour == 0 {
		return 24
	}
	return s.ToHour
}

func normaliseSpend(r Rule, f string, p *tenure.Problems) Rule {
	switch {
	case r.Event == "":
		r.Event = tenure.OrderPaid
	case r.Event != tenure.OrderPlaced && r.Event != tenure.OrderPaid && r.Event != tenure.OrderFulfilled:
		p.Add(f+"event", "spend rules run on order.placed, order.paid or order.fulfilled")
	}
	if r.Action != "" {
		p.Add(f+"action", "only action rules for custom events name an action")
	}
	if r.Points != 0 || len(r.Bonuses) > 0 {
		p.Add(f+"points", "spend rules take their points from spend.points or spend.table")
	}
	if r.Spend == nil {
		p.Add(f+"spend", "is required for spend rules")
		return r
	}
	s := *r.Spend
	g := f + "spend."
	if s.Unit == 0 {
		s.Unit = 100
	}
	if s.Unit < 1 || s.Unit > MaxUnit {
		p.Add(g+"unit", "must be between 1 and %d minor units", MaxUnit)
	}
	if s.Points < 0 || s.Points > MaxRulePoints {
		p.Add(g+"points", "must be between 0 and %d", MaxRulePoints)
	}
	if s.MinOrder < 0 || s.MinOrder > tenure.MaxMoney {
		p.Add(g+"min_order", "must be between 0 and %d minor units", int64(tenure.MaxMoney))
	}
	if s.Table != nil {
		if s.Points != 0 {
			p.Add(g+"points", "give points per unit or a table, not both")
		}
		if len(s.LineMultipliers) > 0 {
			p.Add(g+"line_multipliers", "apply to points per unit, not to a threshold table")
		}
		checkTable(s.Table, g+"table", p)
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"exclude_products", s.ExcludeProducts}, {"exclude_categories", s.ExcludeCategories}, {"exclude_brands", s.ExcludeBrands}} {
		if len(l.list) > MaxListItems {
			p.Add(g+l.name, "at most %d entries", MaxListItems)
		}
	}
	if len(s.LineMultipliers) > MaxLineRules {
		p.Add(g+"line_multipliers", "at most %d entries", MaxLineRules)
	}
	for i, lm := range s.LineMultipliers {
		h := g + "line_multipliers[" + strconv.Itoa(i) + "]."
		if n := btoi(lm.Category != "") + btoi(lm.Brand != "") + btoi(lm.Product != ""); n != 1 {
			p.Add(h+"category", "name exactly one of category, brand or product")
		}
		checkMultiplier(lm.Multiplier, h+"multiplier_bp", p)
	}
	r.Spend = &s
	return r
}

func checkTable(t []Threshold, f string, p *tenure.Problems) {
	if len(t) == 0 || len(t) > MaxTableRows {
		p.Add(f, "must have 1 to %d rows", MaxTableRows)
		return
	}
	for i, row := range t {
		g := f + "[" + strconv.Itoa(i) + "]."
		if row.Min < 0 || row.Min > tenure.MaxMoney {
			p.Add(g+"min", "must be between 0 and %d minor units", int64(tenure.MaxMoney))
		}
		if row.Points < 0 || row.Points > MaxRulePoints {
			p.Add(g+"points", "must be between 0 and %d", MaxRulePoints)
		}
		if i > 0 && row.Min == t[i-1].Min {
			p.Add(g+"min", "duplicates the threshold of row %d", i-1)
		} else if i > 0 && row.Min < t[i-1].Min {
			p.Add(g+"min", "thresholds must ascend: %s is below the previous %s", money(row.Min), money(t[i-1].Min))
		}
	}
}

func normaliseAction(r Rule, f string, p *tenure.Problems) {
	switch {
	case r.Event == "":
		p.Add(f+"event", "is required for action rules")
	case !knownEvent(r.Event):
		p.Add(f+"event", "unknown event type %q", r.Event)
	case r.Event == tenure.CustomAction && (r.Action == "" || len(r.Action) > 64):
		p.Add(f+"action", "custom action rules name the action (1 to 64 characters)")
	case r.Event != tenure.CustomAction && r.Action != "":
		p.Add(f+"action", "only rules for custom events name an action")
	}
	if r.Spend != nil {
		p.Add(f+"spend", "only spend rules have a spend formula")
	}
	if r.Points < 0 || r.Points > MaxRulePoints {
		p.Add(f+"points", "must be between 0 and %d", MaxRulePoints)
	}
	if len(r.Bonuses) > MaxBonuses {
		p.Add(f+"bonuses", "at most %d bonuses", MaxBonuses)
	}
	for i, b := range r.Bonuses {
		g := f + "bonuses[" + strconv.Itoa(i) + "]."
		if b.Points < 0 || b.Points > MaxRulePoints {
			p.Add(g+"points", "must be between 0 and %d", MaxRulePoints)
		}
		if strings.TrimSpace(b.Condition) == "" || len(b.Condition) > MaxConditionChars {
			p.Add(g+"condition", "is required (at most %d characters)", MaxConditionChars)
		}
		if len(b.Name) > MaxNameChars {
			p.Add(g+"name", "must be at most %d characters", MaxNameChars)
		}
	}
}

// knownEvent reports whether something emits events of type t: the store
// (tenure.EventTypes) or Tenure's own daily schedule (tenure.ScheduledEventTypes). A rule
// listening to anything else could never fire, so it is rejected when saved.
func knownEvent(t tenure.EventType) bool {
	for _, k := range tenure.ScheduledEventTypes {
		if k == t {
			return true
		}
	}
	for _, k := range tenure.EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

func normaliseMultiplier(r Rule, f string, p *tenure.Problems) {
	checkMultiplier(r.Multiplier, f+"multiplier_bp", p)
	if r.Event != "" || r.Action != "" {
		p.Add(f+"event", "multiplier rules follow the events of the rules they multiply")
	}
	if r.Points != 0 || r.Spend != nil || len(r.Bonuses) > 0 {
		p.Add(f+"points", "multiplier rules give no points of their own")
	}
	if r.Cap != nil || r.Limit != nil || r.Budget != 0 || r.Campaign != "" {
		p.Add(f+"cap", "caps, limits and budgets belong on the rules a multiplier multiplies")
	}
	if len(r.Targets) > MaxListItems {
		p.Add(f+"targets", "at most %d targets", MaxListItems)
	}
}

func checkMultiplier(m BasisPoints, f string, p *tenure.Problems) {
	if m <= 0 || m > MaxMultiplier {
		p.Add(f, "must be between 1 and %d basis points (10000 = 1x)", MaxMultiplier)
	}
}

func checkUsageLimits(r Rule, f string, p *tenure.Problems) {
	if r.Cap != nil {
		if r.Cap.Points < 1 || r.Cap.Points > MaxBudget {
			p.Add(f+"cap.points", "must be between 1 and %d", int64(MaxBudget))
		}
		checkPeriod(r.Cap.Per, f+"cap.per", p)
	}
	if r.Limit != nil {
		if r.Limit.Count < 1 || r.Limit.Count > MaxRulePoints {
			p.Add(f+"limit.count", "must be between 1 and %d", MaxRulePoints)
		}
		checkPeriod(r.Limit.Per, f+"limit.per", p)
	}
	if r.Budget < 0 || r.Budget > MaxBudget {
		p.Add(f+"budget", "must be between 0 (no budget) and %d", int64(MaxBudget))
	}
	if r.Campaign != "" && r.Budget == 0 {
		p.Add(f+"budget", "a campaign shares a budget: state it on every rule of the campaign")
	}
	if len(r.Campaign) > MaxIDChars || strings.IndexFunc(r.Campaign, badIDRune) >= 0 {
		p.Add(f+"campaign", "must be at most %d letters, digits, '-', '_' or '.'", MaxIDChars)
	}
}

func checkPeriod(per Period, f string, p *tenure.Problems) {
	switch per {
	case PerDay, PerWeek, PerMonth, PerYear, PerLifetime:
	default:
		p.Add(f, "must be day, week, month, year or lifetime")
	}
}

// loadZone reads the set's time zone; empty means UTC.
func loadZone(name string, p *tenure.Problems) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		p.Add("time_zone", "must be an IANA time zone like Europe/Warsaw")
		return time.UTC
	}
	return loc
}

// checkSet checks what spans rules: unique ids, multiplier targets and campaign budgets.
func checkSet(rules []Rule, p *tenure.Problems) {
	index := make(map[string]int, len(rules))
	budgets := map[string]int64{}
	for i, r := range rules {
		if j, dup := index[r.ID]; dup && r.ID != "" {
			p.Add(field(i)+"id", "duplicates the id of rules[%d]", j)
		} else {
			index[r.ID] = i
		}
		if r.Campaign == "" {
			continue
		}
		if b, ok := budgets[r.Campaign]; ok && b != r.Budget {
			p.Add(field(i)+"budget", "campaign %q already has budget %d", r.Campaign, b)
		}
		budgets[r.Campaign] = r.Budget
	}
	for i, r := range rules {
		seen := map[string]bool{}
		for k, t := range r.Targets {
			f := field(i) + "targets[" + strconv.Itoa(k) + "]"
			j, ok := index[t]
			switch {
			case !ok:
				p.Add(f, "no rule has id %q", t)
			case rules[j].Kind == KindMultiplier:
				p.Add(f, "%q is a multiplier; multipliers multiply spend and action rules", t)
			case seen[t]:
				p.Add(f, "%q is listed twice", t)
			}
			seen[t] = true
		}
	}
}

func field(i int) string { return "rules[" + strconv.Itoa(i) + "]." }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
