package storage

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/tenure-loyalty/tenure/tiers"
)

// TierLadder returns the tenant's tier configuration and its version: version 0 and
// tiers.DefaultLadder (no tiers) when none was saved.
func (tx *Tx) TierLadder(ctx context.Context, tenantID string) (tiers.Ladder, int64, error) {
	var doc string
	var version int64
	err := tx.queryRow(ctx, `SELECT version, doc FROM tier_configs WHERE tenant_id = $1`, tenantID).Scan(&version, &doc)
	if isNoRows(err) {
		return tiers.DefaultLadder(), 0, nil
	}
	if err != nil {
		return tiers.Ladder{}, 0, err
	}
	var s tiers.Ladder
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return s, 0, err
	}
	return s, version, nil
}

// SaveTierLadder replaces the tenant's tier configuration and returns its new version.
// Concurrent saves are serialised by the row (PostgreSQL) or the single writer (SQLite).
func (tx *Tx) SaveTierLadder(ctx context.Context, tenantID, actor string, s tiers.Ladder) (int64, error) {
	doc, err := json.Marshal(s)
	if err != nil {
		return 0, err
	}
	var version int64
	err = tx.queryRow(ctx, `INSERT INTO tier_configs (tenant_id, version, doc, actor, updated_at) VALUES ($1, 1, $2, $3, $4)
		ON CONFLICT (tenant_id) DO UPDATE SET version = tier_configs.version + 1, doc = excluded.doc, actor = excluded.actor, updated_at = excluded.updated_at
		RETURNING version`, tenantID, string(doc), actor, ts(tx.Now)).Scan(&version)
	return version, err
}

// TierState loads a member's tier state; the zero State when none is stored.
func (tx *Tx) TierState(ctx context.Context, tenantID, memberID string) (tiers.State, error) {
	st, err := scanTierState(tx.queryRow(ctx, `SELECT tier, since, earned, qualified_until, grace_until, manual FROM tier_states
		WHERE tenant_id = $1 AND member_id = $2`, tenantID, memberID))
	if isNoRows(err) {
		return tiers.State{}, nil
	}
	return st, err
}

// scanTierState reads a tier_states row; with ids it first reads the member id into ids[0].
func scanTierState(r interface{ Scan(...any) error }, ids ...*string) (tiers.State, error) {
	var st tiers.State
	var since, qu, grace sql.NullInt64
	var manual string
	dest := []any{&st.Tier, &since, &st.Earned, &qu, &grace, &manual}
	if len(ids) > 0 {
		dest = append([]any{ids[0]}, dest...)
	}
	if err := r.Scan(dest...); err != nil {
		return st, err
	}
	st.Since, st.QualifiedUntil, st.GraceUntil = fromNTS(since), fromNTS(qu), fromNTS(grace)
	if manual != "" {
		st.Manual = new(tiers.Manual)
		if err := json.Unmarshal([]byte(manual), st.Manual); err != nil {
			return st, err
		}
	}
	return st, nil
}

// SaveTierState writes a member's tier state.
func (tx *Tx) SaveTierState(ctx context.Context, tenantID, memberID string, st tiers.State) error {
	manual := ""
	if st.Manual != nil {
		b, err := json.Marshal(st.Manual)
		if err != nil {
			return err
		}
		manual = string(b)
	}
	_, err := tx.exec(ctx, `INSERT INTO tier_states (member_id, tenant_id, tier, since, earned, qualified_until, grace_until, manual, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (member_id) DO UPDATE SET tier = excluded.tier, since = excluded.since, earned = excluded.earned,
			qualified_until = excluded.qualified_until, grace_until = excluded.grace_until, manual = excluded.manual, updated_at = excluded.updated_at
		WHERE tier_states.tenant_id = excluded.tenant_id`,
		memberID, tenantID, st.Tier, nts(st.Since), st.Earned, nts(st.QualifiedUntil), nts(st.GraceUntil), manual, ts(tx.Now))
	return err
}

// AddTierActivity adds (possibly negative) activity to a member's month ("YYYY-MM").
func (tx *Tx) AddTierActivity(ctx context.Context, tenantID, memberID, month string, t tiers.Totals) error {
	_, err := tx.exec(ctx, `INSERT INTO tier_stats (member_id, month, tenant_id, points, spend, orders) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (member_id, month) DO UPDATE SET points = tier_stats.points + excluded.points,
			spend = tier_stats.spend + excluded.spend, orders = tier_stats.orders + excluded.orders
		WHERE tier_stats.tenant_id = excluded.tenant_id`,
		memberID, month, tenantID, t.Points, t.Spend, t.Orders)
	return err
}

// TierMonth keys buffered tier activity.
type TierMonth struct{ MemberID, Month string }

// AddTierActivities adds many members' monthly activity with one upsert (keys are unique).
func (tx *Tx) AddTierActivities(ctx context.Context, tenantID string, acts map[TierMonth]tiers.Totals) error {
	rows := make([][]any, 0, len(acts))
	for k, t := range acts {
		rows = append(rows, []any{k.MemberID, k.Month, tenantID, t.Points, t.Spend, t.Orders})
	}
	return tx.insertManySuffix(ctx, `INSERT INTO tier_stats (member_id, month, tenant_id, points, spend, orders) VALUES `,
		` ON CONFLICT (member_id, month) DO UPDATE SET points = tier_stats.points + excluded.points,
			spend = tier_stats.spend + excluded.spend, orders = tier_stats.orders + excluded.orders`, rows)
}

// TierStats loads a member's months from the key from on and, when before is set, the sum
// of the older ones (lifetime windows need it).
func (tx *Tx) TierStats(ctx context.Context, tenantID, memberID, from string, before bool) (tiers.Stats, error) {
	s := tiers.Stats{Months: map[string]tiers.Totals{}}
	rows, err := tx.query(ctx, `SELECT month, points, spend, orders FROM tier_stats WHERE tenant_id = $1 AND member_id = $2 AND month >= $3`,
		tenantID, memberID, from)
	if err != nil {
		return s, err
	}
	if _, err := collect(rows, func(r interface{ Scan(...any) error }) (struct{}, error) {
		var m string
		var t tiers.Totals
		err := r.Scan(&m, &t.Points, &t.Spend, &t.Orders)
		s.Months[m] = t
		return struct{}{}, err
	}); err != nil {
		return s, err
	}
	if before {
		err = tx.queryRow(ctx, `SELECT COALESCE(SUM(points), 0), COALESCE(SUM(spend), 0), COALESCE(SUM(orders), 0) FROM tier_stats
			WHERE tenant_id = $1 AND member_id = $2 AND month < $3`, tenantID, memberID, from).Scan(&s.Before.Points, &s.Before.Spend, &s.Before.Orders)
	}
	return s, err
}

// TierMembers lists, in id order after the cursor, up to limit of the tenant's members
// that have a tier state or qualifying activity: the members a configuration change may
// move.
func (tx *Tx) TierMembers(ctx context.Context, tenantID, after string, limit int) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT member_id FROM tier_states WHERE tenant_id = $1 AND member_id > $2
		UNION SELECT member_id FROM tier_stats WHERE tenant_id = $1 AND member_id > $2
		ORDER BY member_id LIMIT $3`, tenantID, after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// AllTierStates loads the tier state of every member of the tenant that has one.
func (tx *Tx) AllTierStates(ctx context.Context, tenantID string) (map[string]tiers.State, error) {
	rows, err := tx.query(ctx, `SELECT member_id, tier, since, earned, qualified_until, grace_until, manual FROM tier_states WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[string]tiers.State{}
	_, err = collect(rows, func(r interface{ Scan(...any) error }) (struct{}, error) {
		var id string
		st, err := scanTierState(r, &id)
		out[id] = st
		return struct{}{}, err
	})
	return out, err
}

// AllTierStats loads every member's months from the key from on and, when before is set,
// the sums of the older ones, keyed by member id.
func (tx *Tx) AllTierStats(ctx context.Context, tenantID, from string, before bool) (map[string]tiers.Stats, error) {
	out := map[string]tiers.Stats{}
	get := func(id string) tiers.Stats {
		s, ok := out[id]
		if !ok {
			s = tiers.Stats{Months: map[string]tiers.Totals{}}
		}
		return s
	}
	rows, err := tx.query(ctx, `SELECT member_id, month, points, spend, orders FROM tier_stats WHERE tenant_id = $1 AND month >= $2`, tenantID, from)
	if err != nil {
		return nil, err
	}
	if _, err := collect(rows, func(r interface{ Scan(...any) error }) (struct{}, error) {
		var id, m string
		var t tiers.Totals
		err := r.Scan(&id, &m, &t.Points, &t.Spend, &t.Orders)
		s := get(id)
		s.Months[m] = t
		out[id] = s
		return struct{}{}, err
	}); err != nil || !before {
		return out, err
	}
	rows, err = tx.query(ctx, `SELECT member_id, SUM(points), SUM(spend), SUM(orders) FROM tier_stats WHERE tenant_id = $1 AND month < $2 GROUP BY member_id`, tenantID, from)
	if err != nil {
		return nil, err
	}
	_, err = collect(rows, func(r interface{ Scan(...any) error }) (struct{}, error) {
		var id string
		var t tiers.Totals
		err := r.Scan(&id, &t.Points, &t.Spend, &t.Orders)
		s := get(id)
		s.Before = t
		out[id] = s
		return struct{}{}, err
	})
	return out, err
}

// TierCounts returns how many of the tenant's members hold each tier now (by tier key;
// members without a tier state are not counted).
func (tx *Tx) TierCounts(ctx context.Context, tenantID string) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT tier, COUNT(*) FROM tier_states WHERE tenant_id = $1 GROUP BY tier`, tenantID)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	_, err = collect(rows, func(r interface{ Scan(...any) error }) (struct{}, error) {
		var tier string
		var n int64
		err := r.Scan(&tier, &n)
		out[tier] += n
		return struct{}{}, err
	})
	return out, err
}
