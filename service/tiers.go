package service

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/tiers"
)

// Tier job kinds. Keys make repeats harmless: a review is keyed by member and instant, a
// rescan page by configuration version and cursor.
const (
	jobTierReview = "tier.review" // payload: member id; re-evaluates at a window end, grace end or manual expiry
	jobTierRescan = "tier.rescan" // payload: tierRescan; re-evaluates every member after a configuration change
)

// tierRescanPage is how many members one rescan job re-evaluates (and locks, in id order).
const tierRescanPage = 200

type tierRescan struct {
	Version int64  `json:"version"`
	After   string `json:"after"`
}

// TierConfig is a tenant's tier configuration as the API shows it.
type TierConfig struct {
	Version int64 `json:"version" doc:"Increases with every save; 0 until tiers are configured"`
	tiers.Ladder
}

// TierStatus is a member's tier with its benefits and progress.
type TierStatus struct {
	MemberID   string `json:"member_id"`
	CustomerID string `json:"customer_id"`
	tiers.State
	Name           string               `json:"name,omitempty" doc:"The current tier's name"`
	Rank           int                  `json:"rank" doc:"1 for the lowest tier and up; 0 for none"`
	Benefits       tiers.Benefits       `json:"benefits" doc:"The current tier's benefits; all off for none"`
	EarnMultiplier string               `json:"earn_multiplier" doc:"The earn multiplier as a store owner writes it, e.g. x1.5"`
	Progress       tiers.ProgressReport `json:"progress"`
}

// TierAssignment is a manual tier assignment by staff.
type TierAssignment struct {
	Tier      string     `json:"tier" maxLength:"64" doc:"Tier key to assign; empty removes the current assignment"`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the assignment ends and the earned tier returns; absent for no end"`
	Reason    string     `json:"reason" maxLength:"500" doc:"Why, for the audit log"`
}

// tierChanged is the body of tier.changed notifications.
type tierChanged struct {
	MemberID       string          `json:"member_id"`
	CustomerID     string          `json:"customer_id,omitempty"`
	Tier           string          `json:"tier"`
	Name           string          `json:"name,omitempty"`
	Previous       string          `json:"previous_tier"`
	Direction      string          `json:"direction"`
	Reason         tiers.Reason    `json:"reason"`
	QualifiedUntil *time.Time      `json:"qualified_until,omitempty"`
	ManualUntil    *time.Time      `json:"manual_until,omitempty"`
	Benefits       *tiers.Benefits `json:"benefits,omitempty"`
}

// Config returns the tenant's tier configuration (no tiers, version 0, until one is saved).
func (s *Tiers) Config(ctx context.Context, tenantID string) (c TierConfig, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		c.Ladder, c.Version, err = tx.TierLadder(ctx, tenantID)
		return err
	})
	return c, err
}

// Membership counts the tenant's members by the tier they hold now; members with
// no tier are under "".
func (s *Tiers) Membership(ctx context.Context, tenantID string) (counts map[string]int64, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		total, err := tx.CountMembers(ctx, tenantID)
		if err != nil {
			return err
		}
		if counts, err = tx.TierCounts(ctx, tenantID); err != nil {
			return err
		}
		var held int64
		for k, n := range counts {
			if k != "" {
				held += n
			}
		}
		counts[""] = total - held
		return nil
	})
	return counts, err
}

// Save validates and stores a tier configuration, whatever its version, and schedules
// the re-evaluation of every member it may move (immediately, in pages). An invalid
// configuration writes nothing and names the offending fields.
func (s *Tiers) Save(ctx context.Context, tenantID, actor string, set tiers.Ladder) (c TierConfig, err error) {
	return s.SaveIf(ctx, tenantID, actor, AnyVersion, set)
}

// SaveIf is Save only if the configuration's version is still base (the one the editor
// started from; 0 when none was saved): KindConflict, and nothing written, when someone
// saved it since.
func (s *Tiers) SaveIf(ctx context.Context, tenantID, actor string, base int64, set tiers.Ladder) (c TierConfig, err error) {
	if err := set.Validate(); err != nil {
		return c, err
	}
	c.Ladder = set
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		var ok bool
		if c.Version, ok, err = tx.SaveTierLadderIf(ctx, tenantID, actor, base, set); err != nil {
			return err
		}
		if !ok {
			return staleVersion("service.SaveTiers", "the tier configuration", base)
		}
		p, _ := json.Marshal(tierRescan{Version: c.Version})
		if err := tx.Schedule(ctx, tenantID, jobTierRescan, "v"+strconv.FormatInt(c.Version, 10), string(p), tx.Now); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "tiers.updated", "tenant", tenantID, map[string]any{"version": c.Version, "tiers": set})
	})
	return c, err
}

// MemberStatus returns a member's tier as of now, with benefits and progress.
func (s *Tiers) MemberStatus(ctx context.Context, tenantID, memberRef string) (ts TierStatus, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		e, err := s.tierEnv(ctx, tx, tenantID, nil)
		if err != nil {
			return err
		}
		st, stats, err := e.load(ctx, tx, tenantID, m.ID)
		if err != nil {
			return err
		}
		ts = e.status(m, tiers.Evaluate(e.set, st, stats, tx.Now, e.loc).State, stats, tx.Now)
		return nil
	})
	return ts, err
}

// Assign sets (or, with an empty tier, removes) a member's manual tier, audited with
// its reason. The change is announced like any other (tier.changed).
func (s *Tiers) Assign(ctx context.Context, tenantID, actor, memberRef string, a TierAssignment) (ts TierStatus, err error) {
	man := tiers.Manual{Tier: strings.ToLower(strings.TrimSpace(a.Tier)), Reason: strings.TrimSpace(a.Reason), Actor: actor}
	if a.ExpiresAt != nil {
		t := a.ExpiresAt.UTC().Truncate(time.Microsecond)
		man.Until = &t
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, true)
		if err != nil {
			return err
		}
		e, err := s.tierEnv(ctx, tx, tenantID, nil)
		if err != nil {
			return err
		}
		man.At = tx.Now
		if err := tiers.CheckManual(e.set, man, tx.Now); err != nil {
			return err
		}
		st, stats, err := e.load(ctx, tx, tenantID, m.ID)
		if err != nil {
			return err
		}
		previous, action := st.Manual, "tier.unassigned"
		st.Manual = nil
		if man.Tier != "" {
			st.Manual, action = &man, "tier.assigned"
		}
		d, err := s.reviewTier(ctx, tx, tenantID, e, m.ID, actor, st, stats, true)
		if err != nil {
			return err
		}
		ts = e.status(m, d.State, stats, tx.Now)
		return tx.Audit(ctx, tenantID, actor, action, "member", m.ID, map[string]any{
			"tier": man.Tier, "expires_at": man.Until, "reason": man.Reason, "previous": previous})
	})
	return ts, err
}

// addTierActivity records qualifying activity (net deltas; negative for refunds and
// cancellations) in the month of at, and re-evaluates the member in the caller's
// transaction: an upgrade takes effect at once and is announced (tier.changed, audit).
// The caller holds the member's row lock. Activity is recorded even while no tiers are
// configured, so that it counts once they are.
func (s *core) addTierActivity(ctx context.Context, tx *storage.Tx, tenantID, memberID string, at time.Time, pointsEarned, spend, orders int64) error {
	return s.tierActivity(ctx, tx, tenantID, nil, memberID, at, tiers.Totals{Points: pointsEarned, Spend: spend, Orders: orders})
}

// tierActivity is TierActivity with the program's time zone when the caller has it.
func (s *core) tierActivity(ctx context.Context, tx *storage.Tx, tenantID string, loc *time.Location, memberID string, at time.Time, delta tiers.Totals) error {
	if delta == (tiers.Totals{}) {
		return nil
	}
	if at.IsZero() || at.After(tx.Now) {
		at = tx.Now
	}
	e, err := s.tierEnv(ctx, tx, tenantID, loc)
	if err != nil {
		return err
	}
	if err := tx.AddTierActivity(ctx, tenantID, memberID, tiers.MonthKey(at, e.loc), delta); err != nil {
		return err
	}
	if len(e.set.Tiers) == 0 {
		return nil
	}
	st, stats, err := e.load(ctx, tx, tenantID, memberID)
	if err != nil {
		return err
	}
	_, err = s.reviewTier(ctx, tx, tenantID, e, memberID, "system", st, stats, false)
	return err
}

// tierOf returns a member's tier key as of the transaction's time and its earn multiplier
// (rules.OneX for none), for the earning rules. It reads only.
func (s *core) tierOf(ctx context.Context, tx *storage.Tx, tenantID, memberID string) (string, rules.BasisPoints, error) {
	e, err := s.tierEnv(ctx, tx, tenantID, nil)
	if err != nil || len(e.set.Tiers) == 0 {
		return "", rules.OneX, err
	}
	st, stats, err := e.load(ctx, tx, tenantID, memberID)
	if err != nil {
		return "", rules.OneX, err
	}
	key := tiers.Evaluate(e.set, st, stats, tx.Now, e.loc).State.Tier
	return key, rules.BasisPoints(e.set.Multiplier(key)), nil
}

// tierKeys reads the tier in force at the transaction's time of every member of the
// tenant in a few queries, for work over the whole base (segment refreshes): call it
// before iterating members, then look members up with the returned function. It agrees
// with TierOf member by member.
func (s *core) tierKeys(ctx context.Context, tx *storage.Tx, tenantID string) (func(memberID string) string, error) {
	e, err := s.tierEnv(ctx, tx, tenantID, nil)
	if err != nil || len(e.set.Tiers) == 0 {
		return func(string) string { return "" }, err
	}
	states, err := tx.AllTierStates(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	from := tiers.MonthsFrom(tiers.State{}, tx.Now, e.loc)
	for _, st := range states {
		from = min(from, tiers.MonthsFrom(st, tx.Now, e.loc))
	}
	stats, err := tx.AllTierStats(ctx, tenantID, from, e.set.Window == tiers.Lifetime)
	if err != nil {
		return nil, err
	}
	keys := map[string]string{}
	for id, st := range states {
		keys[id] = tiers.Evaluate(e.set, st, stats[id], tx.Now, e.loc).State.Tier
	}
	for id, a := range stats {
		if _, ok := states[id]; !ok {
			keys[id] = tiers.Evaluate(e.set, tiers.State{}, a, tx.Now, e.loc).State.Tier
		}
	}
	// A member with no activity still holds a tier at threshold 0.
	none := tiers.Evaluate(e.set, tiers.State{}, tiers.Stats{}, tx.Now, e.loc).State.Tier
	return func(memberID string) string {
		if k, ok := keys[memberID]; ok {
			return k
		}
		return none
	}, nil
}

// runTierJob runs tier jobs; handled is false for other kinds.
func (s *core) runTierJob(ctx context.Context, tx *storage.Tx, j storage.Job) (handled bool, err error) {
	switch j.Kind {
	case jobTierReview:
		return true, s.reviewMember(ctx, tx, j.TenantID, j.Payload, nil)
	case jobTierRescan:
		var p tierRescan
		if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
			return true, err
		}
		e, err := s.tierEnv(ctx, tx, j.TenantID, nil)
		if err != nil || e.version != p.Version {
			return true, err // a newer configuration has its own rescan
		}
		ids, err := tx.TierMembers(ctx, j.TenantID, p.After, tierRescanPage)
		if err != nil {
			return true, err
		}
		for _, id := range ids {
			if err := s.reviewMember(ctx, tx, j.TenantID, id, &e); err != nil {
				return true, err
			}
		}
		if len(ids) < tierRescanPage {
			return true, nil
		}
		p.After = ids[len(ids)-1]
		b, _ := json.Marshal(p)
		return true, tx.Schedule(ctx, j.TenantID, jobTierRescan, "v"+strconv.FormatInt(p.Version, 10)+"/"+p.After, string(b), tx.Now)
	}
	return false, nil
}

// reviewMember locks a member and re-evaluates their tier; a member since deleted is
// skipped. e is loaded when nil.
func (s *core) reviewMember(ctx context.Context, tx *storage.Tx, tenantID, memberID string, e *tierEnv) error {
	if _, err := tx.Member(ctx, tenantID, memberID, true); err != nil {
		if tenure.KindOf(err) == tenure.KindNotFound {
			return nil
		}
		return err
	}
	if e == nil {
		env, err := s.tierEnv(ctx, tx, tenantID, nil)
		if err != nil {
			return err
		}
		e = &env
	}
	st, stats, err := e.load(ctx, tx, tenantID, memberID)
	if err != nil {
		return err
	}
	_, err = s.reviewTier(ctx, tx, tenantID, *e, memberID, "system", st, stats, false)
	return err
}

// reviewTier evaluates a member at the transaction's time and writes what was decided: the
// state (when it changed, or always when dirty), the next review job, and for a change of
// tier a tier.changed message and an audit entry.
func (s *core) reviewTier(ctx context.Context, tx *storage.Tx, tenantID string, e tierEnv, memberID, actor string, st tiers.State, stats tiers.Stats, dirty bool) (tiers.Decision, error) {
	d := tiers.Evaluate(e.set, st, stats, tx.Now, e.loc)
	before, _ := json.Marshal(st)
	after, _ := json.Marshal(d.State)
	if !dirty && string(before) == string(after) {
		return d, nil // nothing new to store, and the next review is already scheduled
	}
	if err := tx.SaveTierState(ctx, tenantID, memberID, d.State); err != nil {
		return d, err
	}
	if d.NextReview != nil {
		key := memberID + "@" + strconv.FormatInt(d.NextReview.UnixMicro(), 10)
		if err := tx.Schedule(ctx, tenantID, jobTierReview, key, memberID, *d.NextReview); err != nil {
			return d, err
		}
	}
	if !d.Changed {
		return d, nil
	}
	m, err := tx.Member(ctx, tenantID, memberID, false)
	if err != nil {
		return d, err
	}
	msg := tierChanged{MemberID: m.ID, CustomerID: m.ExternalID, Tier: d.State.Tier, Previous: d.Previous, Direction: "down",
		Reason: d.Reason, QualifiedUntil: d.State.QualifiedUntil}
	if d.Up {
		msg.Direction = "up"
	}
	if t, ok := e.set.Tier(d.State.Tier); ok {
		msg.Name, msg.Benefits = t.Name, &t.Benefits
	}
	if d.State.Manual != nil {
		msg.ManualUntil = d.State.Manual.Until
	}
	if _, err := tx.Emit(ctx, tenantID, "tier.changed", m.ID, msg); err != nil {
		return d, err
	}
	return d, tx.Audit(ctx, tenantID, actor, "tier.changed", "member", m.ID, map[string]any{
		"from": d.Previous, "to": d.State.Tier, "reason": d.Reason})
}

// tierEnv is what evaluating a tenant's members needs: the configuration and the program's
// time zone.
type tierEnv struct {
	set     tiers.Ladder
	version int64
	loc     *time.Location
}

// tierEnv loads the tenant's tier configuration, and its time zone unless loc is given.
func (s *core) tierEnv(ctx context.Context, tx *storage.Tx, tenantID string, loc *time.Location) (tierEnv, error) {
	e := tierEnv{loc: loc}
	var err error
	if e.set, e.version, err = tx.TierLadder(ctx, tenantID); err != nil || loc != nil {
		return e, err
	}
	t, err := tx.Tenant(ctx, tenantID)
	e.loc = t.Program.Location()
	return e, err
}

// load reads a member's tier state and the months of activity Evaluate needs.
func (e tierEnv) load(ctx context.Context, tx *storage.Tx, tenantID, memberID string) (tiers.State, tiers.Stats, error) {
	st, err := tx.TierState(ctx, tenantID, memberID)
	if err != nil {
		return st, tiers.Stats{}, err
	}
	stats, err := tx.TierStats(ctx, tenantID, memberID, tiers.MonthsFrom(st, tx.Now, e.loc), e.set.Window == tiers.Lifetime)
	return st, stats, err
}

// status describes a member in state st (already evaluated at now).
func (e tierEnv) status(m tenure.Member, st tiers.State, stats tiers.Stats, now time.Time) TierStatus {
	ts := TierStatus{MemberID: m.ID, CustomerID: m.ExternalID, State: st, Rank: e.set.Index(st.Tier) + 1,
		EarnMultiplier: rules.BasisPoints(e.set.Multiplier(st.Tier)).String()}
	if t, ok := e.set.Tier(st.Tier); ok {
		ts.Name, ts.Benefits = t.Name, t.Benefits
	}
	ts.Benefits.EarnMultiplierBP = e.set.Multiplier(st.Tier)
	ts.Progress = tiers.Progress(e.set, st, stats, now, e.loc)
	return ts
}

// orderTier is what an order counts toward tiers as it stands: its net points credited,
// its spend net of refunds, and one order while it is paid and neither cancelled nor fully
// refunded.
type orderTier struct{ points, spend, orders int64 }

func orderTierOf(o *tenure.Order) orderTier {
	t := orderTier{points: o.Points.Credited}
	if o.PaidAt == nil || o.CancelledAt != nil {
		return t
	}
	goods, _, full := o.Refunded()
	if full {
		return t
	}
	t.spend, t.orders = max(o.Subtotal()-goods, 0), 1
	return t
}

// tierOrderChange is the intake hook's body: it passes what one event changed in an
// order's standing toward tiers (before is orderTierOf taken before the event) to
// TierActivity, dated at the order's payment so that a refund nets out in the same month.
func (s *core) tierOrderChange(ctx context.Context, u *unit, memberID string, o *tenure.Order, before orderTier) error {
	now := orderTierOf(o)
	at := u.tx.Now
	if o.PaidAt != nil {
		at = *o.PaidAt
	}
	delta := tiers.Totals{Points: now.points - before.points, Spend: now.spend - before.spend, Orders: now.orders - before.orders}
	if delta == (tiers.Totals{}) {
		return nil
	}
	if u.tiers == nil {
		e, err := s.tierEnv(ctx, u.tx, u.tenantID, u.prog.Location())
		if err != nil {
			return err
		}
		u.tiers = &e
	}
	if len(u.tiers.set.Tiers) == 0 {
		// No ladder to review against: keep the activity for when one is configured, written
		// with the unit's other rows in one statement.
		if at.IsZero() || at.After(u.tx.Now) {
			at = u.tx.Now
		}
		k := storage.TierMonth{MemberID: memberID, Month: tiers.MonthKey(at, u.tiers.loc)}
		t := u.tierStats[k]
		u.tierStats[k] = tiers.Totals{Points: t.Points + delta.Points, Spend: t.Spend + delta.Spend, Orders: t.Orders + delta.Orders}
		return nil
	}
	return s.tierActivity(ctx, u.tx, u.tenantID, u.prog.Location(), memberID, at, delta)
}
