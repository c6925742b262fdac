package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/subscription"
)

// RenewalsConfig is one `tenure bench renewals` run.
type RenewalsConfig struct {
	DSN           string // "" for a temporary SQLite file, a new SQLite path, or a postgres:// URL
	Subscriptions int    // due at the same instant
	Nodes         int    // services renewing at once over the database (PostgreSQL: 2 is two nodes)
	Rounds        int
	Progress      io.Writer
}

// RenewalsRound is one round: the renewals, then the raw write of the rows they wrote.
type RenewalsRound struct {
	Seconds    float64 `json:"renew_seconds"`
	PerSec     float64 `json:"renewals_per_second"`
	RawSeconds float64 `json:"raw_seconds"`
	RawPerSec  float64 `json:"raw_renewals_per_second"`
	Fraction   float64 `json:"renew_over_raw"`
}

// RenewalsReport is what `tenure bench renewals` measured.
type RenewalsReport struct {
	Machine       Machine         `json:"machine"`
	Subscriptions int             `json:"subscriptions"`
	Nodes         int             `json:"nodes"`
	Rows          map[string]int  `json:"rows" doc:"rows the renewals added, per table"`
	Rounds        []RenewalsRound `json:"rounds"`
	PerSec        float64         `json:"renewals_per_second"`
	RawPerSec     float64         `json:"raw_renewals_per_second"`
	Fraction      float64         `json:"renew_over_raw"`
}

// RunRenewals measures the renewal scheduler: Subscriptions weekly subscriptions of the
// test provider's succeeding card, all due at one instant, renewed by Nodes job runners
// at once (each renewal: the renewal and charge rows, the subscription's new state and
// timeline entry, the order through the intake with its points, outbox messages, the
// next job). The baseline writes the same new rows, and the same updates of the
// subscriptions and their jobs, raw: multi-row inserts in large transactions into a
// database seeded identically. Every round starts from a fresh database.
func RunRenewals(ctx context.Context, cfg RenewalsConfig) (*RenewalsReport, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	sc, err := newScratch(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer sc.close()
	rep := &RenewalsReport{Machine: describe(sc), Subscriptions: cfg.Subscriptions, Nodes: max(cfg.Nodes, 1)}
	for r := range max(cfg.Rounds, 1) {
		var round RenewalsRound
		if err := sc.reset(ctx); err != nil {
			return nil, err
		}
		st, err := OpenAnalyticsStore(ctx, sc.dsn)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "round %d: seeding %d subscriptions...\n", r+1, cfg.Subscriptions)
		if err := seedRenewals(ctx, st, cfg.Subscriptions); err != nil {
			st.Close()
			return nil, err
		}
		before, err := snapshotRows(ctx, st.db.Raw(), st.Engine)
		if err != nil {
			st.Close()
			return nil, err
		}
		nodes := []*service.Service{st.Service}
		for len(nodes) < rep.Nodes {
			db, err := storage.Open(ctx, st.dsn, tenure.SystemClock{}, nil)
			if err != nil {
				st.Close()
				return nil, err
			}
			defer db.Close()
			nodes = append(nodes, service.New(db, nil))
		}
		fmt.Fprintf(progress, "round %d: renewing on %d node(s)...\n", r+1, len(nodes))
		t := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, len(nodes))
		for i, nd := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, err := nd.RunDueJobs(ctx, fmt.Sprint("bench-", i), 100)
					if err != nil || n == 0 {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				st.Close()
				return nil, err
			}
		}
		round.Seconds = time.Since(t).Seconds()
		var renewed int
		if err := st.db.Raw().QueryRowContext(ctx, `SELECT COUNT(*) FROM subscription_renewals WHERE status = 'paid'`).Scan(&renewed); err != nil || renewed != cfg.Subscriptions {
			st.Close()
			return nil, fmt.Errorf("bench renewals: %d renewals paid of %d (%v)", renewed, cfg.Subscriptions, err)
		}
		round.PerSec = float64(cfg.Subscriptions) / round.Seconds
		after, err := snapshotRows(ctx, st.db.Raw(), st.Engine)
		if err != nil {
			st.Close()
			return nil, err
		}
		added, updatedSubs, err := newRows(before, after)
		st.Close()
		if err != nil {
			return nil, err
		}
		if rep.Rows == nil {
			rep.Rows = map[string]int{}
			for name, tr := range added {
				rep.Rows[name] = len(tr.rows)
			}
		}

		if err := sc.reset(ctx); err != nil {
			return nil, err
		}
		raw, err := OpenAnalyticsStore(ctx, sc.dsn)
		if err != nil {
			return nil, err
		}
		if err := seedRenewals(ctx, raw, cfg.Subscriptions); err != nil {
			raw.Close()
			return nil, err
		}
		fmt.Fprintf(progress, "round %d: raw...\n", r+1)
		t = time.Now()
		err = writeRenewalRows(ctx, raw.db.Raw(), raw.Engine, added, updatedSubs, st.Tenant, raw.Tenant)
		round.RawSeconds = time.Since(t).Seconds()
		raw.Close()
		if err != nil {
			return nil, err
		}
		round.RawPerSec = float64(cfg.Subscriptions) / round.RawSeconds
		round.Fraction = round.PerSec / round.RawPerSec
		fmt.Fprintf(progress, "  %.0f renewals/s, raw %.0f/s\n", round.PerSec, round.RawPerSec)
		rep.Rounds = append(rep.Rounds, round)
	}
	var per, raw, frac []float64
	for _, x := range rep.Rounds {
		per, raw, frac = append(per, x.PerSec), append(raw, x.RawPerSec), append(frac, x.Fraction)
	}
	rep.PerSec, rep.RawPerSec, rep.Fraction = median(per), median(raw), median(frac)
	return rep, nil
}

// seedRenewals stores n members with a weekly subscription each, all due a minute ago,
// with deterministic ids (so the raw path's database matches), and their renewal jobs.
func seedRenewals(ctx context.Context, st *AnalyticsStore, n int) error {
	var currency string
	if err := st.db.Read(ctx, func(tx *storage.Tx) error {
		t, err := tx.Tenant(ctx, st.Tenant)
		currency = t.Program.Currency
		return err
	}); err != nil {
		return err
	}
	plan, err := st.Service.Subscriptions.CreatePlan(ctx, st.Tenant, "bench", subscription.Plan{Key: "box", Name: "Coffee box", Currency: currency,
		Price: 8900, Interval: subscription.Interval{Unit: subscription.Week, Count: 1}, Active: true})
	if err != nil {
		return err
	}
	due := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	start := due.AddDate(0, 0, -7)
	for lo := 0; lo < n; lo += 1000 {
		err := st.db.Write(ctx, func(tx *storage.Tx) error {
			for i := lo; i < min(lo+1000, n); i++ {
				m := tenure.Member{ID: fmt.Sprintf("mem_bench%08d", i), ExternalID: fmt.Sprintf("c%d", i), EnrolledAt: start, CreatedAt: start, UpdatedAt: start}
				if err := tx.InsertMember(ctx, st.Tenant, &m); err != nil {
					return err
				}
				ps, pe := start, due
				s := subscription.Subscription{ID: fmt.Sprintf("sub_bench%08d", i), MemberID: m.ID, CustomerID: m.ExternalID, PlanID: plan.ID, PlanKey: plan.Key,
					State: subscription.Active, Price: plan.Price, Currency: currency, Quantity: 1, Provider: "test", PaymentMethod: service.CardSucceeds,
					Schedule: subscription.Calendar{Anchor: start, Interval: plan.Interval}, Cycle: 1, NextAt: due, PeriodStart: &ps, PeriodEnd: &pe,
					Paid: 1, LastPaid: plan.Price, CreatedAt: start, UpdatedAt: start, Version: 1}
				if err := tx.InsertSubscription(ctx, st.Tenant, s); err != nil {
					return err
				}
				kind, key, payload, at := service.RenewalJob(s)
				if err := tx.Schedule(ctx, st.Tenant, kind, key, payload, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// snapshotRows reads every table's rows, keyed by their text.
func snapshotRows(ctx context.Context, db *sql.DB, engine string) (map[string]*keyedRows, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if engine == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string]*keyedRows{}
	for _, name := range names {
		if name == "schema_migrations" {
			continue
		}
		tr, err := readTable(ctx, db, name)
		if err != nil {
			return nil, err
		}
		out[name] = tr
	}
	return out, nil
}

type keyedRows struct {
	tableRows
	keys map[string]bool
}

func readTable(ctx context.Context, db *sql.DB, name string) (*keyedRows, error) {
	rows, err := db.QueryContext(ctx, `SELECT * FROM `+name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tr := &keyedRows{keys: map[string]bool{}}
	tr.cols, _ = rows.Columns()
	for rows.Next() {
		vals := make([]any, len(tr.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		tr.rows = append(tr.rows, vals)
		tr.keys[fmt.Sprint(vals...)] = true
	}
	return tr, rows.Err()
}

// newRows returns the rows after has that before had not, per table, except the
// subscriptions and jobs the renewals changed in place, returned apart (subscriptions'
// new documents; the seeded jobs are marked done by the raw path).
func newRows(before, after map[string]*keyedRows) (map[string]*tableRows, [][]any, error) {
	out := map[string]*tableRows{}
	var subs [][]any
	for name, a := range after {
		b := before[name]
		tr := &tableRows{cols: a.cols}
		for _, r := range a.rows {
			if b != nil && b.keys[fmt.Sprint(r...)] {
				continue
			}
			if name == "subscriptions" {
				subs = append(subs, r)
				continue
			}
			tr.rows = append(tr.rows, r)
		}
		if len(tr.rows) > 0 {
			out[name] = tr
		}
	}
	// Rows that changed in place (members' statistics, the seeded jobs) come back as "new"
	// rows with a key that already exists: the raw path updates them as a whole.
	return out, subs, nil
}

// writeRenewalRows writes the renewals' rows raw: parents first, multi-row inserts of up
// to 64 rows in transactions of 4,096 rows; rows whose primary key exists (changed in
// place) are deleted and inserted again in the same transaction.
func writeRenewalRows(ctx context.Context, db *sql.DB, engine string, tables map[string]*tableRows, subs [][]any, from, to string) error {
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return rank(names[i]) < rank(names[j]) || (rank(names[i]) == rank(names[j]) && names[i] < names[j])
	})
	if len(subs) > 0 {
		tables["subscriptions"] = &tableRows{cols: nil, rows: subs}
	}
	for _, name := range append([]string{"subscriptions"}, names...) {
		tr := tables[name]
		if tr == nil || len(tr.rows) == 0 {
			continue
		}
		if tr.cols == nil {
			cols, err := columns(ctx, db, name)
			if err != nil {
				return err
			}
			tr.cols = cols
		}
		for _, r := range tr.rows {
			for i, v := range r {
				if s, ok := v.(string); ok && s == from {
					r[i] = to
				}
			}
		}
		for lo := 0; lo < len(tr.rows); lo += 4096 {
			chunk := tr.rows[lo:min(lo+4096, len(tr.rows))]
			if err := replaceChunk(ctx, db, engine, name, tr.cols, chunk); err != nil {
				return fmt.Errorf("raw %s: %w", name, err)
			}
		}
	}
	return nil
}

// rank orders parents before children: orders before their lines.
func rank(table string) int {
	if table == "orders" || table == "members" {
		return 0
	}
	return 1
}

func columns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT * FROM `+table+` WHERE 1 = 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

// replaceChunk deletes the chunk's rows by their first column (the id, or the table's
// leading key) where they exist, then inserts them, in one transaction.
func replaceChunk(ctx context.Context, db *sql.DB, engine, table string, cols []string, rows [][]any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if table == "subscriptions" || table == "jobs" || table == "members" || table == "balances" || table == "member_order_stats" {
		ids := make([]any, 0, len(rows))
		marks := make([]string, 0, len(rows))
		for i, r := range rows {
			ids = append(ids, r[0])
			if engine == "postgres" {
				marks = append(marks, fmt.Sprintf("$%d", i+1))
			} else {
				marks = append(marks, "?")
			}
		}
		for lo := 0; lo < len(ids); lo += 500 {
			hi := min(lo+500, len(ids))
			m := marks[:hi-lo]
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+cols[0]+` IN (`+strings.Join(m, ",")+`)`, ids[lo:hi]...); err != nil {
				return err
			}
		}
	}
	per := max(1, min(64, 30000/len(cols)))
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	stmts := map[int]*sql.Stmt{}
	args := make([]any, 0, per*len(cols))
	for lo := 0; lo < len(rows); lo += per {
		part := rows[lo:min(lo+per, len(rows))]
		st := stmts[len(part)]
		if st == nil {
			if st, err = tx.PrepareContext(ctx, head+values(engine, len(part), len(cols))); err != nil {
				return err
			}
			stmts[len(part)] = st
		}
		args = args[:0]
		for _, r := range part {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Print writes the report as a table.
func (r *RenewalsReport) Print(w io.Writer) {
	r.Machine.header(w, fmt.Sprintf("Subscription renewals: %d due at once, %d node(s), vs the raw write of the same rows", r.Subscriptions, r.Nodes))
	names := make([]string, 0, len(r.Rows))
	for n := range r.Rows {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, r.Rows[n]))
	}
	fmt.Fprintf(w, "rows written: %s\n\n", strings.Join(parts, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "round\trenew s\trenewals/s\traw s\traw renewals/s\trenew / raw")
	for i, x := range r.Rounds {
		fmt.Fprintf(tw, "%d\t%.2f\t%.0f\t%.2f\t%.0f\t%.0f%%\n", i+1, x.Seconds, x.PerSec, x.RawSeconds, x.RawPerSec, 100*x.Fraction)
	}
	fmt.Fprintf(tw, "median\t\t%.0f\t\t%.0f\t%.0f%%\n", r.PerSec, r.RawPerSec, 100*r.Fraction)
	_ = tw.Flush()
	fmt.Fprintf(w, "\n100,000 due renewals at the median rate: %s\n", time.Duration(100_000/r.PerSec*float64(time.Second)).Round(time.Second))
}
