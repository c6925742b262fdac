package storage

import (
	"context"
	"database/sql"
	"strings"
)

// RuleSetRecord is one stored version of a tenant's rule set (the document is JSON).
type RuleSetRecord struct {
	Version   int64
	Doc       string
	Actor     string
	CreatedAt int64
}

// RuleSet returns the newest rule set version; found is false when the tenant has none.
func (tx *Tx) RuleSet(ctx context.Context, tenantID string) (r RuleSetRecord, found bool, err error) {
	err = tx.queryRow(ctx, `SELECT version, doc, actor, created_at FROM rule_sets WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1`, tenantID).
		Scan(&r.Version, &r.Doc, &r.Actor, &r.CreatedAt)
	if isNoRows(err) {
		return r, false, nil
	}
	return r, err == nil, err
}

// RuleSetVersion returns the version number of the newest rule set (0 if none), cheaply.
func (tx *Tx) RuleSetVersion(ctx context.Context, tenantID string) (int64, error) {
	var v *int64
	err := tx.queryRow(ctx, `SELECT MAX(version) FROM rule_sets WHERE tenant_id = $1`, tenantID).Scan(&v)
	if err != nil || v == nil {
		return 0, err
	}
	return *v, nil
}

// SaveRuleSet stores a new version and returns its number. Versions are never changed.
func (tx *Tx) SaveRuleSet(ctx context.Context, tenantID, doc, actor string) (int64, error) {
	v, err := tx.RuleSetVersion(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	v++
	_, err = tx.exec(ctx, `INSERT INTO rule_sets (tenant_id, version, doc, actor, created_at) VALUES ($1, $2, $3, $4, $5)`,
		tenantID, v, doc, actor, ts(tx.Now))
	return v, err
}

// RuleSetHistory lists stored versions, newest first (documents included).
func (tx *Tx) RuleSetHistory(ctx context.Context, tenantID string, limit int) ([]RuleSetRecord, error) {
	rows, err := tx.query(ctx, `SELECT version, doc, actor, created_at FROM rule_sets WHERE tenant_id = $1 ORDER BY version DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (RuleSetRecord, error) {
		var r RuleSetRecord
		return r, s.Scan(&r.Version, &r.Doc, &r.Actor, &r.CreatedAt)
	})
}

// Counter is a usage counter of one rule for one member in one period.
type Counter struct {
	Times, Points int64
}

// RuleUsage returns the members' counters for the given rules and period keys, keyed
// member id -> rule id -> period key. Members without counters are absent.
func (tx *Tx) RuleUsage(ctx context.Context, memberIDs, ruleIDs, periods []string) (map[string]map[string]map[string]Counter, error) {
	out := map[string]map[string]map[string]Counter{}
	if len(memberIDs) == 0 || len(ruleIDs) == 0 || len(periods) == 0 {
		return out, nil
	}
	if err := tx.flushRules(ctx); err != nil {
		return nil, err
	}
	err := chunks(memberIDs, func(members []string) error {
		var args []any
		q := `SELECT member_id, rule_id, period, times, points FROM rule_usage WHERE member_id IN (` + inList(&args, members) +
			`) AND rule_id IN (` + inList(&args, ruleIDs) + `) AND period IN (` + inList(&args, periods) + `)`
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var member, rule, period string
			var c Counter
			if err := rows.Scan(&member, &rule, &period, &c.Times, &c.Points); err != nil {
				return err
			}
			if out[member] == nil {
				out[member] = map[string]map[string]Counter{}
			}
			if out[member][rule] == nil {
				out[member][rule] = map[string]Counter{}
			}
			out[member][rule][period] = c
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RuleFiring is one firing of a rule with a cap or a limit, worth Points.
type RuleFiring struct {
	RuleID string
	Points int64
}

// AddRuleUsage adds each firing to a member's counters of its rule in each period. The
// increments are buffered and written with one statement for the whole transaction,
// before its commit or before the counters are next read in it.
func (tx *Tx) AddRuleUsage(ctx context.Context, tenantID, memberID string, firings []RuleFiring, periods []string) error {
	for _, f := range firings {
		for _, p := range periods {
			k := usageRow{tenantID, memberID, f.RuleID, p}
			if tx.usage == nil {
				tx.usage = map[usageRow]*Counter{}
			}
			c := tx.usage[k]
			if c == nil {
				c = &Counter{}
				tx.usage[k] = c
				tx.usageOrder = append(tx.usageOrder, k)
			}
			c.Times++
			c.Points += f.Points
		}
	}
	return nil
}

// usageRow identifies a buffered rule counter.
type usageRow struct{ tenant, member, rule, period string }

type budgetRow struct{ tenant, key string }

// flushRules writes the buffered rule counters and budget spends.
func (tx *Tx) flushRules(ctx context.Context) error {
	if len(tx.usageOrder) > 0 {
		rows := make([][]any, 0, len(tx.usageOrder))
		for _, k := range tx.usageOrder {
			c := tx.usage[k]
			rows = append(rows, []any{k.tenant, k.member, k.rule, k.period, c.Times, c.Points})
		}
		tx.usage, tx.usageOrder = nil, nil
		if err := tx.insertManySuffix(ctx, `INSERT INTO rule_usage (tenant_id, member_id, rule_id, period, times, points) VALUES `,
			` ON CONFLICT (member_id, rule_id, period) DO UPDATE SET times = rule_usage.times + excluded.times, points = rule_usage.points + excluded.points`, rows); err != nil {
			return err
		}
	}
	if len(tx.spendOrder) > 0 {
		rows := make([][]any, 0, len(tx.spendOrder))
		for _, k := range tx.spendOrder {
			rows = append(rows, []any{k.tenant, k.key, tx.spends[k]})
		}
		tx.spends, tx.spendOrder = nil, nil
		if err := tx.insertManySuffix(ctx, `INSERT INTO rule_budgets (tenant_id, budget_key, spent) VALUES `,
			` ON CONFLICT (tenant_id, budget_key) DO UPDATE SET spent = rule_budgets.spent + excluded.spent`, rows); err != nil {
			return err
		}
	}
	return nil
}

// BudgetsSpent returns what each budget has spent, without locking: a snapshot the
// earning rules are judged on. Missing budgets have spent nothing. A budget an award then
// takes from is locked with LockBudgets, which returns its current value to check the
// snapshot against.
func (tx *Tx) BudgetsSpent(ctx context.Context, tenantID string, keys []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(keys) == 0 {
		return out, nil
	}
	if err := tx.flushRules(ctx); err != nil {
		return nil, err
	}
	args := []any{tenantID}
	rows, err := tx.query(ctx, `SELECT budget_key, spent FROM rule_budgets WHERE tenant_id = $1 AND budget_key IN (`+inList(&args, keys)+`)`, args...)
	if err != nil {
		return nil, err
	}
	return scanSpent(rows)
}

// scanSpent reads (budget_key, spent) rows into a map.
func scanSpent(rows *sql.Rows) (map[string]int64, error) {
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// LockBudgets returns what each budget has spent, locking the budget rows until the
// transaction ends so that concurrent awards from one budget are serialised (PostgreSQL;
// SQLite's single writer already serialises them). Callers lock only the budgets an award
// takes from, with keys sorted: rows are locked in the order given. One statement creates
// the missing rows, locks them all and reads them.
func (tx *Tx) LockBudgets(ctx context.Context, tenantID string, keys []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(keys) == 0 {
		return out, nil
	}
	if err := tx.flushRules(ctx); err != nil {
		return nil, err
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(" + tx.d.placeholder(len(args)+1) + "," + tx.d.placeholder(len(args)+2) + ",0)")
		args = append(args, tenantID, k)
	}
	rows, err := tx.query(ctx, `INSERT INTO rule_budgets (tenant_id, budget_key, spent) VALUES `+b.String()+`
		ON CONFLICT (tenant_id, budget_key) DO UPDATE SET spent = rule_budgets.spent RETURNING budget_key, spent`, args...)
	if err != nil {
		return nil, err
	}
	return scanSpent(rows)
}

// BudgetSpend is points taken from one budget.
type BudgetSpend struct {
	Key    string
	Points int64
}

// SpendBudgets adds what an award took to each budget's spent total. The rows were locked
// (and created) by LockBudgets; the additions are buffered and written with one statement
// for the whole transaction, before its commit or before budgets are next read in it.
func (tx *Tx) SpendBudgets(ctx context.Context, tenantID string, spends []BudgetSpend) error {
	for _, sp := range spends {
		k := budgetRow{tenantID, sp.Key}
		if tx.spends == nil {
			tx.spends = map[budgetRow]int64{}
		}
		if _, ok := tx.spends[k]; !ok {
			tx.spendOrder = append(tx.spendOrder, k)
		}
		tx.spends[k] += sp.Points
	}
	return nil
}

// OrderStats is a member's count of paid, uncancelled orders and their subtotal.
type OrderStats struct {
	Orders, Spent int64
}

// MemberOrderStats returns the order statistics of each member (members without paid
// orders are absent). It reads the members' entries of the covering index
// orders_member only: the cost follows the members' orders, never the tenant's.
func (tx *Tx) MemberOrderStats(ctx context.Context, tenantID string, memberIDs []string) (map[string]OrderStats, error) {
	out := make(map[string]OrderStats, len(memberIDs))
	err := chunks(memberIDs, func(members []string) error {
		args := []any{tenantID}
		rows, err := tx.query(ctx, `SELECT member_id, COUNT(*), COALESCE(SUM(subtotal), 0) FROM orders
			WHERE member_id IN (`+inList(&args, members)+`) AND tenant_id = $1 AND paid_at IS NOT NULL AND cancelled_at IS NULL GROUP BY member_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var st OrderStats
			if err := rows.Scan(&id, &st.Orders, &st.Spent); err != nil {
				return err
			}
			out[id] = st
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LockRuleSets serialises rule set edits of a tenant until the transaction ends (the
// tenant's row is locked on PostgreSQL; SQLite has one writer already), so that a
// read-modify-write of the rules sees every edit committed before it.
func (tx *Tx) LockRuleSets(ctx context.Context, tenantID string) error {
	var id string
	return tx.queryRow(ctx, `SELECT id FROM tenants WHERE id = $1`+tx.d.forUpdate, tenantID).Scan(&id)
}
