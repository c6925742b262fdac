package service_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// growing are the tables that grow with a store's traffic. A per-event statement may read
// them only through an index lookup on a key narrower than the tenant: its cost must not
// grow with the store. The other tables hold a tenant's configuration (rule sets, tiers,
// campaign budgets), read by tenant.
var growing = []string{"events", "orders", "order_lines", "members", "member_tags", "balances", "lots", "ledger_entries",
	"outbox", "deliveries", "delivery_attempts", "jobs", "rule_usage", "rule_exposures", "tier_stats", "tier_states",
	"segment_members", "coupons", "reward_codes", "idempotency_keys", "audit_log"}

// TestHotPathPlans records every statement of the intake under the 20-rule example
// program (new members, orders with keyword lines that take from campaign budgets,
// repeat orders, a refund) and of a balance read, then asks the engine for each one's
// plan: no statement may scan a growing table or read one by tenant alone. Configuration
// tables (a tenant's rule sets, tiers, webhooks, campaign budgets) hold a few rows each,
// and a scan is the planner's right choice there.
// PostgreSQL plans from statistics, so the store is seeded with thousands of orders and
// ANALYZEd first; SQLite is checked without statistics and again after ANALYZE, since
// Tenure refreshes them (PRAGMA optimize).
func TestHotPathPlans(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		doc, err := os.ReadFile("testdata/rules-20.json")
		if err != nil {
			t.Fatal(err)
		}
		var set rules.Set
		if err := json.Unmarshal(doc, &set); err != nil {
			t.Fatal(err)
		}
		saveRules(t, v, set)
		names := []string{"LIGHTS STRING", "BAG RED", "HEART T-LIGHT HOLDER", "CANDLE POT", "MUG ROSE", "PLAIN PLATE"}
		order := func(id, customer string, n int) tenure.Event {
			o := &tenure.OrderData{ID: "order-" + id}
			for i := 0; i < 3; i++ {
				o.Lines = append(o.Lines, tenure.LineData{ID: fmt.Sprint(i + 1), SKU: fmt.Sprint("sku-", (n+i)%50), Name: names[(n+i)%len(names)],
					Quantity: 1, UnitPrice: int64(1000 + 700*((n+i)%13))})
			}
			return tenure.Event{ID: "evt-" + id, Type: tenure.OrderPaid, CustomerID: customer, Order: o}
		}
		// 1,500 members with three orders each.
		const members = 1500
		for round := 0; round < 3; round++ {
			for start := 0; start < members; start += service.MaxBatch {
				var evs []tenure.Event
				for i := start; i < min(start+service.MaxBatch, members); i++ {
					evs = append(evs, order(fmt.Sprint(round, "-", i), fmt.Sprint("cust-", i), i+round))
				}
				if _, err := v.svc.Intake.Ingest(ctx, v.tenant, evs, service.IngestOptions{Batch: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if e.Name == "postgres" {
			if _, err := v.db.Raw().Exec(`ANALYZE`); err != nil {
				t.Fatal(err)
			}
		}
		type stmt struct {
			q    string
			args []any
		}
		var seen []stmt
		v.db.SetTrace(func(q string, args []any) {
			if !slices.ContainsFunc(seen, func(s stmt) bool { return s.q == q }) {
				seen = append(seen, stmt{q, slices.Clone(args)})
			}
		})
		v.ingest(order("single", "cust-7", 7))                                                   // one event per request
		v.ingest(order("b1", "cust-8", 8), order("b2", "cust-9", 9), order("b3", "new-cust", 3)) // a batch, with a new member
		v.ingest(refundEvent("refund-1", "cust-8", "order-b1", 500))
		v.ingest(tenure.Event{ID: "fulfil-1", Type: tenure.OrderFulfilled, CustomerID: "cust-9", Order: &tenure.OrderData{ID: "order-b2"}})
		v.points("cust-10")
		v.db.SetTrace(nil)
		if len(seen) < 10 {
			t.Fatalf("traced %d statements; the intake runs more", len(seen))
		}
		check := func(t *testing.T) {
			for _, s := range seen {
				if bad := planProblems(t, v.db, s.q, s.args); len(bad) > 0 {
					t.Errorf("%s\n  %s", strings.Join(strings.Fields(s.q), " "), strings.Join(bad, "\n  "))
				}
			}
		}
		if e.Name == "postgres" {
			check(t)
			return
		}
		t.Run("without statistics", check)
		if _, err := v.db.Raw().Exec(`ANALYZE`); err != nil {
			t.Fatal(err)
		}
		t.Run("with statistics", check)
	})
}

var (
	sqliteStep = regexp.MustCompile(`^(SCAN|SEARCH) (\w+)(?: AS \w+)?(?: USING .*?\((.*)\))?`)
	pgEquals   = regexp.MustCompile(`\(?(\w+) = `)
)

// planProblems returns what is wrong with the plan of q: a scan of a growing table, or a
// read of one constrained by the tenant alone.
func planProblems(t *testing.T, db *storage.DB, q string, args []any) []string {
	t.Helper()
	narrow := func(table string, keys []string) bool {
		if !slices.Contains(growing, table) {
			return true
		}
		return slices.ContainsFunc(keys, func(k string) bool { return k != "tenant_id" })
	}
	var bad []string
	if db.Engine == "sqlite" {
		rows, err := db.Raw().Query(`EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			m := sqliteStep.FindStringSubmatch(detail)
			if m == nil || m[2] == "CONSTANT" {
				continue
			}
			var keys []string
			for _, term := range strings.Split(m[3], " AND ") {
				if k, _, ok := strings.Cut(term, "="); ok {
					keys = append(keys, k)
				}
			}
			if m[1] == "SCAN" && slices.Contains(growing, m[2]) {
				bad = append(bad, "scans: "+detail)
			} else if m[1] == "SEARCH" && !narrow(m[2], keys) {
				bad = append(bad, "reads the whole tenant: "+detail)
			}
		}
		return bad
	}
	var plan string
	if err := db.Raw().QueryRow(`EXPLAIN (FORMAT JSON) `+q, args...).Scan(&plan); err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	var doc []struct{ Plan pgNode }
	if err := json.Unmarshal([]byte(plan), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n pgNode)
	walk = func(n pgNode) {
		table := n.Relation
		if table == "" && n.Index != "" {
			table = indexTable(t, db, n.Index)
		}
		switch {
		case n.Type == "Seq Scan" && slices.Contains(growing, table):
			bad = append(bad, "scans: Seq Scan on "+table)
		case n.Index != "" && table != "":
			var keys []string
			for _, m := range pgEquals.FindAllStringSubmatch(n.IndexCond, -1) {
				keys = append(keys, m[1])
			}
			if !narrow(table, keys) {
				bad = append(bad, fmt.Sprintf("reads the whole tenant: %s using %s (%s)", n.Type, n.Index, n.IndexCond))
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	return bad
}

type pgNode struct {
	Type      string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	Index     string   `json:"Index Name"`
	IndexCond string   `json:"Index Cond"`
	Plans     []pgNode `json:"Plans"`
}

func indexTable(t *testing.T, db *storage.DB, index string) string {
	var table string
	if err := db.Raw().QueryRow(`SELECT tablename FROM pg_indexes WHERE indexname = $1 AND schemaname = current_schema()`, index).Scan(&table); err != nil {
		t.Fatalf("table of index %s: %v", index, err)
	}
	return table
}

// TestOneEventStatements counts the statements one order.paid sends under the 20-rule
// example program when it takes from two campaign budgets and fires a capped rule:
// on PostgreSQL each is a round trip inside the transaction. Campaign budgets are locked
// and spent with one statement each whatever their number, and the counters of capped
// and limited rules are upserted together.
func TestOneEventStatements(t *testing.T) {
	const most = 25
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		doc, err := os.ReadFile("testdata/rules-20.json")
		if err != nil {
			t.Fatal(err)
		}
		var set rules.Set
		if err := json.Unmarshal(doc, &set); err != nil {
			t.Fatal(err)
		}
		saveRules(t, v, set)
		paid := func(id string) tenure.Event {
			return tenure.Event{ID: id, Type: tenure.OrderPaid, CustomerID: "c1", Order: &tenure.OrderData{ID: "order-" + id,
				Lines: []tenure.LineData{{ID: "1", Name: "LIGHTS STRING", Quantity: 1, UnitPrice: 2000}, {ID: "2", Name: "BAG RED", Quantity: 1, UnitPrice: 2000}}}}
		}
		v.ingest(paid("first"))
		var qs []string
		v.db.SetTrace(func(q string, _ []any) { qs = append(qs, strings.Join(strings.Fields(q), " ")) })
		r := v.ingest(paid("second"))[0]
		v.db.SetTrace(nil)
		var fired []string
		var xs []rules.Explanation
		if err := json.Unmarshal(r.Explanations, &xs); err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			if x.Fired {
				fired = append(fired, x.RuleID)
			}
		}
		for _, id := range []string{"kw0", "kw1", "cap-daily"} {
			if !slices.Contains(fired, id) {
				t.Fatalf("rule %s did not fire (fired: %v); the count below would not be this case's", id, fired)
			}
		}
		if len(qs) > most {
			t.Errorf("one event sent %d statements, at most %d expected:\n%s", len(qs), most, strings.Join(qs, "\n"))
		}
	})
}
