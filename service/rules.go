package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/tiers"
)

// ruleBook is a tenant's compiled rule set with what the shell must load for it.
type ruleBook struct {
	version int64 // 0: derived from the program's flat setting
	set     rules.Set
	cs      *rules.CompiledSet
	counted []string         // ids of rules with a cap or a limit: their usage is kept
	budgets map[string]int64 // budget key -> total budget
	stats   bool             // some condition reads member order counts or spend
	segs    bool             // some condition reads member segments
	tier    bool             // some condition reads the member's tier
	metrics bool             // some condition reads the member's analytics metrics
	subs    bool             // some condition reads the member's subscription
}

// ruleCache holds compiled sets by tenant; an entry is reused while its version is current.
type ruleCache struct {
	mu sync.Mutex
	m  map[string]*ruleBook
}

// newRuleBook compiles a rule set. Each tier with an earn multiplier becomes a multiplier
// rule of its own ("Gold members x1.5" in explanations), so tier benefits are applied by
// the same evaluator and explained like any other rule.
func newRuleBook(version int64, set rules.Set, ladder []tiers.Tier) (*ruleBook, error) {
	full := set
	full.Rules = slices.Clone(set.Rules)
	for _, t := range ladder {
		id := "tier." + t.Key
		if m := t.Benefits.Multiplier(); m != tiers.OneX && !slices.ContainsFunc(set.Rules, func(r rules.Rule) bool { return r.ID == id }) {
			full.Rules = append(full.Rules, rules.Rule{ID: id, Name: t.Name + " members", Kind: rules.KindMultiplier,
				Multiplier: rules.BasisPoints(m), Condition: "member.tier == " + strconv.Quote(t.Key)})
		}
	}
	cs, err := rules.Compile(full)
	if err != nil {
		return nil, err
	}
	rb := &ruleBook{version: version, set: set, cs: cs, budgets: map[string]int64{}}
	for _, r := range full.Rules {
		if r.Cap != nil || r.Limit != nil {
			rb.counted = append(rb.counted, r.ID)
		}
		if r.Budget > 0 {
			rb.budgets[r.BudgetKey()] = r.Budget
		}
		text := r.Condition
		for _, b := range r.Bonuses {
			text += " " + b.Condition
		}
		rb.stats = rb.stats || strings.Contains(text, "order_count") || strings.Contains(text, "total_spent")
		rb.segs = rb.segs || strings.Contains(text, "segments")
		rb.tier = rb.tier || strings.Contains(text, "tier")
		rb.metrics = rb.metrics || strings.Contains(text, "metrics")
		rb.subs = rb.subs || strings.Contains(text, "member.subscription")
	}
	return rb, nil
}

// candidateRules compiles a rule set that is not saved (a dry run's or a backtest's) as
// it would run if saved: with the tenant's tier multipliers.
func (s *Rules) candidateRules(ctx context.Context, tx *storage.Tx, tenantID string, set rules.Set) (*ruleBook, error) {
	ladder, _, err := tx.TierLadder(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return newRuleBook(0, set, ladder.Tiers)
}

// rules returns the tenant's current compiled rule set, compiling it once per version.
func (s *core) rules(ctx context.Context, tx *storage.Tx, tenantID string, prog tenure.Program) (*ruleBook, error) {
	v, err := tx.RuleSetVersion(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	ladder, lv, err := tx.TierLadder(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	key := tenantID + "|tiers " + strconv.FormatInt(lv, 10)
	if v == 0 {
		key += "|" + tenure.MarshalProgram(prog)
	}
	s.ruleCache.mu.Lock()
	rb, ok := s.ruleCache.m[key]
	s.ruleCache.mu.Unlock()
	if ok && rb.version == v {
		return rb, nil
	}
	set := rules.SetFromProgram(prog)
	if v > 0 {
		rec, _, err := tx.RuleSet(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		set = rules.Set{} // decode into a fresh value: json reuses existing slice elements
		if err := json.Unmarshal([]byte(rec.Doc), &set); err != nil {
			return nil, err
		}
	}
	if rb, err = newRuleBook(v, set, ladder.Tiers); err != nil {
		return nil, err
	}
	s.ruleCache.mu.Lock()
	if s.ruleCache.m == nil {
		s.ruleCache.m = map[string]*ruleBook{}
	}
	s.ruleCache.m[key] = rb
	s.ruleCache.mu.Unlock()
	return rb, nil
}

// loadStats reads the order statistics of member and of every member the transaction
// loaded up front that has none yet: one query per batch instead of one per event.
func (u *unit) loadStats(ctx context.Context, member string) error {
	ids := []string{member}
	for _, id := range u.members {
		if _, ok := u.stats[id]; !ok && id != member {
			ids = append(ids, id)
		}
	}
	got, err := u.tx.MemberOrderStats(ctx, u.tenantID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		u.stats[id] = memberStats{orders: got[id].Orders, spent: got[id].Spent}
	}
	return nil
}

// loadUsage makes sure u.usage holds member's counters for the period keys. Counters are
// read for every member the transaction loaded up front at once, and read again only
// when an event falls in other periods (a batch spanning midnight).
func (u *unit) loadUsage(ctx context.Context, rb *ruleBook, member string, keys []string) error {
	if slices.Equal(u.usageKeys, keys) && u.usageFor[member] {
		return nil
	}
	ids := []string{member}
	if !slices.Equal(u.usageKeys, keys) {
		u.usage, u.usageFor, u.usageKeys = map[string]map[string]map[string]storage.Counter{}, map[string]bool{}, slices.Clone(keys)
		for _, id := range u.members {
			if id != member {
				ids = append(ids, id)
			}
		}
	}
	got, err := u.tx.RuleUsage(ctx, ids, rb.counted, keys)
	if err != nil {
		return err
	}
	for _, id := range ids {
		u.usage[id], u.usageFor[id] = got[id], true
	}
	return nil
}

// addUsage adds firings to the cached counters, as AddRuleUsage did in the database.
func (u *unit) addUsage(member string, firings []storage.RuleFiring, keys []string) {
	if len(firings) == 0 || !slices.Equal(u.usageKeys, keys) {
		return
	}
	if u.usage[member] == nil {
		u.usage[member] = map[string]map[string]storage.Counter{}
	}
	for _, f := range firings {
		if u.usage[member][f.RuleID] == nil {
			u.usage[member][f.RuleID] = map[string]storage.Counter{}
		}
		for _, k := range keys {
			c := u.usage[member][f.RuleID][k]
			c.Times++
			c.Points += f.Points
			u.usage[member][f.RuleID][k] = c
		}
	}
}

// loadBudgets reads, once per transaction and without locking, what the rules' budgets
// have spent: no event waits for a budget it does not take from.
func (u *unit) loadBudgets(ctx context.Context, rb *ruleBook) error {
	if u.budgets != nil {
		return nil
	}
	names := make([]string, 0, len(rb.budgets))
	for k := range rb.budgets {
		names = append(names, k)
	}
	slices.Sort(names)
	spent, err := u.tx.BudgetsSpent(ctx, u.tenantID, names)
	if err != nil {
		return err
	}
	u.budgets, u.locked = spent, map[string]bool{}
	return nil
}

func (u *unit) budgetsLeft(rb *ruleBook) map[string]int64 {
	left := make(map[string]int64, len(rb.budgets))
	for k, total := range rb.budgets {
		left[k] = max(total-u.budgets[k], 0)
	}
	return left
}

// lockBudgets locks the budgets res takes from, in sorted order, and checks the snapshot
// the rules were judged on against their locked values. When another transaction spent
// from one of them meanwhile, the event is judged again with the locked values; the locked
// set only grows, so this ends, and every budget an award takes from is exact and held
// until the commit: concurrent nodes never overspend.
func (u *unit) lockBudgets(ctx context.Context, rb *ruleBook, in rules.Input, res rules.Result) (rules.Result, error) {
	for {
		var need []string
		for _, b := range res.Budgets {
			if !u.locked[b.Key] {
				need = append(need, b.Key)
			}
		}
		if len(need) == 0 {
			return res, nil
		}
		slices.Sort(need)
		spent, err := u.tx.LockBudgets(ctx, u.tenantID, need)
		if err != nil {
			return res, err
		}
		stale := false
		for _, k := range need {
			u.locked[k] = true
			if spent[k] != u.budgets[k] {
				stale = true
				u.budgets[k] = spent[k]
			}
		}
		if !stale {
			return res, nil
		}
		in.Budgets = u.budgetsLeft(rb)
		res = rules.Evaluate(rb.cs, in)
	}
}

// countOrder adds a paid order to the member's in-transaction stats.
func (u *unit) countOrder(memberID string, subtotal int64) {
	if st, ok := u.stats[memberID]; ok {
		st.orders++
		st.spent += subtotal
		u.stats[memberID] = st
	}
}

// summary says in one line which rules gave points, for ledger entry reasons.
func summary(res rules.Result) string {
	var parts []string
	for _, x := range res.Explanations {
		if x.Fired && x.Points > 0 {
			name := x.RuleName
			if name == "" {
				name = x.RuleID
			}
			parts = append(parts, name+" +"+itoa64(x.Points))
		}
	}
	return strings.Join(parts, ", ")
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// RuleSetView is a tenant's current rule set as the API shows it.
type RuleSetView struct {
	Version int64 `json:"version" doc:"0 when the rules come from the program's flat setting"`
	rules.Set
	Default bool `json:"default" doc:"True when no rule set was saved and the program's flat rate applies"`
}

// Current returns the tenant's current rule set.
func (s *Rules) Current(ctx context.Context, tenantID string) (out RuleSetView, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) (err error) {
		out, err = s.rulesIn(ctx, tx, tenantID)
		return err
	})
	return out, err
}

// rulesIn reads the current rules in tx: the newest saved version, or the program's flat
// rate as version 0.
func (s *Rules) rulesIn(ctx context.Context, tx *storage.Tx, tenantID string) (RuleSetView, error) {
	t, err := tx.Tenant(ctx, tenantID)
	if err != nil {
		return RuleSetView{}, err
	}
	rb, err := s.rules(ctx, tx, tenantID, t.Program)
	if err != nil {
		return RuleSetView{}, err
	}
	return RuleSetView{Version: rb.version, Set: rb.set, Default: rb.version == 0}, nil
}

// Save validates and compiles a rule set and stores it as a new version. Errors name
// each offending field with the position in a condition.
func (s *Rules) Save(ctx context.Context, tenantID, actor string, set rules.Set) (RuleSetView, error) {
	return s.Update(ctx, tenantID, actor, AnyVersion, func(rules.Set) (rules.Set, error) { return set, nil })
}

// AnyVersion is the base version of an unconditional save.
const AnyVersion int64 = -1

// SaveIf saves set as a new version only if the current version is still base (the
// version the editor started from; 0 when none was saved): a concurrent save makes it a
// KindConflict instead of a lost update. The API's If-Match and the dashboard's editor use it.
func (s *Rules) SaveIf(ctx context.Context, tenantID, actor string, base int64, set rules.Set) (RuleSetView, error) {
	return s.Update(ctx, tenantID, actor, base, func(rules.Set) (rules.Set, error) { return set, nil })
}

// Update reads the current rules, applies edit and saves the result as a new version,
// all in one write transaction, so that edits made at the same time (two staff adding
// campaigns) each see the other's. With base other than AnyVersion, the current version must
// be base. Errors name the offending fields.
func (s *Rules) Update(ctx context.Context, tenantID, actor string, base int64, edit func(rules.Set) (rules.Set, error)) (RuleSetView, error) {
	const op = "service.SaveRules"
	var out RuleSetView
	err := s.db.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.LockRuleSets(ctx, tenantID); err != nil {
			return err
		}
		cur, err := s.rulesIn(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		if base != AnyVersion && cur.Version != base {
			return &tenure.Error{Kind: tenure.KindConflict, Op: op,
				Message: fmt.Sprintf("the rules changed since version %d (now version %d): reload them and apply your change again", base, cur.Version)}
		}
		set, err := edit(cur.Set)
		if err != nil {
			return err
		}
		if _, err := rules.Compile(set); err != nil {
			return err
		}
		doc, _ := json.Marshal(set)
		v, err := tx.SaveRuleSet(ctx, tenantID, string(doc), actor)
		if err != nil {
			if s.db.IsUniqueViolation(err) { // another node saved the same version number first
				return &tenure.Error{Kind: tenure.KindConflict, Op: op, Message: "the rules were saved by someone else at the same moment: reload them and try again"}
			}
			return err
		}
		out = RuleSetView{Version: v, Set: set}
		if birthday, anniversary := scheduledTypes(set); birthday || anniversary {
			if err := scheduleMemberDates(ctx, tx, tenantID); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, tenantID, actor, "rules.saved", "rule_set", itoa64(v), map[string]any{"rules": len(set.Rules)})
	})
	return out, err
}

// Versions lists saved versions, newest first.
func (s *Rules) Versions(ctx context.Context, tenantID string) (out []RuleSetView, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		recs, err := tx.RuleSetHistory(ctx, tenantID, 100)
		for _, r := range recs {
			var set rules.Set
			if err := json.Unmarshal([]byte(r.Doc), &set); err != nil {
				return err
			}
			out = append(out, RuleSetView{Version: r.Version, Set: set})
		}
		return err
	})
	return out, err
}

// EvaluateRequest judges a sample event: with Rules given, a candidate set; otherwise the
// current one. Member describes the member as the rules would see them.
type EvaluateRequest struct {
	Rules  *rules.Set    `json:"rules,omitempty"`
	Event  tenure.Event  `json:"event"`
	Member *SampleMember `json:"member,omitempty"`
}

// SampleMember is what a dry run assumes about the member.
type SampleMember struct {
	Tier       string             `json:"tier,omitempty"`
	Segments   []string           `json:"segments,omitempty"`
	Tags       []string           `json:"tags,omitempty"`
	Attributes map[string]any     `json:"attributes,omitempty"`
	OrderCount int64              `json:"order_count,omitempty"`
	TotalSpent int64              `json:"total_spent,omitempty"`
	Points     int64              `json:"points,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty" doc:"Analytics metrics by key (clv, p_alive, aov...)"`
	EnrolledAt *time.Time         `json:"enrolled_at,omitempty" doc:"Enrolment, for member.enrolled_days; absent: enrolled at the event"`
}

// basis turns a sample member into the profile and state the rule input is built from.
func (sm *SampleMember) basis() (tenure.Member, tenure.MemberBasis) {
	if sm == nil {
		return tenure.Member{}, tenure.MemberBasis{}
	}
	m := tenure.Member{Tags: sm.Tags, Attributes: sm.Attributes}
	if sm.EnrolledAt != nil {
		m.EnrolledAt = *sm.EnrolledAt
	}
	tier, segs := sm.Tier, sm.Segments
	return m, tenure.MemberBasis{Points: sm.Points, Stats: &tenure.OrderStats{Orders: sm.OrderCount, Spent: sm.TotalSpent},
		Tier: &tier, Segments: &segs, Metrics: sm.Metrics, MetricsSet: true}
}

// Evaluate runs the evaluator on a sample event and writes nothing: no usage, no
// budget, no points. Caps, limits and budgets are judged as untouched.
func (s *Rules) Evaluate(ctx context.Context, tenantID string, req EvaluateRequest) (rules.Result, error) {
	if probs := req.Event.Validate("event."); len(probs) > 0 {
		return rules.Result{}, probs.Err("service.EvaluateRules")
	}
	var rb *ruleBook
	err := s.db.Read(ctx, func(tx *storage.Tx) error {
		if req.Rules != nil {
			var err error
			rb, err = s.candidateRules(ctx, tx, tenantID, *req.Rules)
			return err
		}
		t, err := tx.Tenant(ctx, tenantID)
		if err != nil {
			return err
		}
		rb, err = s.rules(ctx, tx, tenantID, t.Program)
		return err
	})
	if err != nil {
		return rules.Result{}, err
	}
	at := req.Event.OccurredAt
	if at.IsZero() {
		at = s.Clock.Now()
	}
	req.Event.OccurredAt = at
	var o *tenure.Order
	if req.Event.Order != nil {
		o = &tenure.Order{ExternalID: req.Event.Order.ID}
		o.Merge(tenure.OrderPaid, req.Event.Order, at)
	}
	m, b := req.Member.basis()
	return rules.Evaluate(rb.cs, ruleInput(m, b, req.Event, o, at)), nil
}
