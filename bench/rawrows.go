package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/tiers"
)

// The rows of one order.paid event (first payment of a new order, default program):
//
//   - events: the intake record, unique on (tenant, store id): the idempotency index;
//   - orders, and order_lines per line;
//   - lots: the order's lot, pending until fulfilment; ledger_entries: earn, pending;
//   - balances: the member's points row, pending and lifetime earned raised;
//   - outbox: points.earned;
//   - tier_stats: the member's month, upserted with the order's points, spend and count;
//   - jobs: none per event. The release job waits for fulfilment, because the release
//     time is unknown until then. The hourly segments refresh is inserted once per
//     transaction and is a no-op when it exists.
//
//   - with a saved program (rules-20): rule_usage, the member's counters of each rule with a
//     cap or a limit that fired, per period (day, week, month, year, lifetime), upserted;
//     rule_budgets, what each campaign that fired took, upserted once per transaction.
//
// The service decides the points and the explanation stored with the event. The raw
// path takes both from the results the service gave for the same events in the same
// round, before the raw clock starts, so the two paths store the same result documents. Each measurement
// counts the rows of every table afterwards, to show that both wrote the same rows.

// rawInput is what the raw rows depend on besides the events.
type rawInput struct {
	pg       bool
	tenantID string
	loc      *time.Location   // the program's time zone, for tier months
	pending  map[string]int64 // member id -> pending points before the batch, for messages
	// The saved rules, when the program has some: the time zone of their periods, the
	// rules with a cap or a limit (their counters are kept per member and period) and
	// the budget each campaign rule takes from.
	ruleLoc   *time.Location
	counted   map[string]bool
	budgetKey map[string]string
}

// explanation is the part of a rule explanation the raw rows depend on.
type explanation struct {
	RuleID   string `json:"rule_id"`
	RuleName string `json:"rule_name"`
	Fired    bool   `json:"fired"`
	Points   int64  `json:"points"`
}

type usageKey struct{ member, rule, period string }

// pointsEarned mirrors the service's points.earned message body.
type pointsEarned struct {
	MemberID    string        `json:"member_id"`
	ExternalID  string        `json:"customer_id,omitempty"`
	Wallet      tenure.Wallet `json:"wallet"`
	Amount      int64         `json:"amount"`
	OrderID     string        `json:"order_id,omitempty"`
	EventID     string        `json:"event_id,omitempty"`
	Pending     bool          `json:"pending,omitempty"`
	Balance     int64         `json:"balance_available"`
	BalancePend int64         `json:"balance_pending"`
}

// reason is the ledger entry's reason: the event and order, then the rules that gave
// points, as the explanations in the event's result name them.
func reason(e *tenure.Event, r tenure.EventResult) string {
	var xs []explanation
	_ = json.Unmarshal(r.Explanations, &xs)
	var parts []string
	for _, x := range xs {
		if x.Fired && x.Points > 0 {
			name := x.RuleName
			if name == "" {
				name = x.RuleID
			}
			parts = append(parts, fmt.Sprintf("%s +%d", name, x.Points))
		}
	}
	s := fmt.Sprintf("%s %s", e.Type, e.Order.ID)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

type tierMonth struct{ member, month string }

// prepareRaw turns batches of order.paid events, and the results a dry run of each batch
// gave, into the statements that write their rows.
func prepareRaw(in rawInput, batches [][]tenure.Event, results [][]tenure.EventResult) []rawBatch {
	out := make([]rawBatch, 0, len(batches))
	for b, evs := range batches {
		now := time.Now().UTC().Truncate(time.Microsecond)
		nowTS := now.UnixMicro()
		var events, orders, lines, lots, entries, outbox [][]any
		points := map[string]int64{}
		var touched []string
		months := map[tierMonth]*[3]int64{}
		var monthOrder []tierMonth
		usage := map[usageKey]*[2]int64{}
		var usageOrder []usageKey
		spent := map[string]int64{}
		var budgetOrder []string
		for i := range evs {
			e, r := &evs[i], results[b][i]
			memberID, pts := r.MemberID, r.Points.OrderPoints
			paid := e.OccurredAt.UTC()
			o := &tenure.Order{ID: r.OrderID, ExternalID: e.Order.ID, MemberID: memberID, CreatedAt: now, UpdatedAt: now}
			o.Merge(e.Type, e.Order, paid)
			o.Currency = e.Order.Currency
			var lotID string
			if pts > 0 {
				lotID = tenure.NewID(tenure.PrefixLot, now)
			}
			o.Points = tenure.OrderPoints{Base: pts, Credited: pts, LotID: lotID, Pending: pts > 0}
			pointsJSON, _ := json.Marshal(o.Points)
			orders = append(orders, []any{o.ID, in.tenantID, o.ExternalID, memberID, o.Currency, o.Subtotal(), o.Shipping, o.Discount,
				nil, paid.UnixMicro(), nil, nil, "[]", string(pointsJSON), nowTS, nowTS})
			for n, l := range o.Lines {
				lines = append(lines, []any{o.ID, n + 1, l.LineID, l.ProductID, l.SKU, l.Name, l.Category, l.Brand, l.Quantity, l.UnitPrice, l.Discount})
			}
			k := tierMonth{memberID, tiers.MonthKey(paid, in.loc)}
			if months[k] == nil {
				months[k] = &[3]int64{}
				monthOrder = append(monthOrder, k)
			}
			months[k][0] += pts
			months[k][1] += o.Subtotal()
			months[k][2]++
			if pts > 0 {
				lots = append(lots, []any{lotID, in.tenantID, memberID, "points", "order", o.ID, pts, int64(0), nil, nil, false, nowTS})
				entries = append(entries, []any{tenure.NewID(tenure.PrefixEntry, now), in.tenantID, memberID, "points", string(tenure.EntryEarn),
					string(tenure.Pending), pts, lotID, "event", e.ID, reason(e, r), "", nowTS})
				if _, ok := points[memberID]; !ok {
					touched = append(touched, memberID)
				}
				points[memberID] += pts
				in.pending[memberID] += pts
				msg, _ := json.Marshal(pointsEarned{MemberID: memberID, ExternalID: e.CustomerID, Wallet: tenure.Points, Amount: pts,
					OrderID: e.Order.ID, EventID: e.ID, Pending: true, BalancePend: in.pending[memberID]})
				outbox = append(outbox, []any{tenure.NewID(tenure.PrefixMessage, now), in.tenantID, "points.earned", memberID, string(msg), nowTS})
			}
			if in.counted != nil {
				var xs []explanation
				_ = json.Unmarshal(r.Explanations, &xs)
				p := rules.PeriodsAt(paid, in.ruleLoc)
				for _, x := range xs {
					if !x.Fired {
						continue
					}
					if in.counted[x.RuleID] {
						for _, period := range []string{"day:" + p.Day, "week:" + p.Week, "month:" + p.Month, "year:" + p.Year, "lifetime"} {
							k := usageKey{memberID, x.RuleID, period}
							if usage[k] == nil {
								usage[k] = &[2]int64{}
								usageOrder = append(usageOrder, k)
							}
							usage[k][0]++
							usage[k][1] += x.Points
						}
					}
					if key, ok := in.budgetKey[x.RuleID]; ok {
						if _, seen := spent[key]; !seen {
							budgetOrder = append(budgetOrder, key)
						}
						spent[key] += x.Points
					}
				}
			}
			body, _ := json.Marshal(e)
			h := sha256.Sum256(body)
			result, _ := json.Marshal(r)
			events = append(events, []any{r.ID, in.tenantID, e.ID, string(e.Type), memberID, hex.EncodeToString(h[:16]), "", "",
				storage.EncodeEventDoc(result, body), paid.UnixMicro(), nowTS})
		}
		var tierRows [][]any
		for _, k := range monthOrder {
			t := months[k]
			tierRows = append(tierRows, []any{k.member, k.month, in.tenantID, t[0], t[1], t[2]})
		}
		var usageRows, budgetRows [][]any
		for _, k := range usageOrder {
			usageRows = append(usageRows, []any{in.tenantID, k.member, k.rule, k.period, usage[k][0], usage[k][1]})
		}
		for _, k := range budgetOrder {
			budgetRows = append(budgetRows, []any{in.tenantID, k, spent[k]})
		}
		hour := now.Truncate(time.Hour).Add(time.Hour)
		job := [][]any{{tenure.NewID(tenure.PrefixJob, now), in.tenantID, "segments.refresh", "hourly:" + hour.Format(time.RFC3339), "", "pending", 0, hour.UnixMicro(), nowTS}}

		var s []statement
		s = multiInsert(s, in.pg, `INSERT INTO events (id, tenant_id, external_id, type, member_id, body_hash, payload, result, doc, occurred_at, created_at) VALUES `, 11, events, "")
		s = multiInsert(s, in.pg, `INSERT INTO orders (id, tenant_id, external_id, member_id, currency, subtotal, shipping, discount, placed_at, paid_at, fulfilled_at, cancelled_at, refunds, points, created_at, updated_at) VALUES `, 16, orders, "")
		s = multiInsert(s, in.pg, `INSERT INTO order_lines (order_id, line_no, line_id, product_id, sku, name, category, brand, quantity, unit_price, discount) VALUES `, 11, lines, "")
		s = multiInsert(s, in.pg, `INSERT INTO lots (id, tenant_id, member_id, wallet, source_type, source_id, pending, remaining, available_at, expires_at, debt, created_at) VALUES `, 12, lots, "")
		s = multiInsert(s, in.pg, `INSERT INTO ledger_entries (id, tenant_id, member_id, wallet, kind, bucket, amount, lot_id, cause_type, cause_id, reason, actor, created_at) VALUES `, 13, entries, "")
		s = balanceUpdate(s, in.pg, in.tenantID, nowTS, touched, points)
		s = multiInsert(s, in.pg, `INSERT INTO outbox (id, tenant_id, type, member_id, payload, created_at) VALUES `, 6, outbox, "")
		s = multiInsert(s, in.pg, `INSERT INTO tier_stats (member_id, month, tenant_id, points, spend, orders) VALUES `, 6, tierRows,
			` ON CONFLICT (member_id, month) DO UPDATE SET points = tier_stats.points + excluded.points, spend = tier_stats.spend + excluded.spend, orders = tier_stats.orders + excluded.orders`)
		s = multiInsert(s, in.pg, `INSERT INTO rule_usage (tenant_id, member_id, rule_id, period, times, points) VALUES `, 6, usageRows,
			` ON CONFLICT (member_id, rule_id, period) DO UPDATE SET times = rule_usage.times + excluded.times, points = rule_usage.points + excluded.points`)
		s = multiInsert(s, in.pg, `INSERT INTO rule_budgets (tenant_id, budget_key, spent) VALUES `, 3, budgetRows,
			` ON CONFLICT (tenant_id, budget_key) DO UPDATE SET spent = rule_budgets.spent + excluded.spent`)
		s = multiInsert(s, in.pg, `INSERT INTO jobs (id, tenant_id, kind, job_key, payload, state, attempts, run_at, created_at) VALUES `, 9, job,
			` ON CONFLICT (tenant_id, kind, job_key) DO NOTHING`)
		out = append(out, rawBatch{events: len(evs), stmts: s})
	}
	return out
}
