package bench

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/app"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/secret"
	"github.com/tenure-loyalty/tenure/service"
)

// member is a seeded member: the store's customer id and Tenure's id.
type member struct {
	external string
	id       string
}

// fixture is a freshly migrated database with one tenant (default program), an admin key
// and enrolled members, opened as an App whose workers are off.
type fixture struct {
	app     *app.App
	tenant  string
	secret  string
	members []member
	rules   *rules.Set // the program's saved rules; nil for the default program
}

// openFixture empties the scratch database and seeds it like a database in service:
// members with their balance rows, one earlier paid order each, and planner statistics.
// Nothing here is timed.
func openFixture(ctx context.Context, s *scratch, program string, members, lines int, log *slog.Logger) (*fixture, error) {
	if err := s.reset(ctx); err != nil {
		return nil, fmt.Errorf("bench: fresh database: %w", err)
	}
	cfg := config.Config{Addr: "127.0.0.1:0", DatabaseURL: s.dsn, LogLevel: "warn", LogFormat: "text", Workers: false,
		PollInterval: time.Second, NodeName: "bench", ShutdownTimeout: 10 * time.Second, TenantName: "Bench store",
		SecretKey: secret.Generate(), SQLiteSync: s.synchronous}
	a, err := app.New(ctx, cfg, nil, log)
	if err != nil {
		return nil, err
	}
	f := &fixture{app: a}
	if err := f.seed(ctx, cfg.TenantName, program, members, lines); err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("bench: seed: %w", err)
	}
	return f, nil
}

func (f *fixture) seed(ctx context.Context, name, program string, members, lines int) error {
	t, secret, err := f.app.Service.Tenants.Create(ctx, name)
	if err != nil {
		return err
	}
	f.tenant, f.secret = t.ID, secret
	if err := f.install(ctx, program); err != nil {
		return err
	}
	if members >= bulkSeedFrom {
		if err := f.seedBulk(ctx, members, lines); err != nil {
			return err
		}
		return f.analyze(ctx)
	}
	if err := f.enrol(ctx, members); err != nil {
		return err
	}
	// Every member has bought once before, so no table the measurement reads is empty
	// when its statistics are taken. The same orders in every fixture of a run, so that
	// each path starts from the same rows (which campaigns already have a budget row).
	for _, b := range newWorkload(f.members, lines, seedOrders).batches(len(f.members), service.MaxBatch) {
		if _, err := f.app.Service.Intake.Ingest(ctx, f.tenant, b, service.IngestOptions{Batch: true}); err != nil {
			return err
		}
	}
	return f.analyze(ctx)
}

// prepareRaw makes the raw path's statements for batches, given the results the service
// gave for them (the measurement of the service path in the same round). Without results
// it asks the service for them in a dry run of each batch, which is exact only when no
// rule depends on earlier batches (the default program).
func (f *fixture) prepareRaw(ctx context.Context, batches [][]tenure.Event, results [][]tenure.EventResult) ([]rawBatch, error) {
	if results == nil {
		results = make([][]tenure.EventResult, len(batches))
		for i, b := range batches {
			rs, err := f.app.Service.Intake.Ingest(ctx, f.tenant, b, service.IngestOptions{Batch: true, DryRun: true})
			if err != nil {
				return nil, fmt.Errorf("dry run: %w", err)
			}
			results[i] = rs
		}
	}
	t, err := f.app.Service.Tenants.Get(ctx, f.tenant)
	if err != nil {
		return nil, err
	}
	in := rawInput{pg: f.app.DB.Engine == "postgres", tenantID: f.tenant, loc: t.Program.Location(), pending: map[string]int64{}}
	if f.rules != nil {
		cs, err := rules.Compile(*f.rules)
		if err != nil {
			return nil, err
		}
		in.ruleLoc, in.counted, in.budgetKey = cs.Location(), map[string]bool{}, map[string]string{}
		for _, r := range f.rules.Rules {
			if r.Cap != nil || r.Limit != nil {
				in.counted[r.ID] = true
			}
			if r.Budget > 0 {
				in.budgetKey[r.ID] = r.BudgetKey()
			}
		}
	}
	rows, err := f.app.DB.Raw().QueryContext(ctx, `SELECT member_id, pending FROM balances WHERE wallet = 'points'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		in.pending[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The results may come from another fixture, whose members have other ids.
	ids := make(map[string]string, len(f.members))
	for _, m := range f.members {
		ids[m.external] = m.id
	}
	own := make([][]tenure.EventResult, len(results))
	for b, rs := range results {
		own[b] = slices.Clone(rs)
		for i := range own[b] {
			own[b][i].MemberID = ids[batches[b][i].CustomerID]
		}
	}
	return prepareRaw(in, batches, own), nil
}

// analyze gives PostgreSQL's planner statistics, as autovacuum gives a database in
// service. A fresh schema would otherwise keep the plans chosen for (nearly) empty
// tables: sequential scans, held by pgx's prepared statements and by foreign-key checks,
// and quadratic as the tables grow during a measurement too short for autovacuum.
func (f *fixture) analyze(ctx context.Context) error {
	if f.app.DB.Engine != "postgres" {
		// SQLite plans these queries by their indexes without statistics, as a fresh file
		// has none until Tenure's hourly PRAGMA optimize (service's TestHotPathPlans checks
		// the plans both ways).
		return nil
	}
	ts, err := f.tables(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := f.app.DB.Raw().ExecContext(ctx, `ANALYZE `+t); err != nil {
			return fmt.Errorf("bench: analyze %s: %w", t, err)
		}
	}
	return nil
}

// enrol creates n members through the intake (customer.created), which also creates their
// balance rows, and records their ids.
func (f *fixture) enrol(ctx context.Context, n int) error {
	for start := 0; start < n; start += service.MaxBatch {
		var evs []tenure.Event
		for i := start; i < min(start+service.MaxBatch, n); i++ {
			email := fmt.Sprintf("customer%06d@example.com", i)
			evs = append(evs, tenure.Event{ID: "signup-" + randomHex(8), Type: tenure.CustomerCreated,
				CustomerID: fmt.Sprintf("cust-%06d", i), Customer: &tenure.MemberPatch{Email: &email}})
		}
		rs, err := f.app.Service.Intake.Ingest(ctx, f.tenant, evs, service.IngestOptions{Batch: true})
		if err != nil {
			return err
		}
		for i, r := range rs {
			f.members = append(f.members, member{external: evs[i].CustomerID, id: r.MemberID})
		}
	}
	return nil
}

func (f *fixture) close() error { return f.app.Close() }

// tables lists the database's tables.
func (f *fixture) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if f.app.DB.Engine == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := f.app.DB.Raw().QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// census counts the rows of every table and sums the balance columns an order changes,
// the rule counters and the campaign budgets spent:
// the difference of two censuses is what a measurement wrote.
func (f *fixture) census(ctx context.Context) (map[string]int64, error) {
	ts, err := f.tables(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	db := f.app.DB.Raw()
	for _, t := range ts {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	var pending, earned, available int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pending), 0), COALESCE(SUM(earned), 0), COALESCE(SUM(available), 0) FROM balances`).
		Scan(&pending, &earned, &available); err != nil {
		return nil, err
	}
	out["balances.pending"], out["balances.earned"], out["balances.available"] = pending, earned, available
	var times, spent int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(times), 0) FROM rule_usage`).Scan(&times); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(spent), 0) FROM rule_budgets`).Scan(&spent); err != nil {
		return nil, err
	}
	out["rule_usage.times"], out["rule_budgets.spent"] = times, spent
	return out, nil
}

func diff(after, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after {
		out[k] = v - before[k]
	}
	return out
}

// workload makes the events a store sends: the first order.paid of a new order of an
// existing member, with random event and order ids (the idempotency index's worst case)
// and members taken round-robin.
type workload struct {
	rng     *rand.Rand
	members []member
	lines   int
	next    int
}

// newWorkload returns a workload whose events depend only on seed, the member list and
// lines: each path of a round replays the same events on its own fresh database.
func newWorkload(members []member, lines int, seed uint64) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, 0x7e4e12e)), members: members, lines: lines}
}

const idChars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// randomID returns prefix and 20 random characters, like the ids stores send.
func (w *workload) randomID(prefix string) string {
	b := make([]byte, len(prefix)+20)
	copy(b, prefix)
	for i := len(prefix); i < len(b); i++ {
		b[i] = idChars[w.rng.IntN(len(idChars))]
	}
	return string(b)
}

// event returns the next order.paid event and the member it belongs to.
func (w *workload) event(now time.Time) (tenure.Event, member) {
	m := w.members[w.next%len(w.members)]
	w.next++
	o := &tenure.OrderData{ID: w.randomID("order-"), Currency: "PLN", Shipping: 1500}
	for i := 0; i < w.lines; i++ {
		n := w.rng.IntN(5000)
		sku := fmt.Sprintf("SKU-%05d", n)
		o.Lines = append(o.Lines, tenure.LineData{ID: fmt.Sprint(i + 1), ProductID: "prod-" + sku, SKU: sku,
			Name: productName(n), Category: "category-" + fmt.Sprint(w.rng.IntN(20)), Brand: "brand-" + fmt.Sprint(w.rng.IntN(50)),
			Quantity: int64(1 + w.rng.IntN(3)), UnitPrice: int64(500 + w.rng.IntN(30000)), Discount: 0})
	}
	return tenure.Event{ID: w.randomID("evt-"), Type: tenure.OrderPaid, CustomerID: m.external, OccurredAt: now.Add(-time.Minute), Order: o}, m
}

// batches returns n events cut into batches of size.
func (w *workload) batches(n, size int) [][]tenure.Event {
	var out [][]tenure.Event
	now := time.Now().UTC().Truncate(time.Second)
	for start := 0; start < n; start += size {
		b := make([]tenure.Event, 0, min(size, n-start))
		for i := start; i < min(start+size, n); i++ {
			e, _ := w.event(now)
			b = append(b, e)
		}
		out = append(out, b)
	}
	return out
}

// seedOrders is the workload seed of the fixtures' earlier orders; measurements draw
// theirs at random.
const seedOrders = 0x5eed0
