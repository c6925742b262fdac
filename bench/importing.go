package bench

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenure-loyalty/tenure/analytics/synth"
	"github.com/tenure-loyalty/tenure/importer"
	"github.com/tenure-loyalty/tenure/service"
)

// ImportTarget is the import speed the design asks for, in orders per second.
const ImportTarget = 20000

// ImportConfig is one `tenure bench import` run.
type ImportConfig struct {
	DSN  string // "" for a temporary SQLite file, a new SQLite path, or a postgres:// URL
	File string // an order-line CSV (plain or gzip); "" for a synthetic store
	// The synthetic store, when File is empty: three lines an order.
	Customers, Orders int
	Seed              uint64
	Rounds            int
	Progress          io.Writer
}

// ImportRound is one round: the import, then the raw baseline of the same rows.
type ImportRound struct {
	ImportSeconds float64 `json:"import_seconds"`
	ImportCPU     float64 `json:"import_cpu_seconds"`
	ImportPerSec  float64 `json:"import_orders_per_second"`
	RawSeconds    float64 `json:"raw_seconds"`
	RawCPU        float64 `json:"raw_cpu_seconds"`
	RawPerSec     float64 `json:"raw_orders_per_second"`
	Fraction      float64 `json:"import_over_raw"`
}

// ImportReport is what `tenure bench import` measured.
type ImportReport struct {
	Machine Machine           `json:"machine"`
	Source  string            `json:"source"`
	Bytes   int64             `json:"file_bytes"`
	Summary *importer.Summary `json:"summary"`
	Rows    map[string]int    `json:"rows"` // what the import wrote, per table: the raw path writes the same
	Rounds  []ImportRound     `json:"rounds"`
	// Space after the import, per table and index (see storage.DB.ObjectBytes), and in all.
	Objects    map[string]int64 `json:"object_bytes"`
	StoreBytes int64            `json:"store_bytes"`

	ImportPerSec float64 `json:"import_orders_per_second"` // medians over rounds
	RawPerSec    float64 `json:"raw_orders_per_second"`
	Fraction     float64 `json:"import_over_raw"`
	Pass         bool    `json:"pass"`
}

// rawTables are the tables an import of history writes, parents first, with the rows per
// transaction of the raw path (about one import chunk's worth).
var rawTables = []struct {
	name string
	tx   int
}{
	{"members", 4096}, {"balances", 8192}, {"orders", 4096}, {"order_lines", 12288},
	{"outbox", 4096}, {"tier_stats", 4096}, {"jobs", 4096},
}

// RunImport measures the order import (service.ImportOrders, as `tenure import orders` and
// POST /v1/imports/orders run it) against the raw baseline: the rows that import wrote,
// read back and inserted into an identical fresh database with multi-row statements
// prepared once per transaction, nothing else. Each round starts both from a fresh
// database with one tenant. The raw rows are held in memory: keep synthetic stores to a
// few hundred thousand orders.
func RunImport(ctx context.Context, cfg ImportConfig) (*ImportReport, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	sc, err := newScratch(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer sc.close()
	rep := &ImportReport{Machine: describe(sc), Source: cfg.File}
	file := cfg.File
	if file == "" {
		dir, err := os.MkdirTemp("", "tenure-import-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		file = filepath.Join(dir, "orders.csv")
		rep.Source = fmt.Sprintf("synthetic: %d customers, %d orders, seed %d, three lines an order", cfg.Customers, cfg.Orders, cfg.Seed)
		fmt.Fprintf(progress, "writing %s...\n", rep.Source)
		if err := writeSynthetic(file, cfg); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(file); err == nil {
		rep.Bytes = fi.Size()
	}
	var rows map[string]*tableRows
	var tenant string // the tenant the rows were read with
	for r := range max(cfg.Rounds, 1) {
		var round ImportRound
		if err := sc.reset(ctx); err != nil {
			return nil, err
		}
		st, err := OpenAnalyticsStore(ctx, sc.dsn)
		if err != nil {
			return nil, err
		}
		var before map[string]*tableRows
		if rows == nil {
			if before, err = readTables(ctx, st.db.Raw(), nil); err != nil {
				st.Close()
				return nil, err
			}
		}
		f, err := os.Open(file)
		if err != nil {
			st.Close()
			return nil, err
		}
		fmt.Fprintf(progress, "round %d: import...\n", r+1)
		t, cpu := time.Now(), processCPU()
		sum, err := st.Service.Intake.ImportOrders(ctx, st.Tenant, f, importer.Config{}, service.ImportOptions{})
		round.ImportSeconds, round.ImportCPU = time.Since(t).Seconds(), (processCPU() - cpu).Seconds()
		f.Close()
		if err != nil {
			st.Close()
			return nil, err
		}
		rep.Summary = sum
		round.ImportPerSec = float64(sum.Orders) / round.ImportSeconds
		if rows == nil {
			tenant = st.Tenant
			if rows, err = readTables(ctx, st.db.Raw(), before); err != nil {
				st.Close()
				return nil, err
			}
			if rep.Objects, err = st.db.ObjectBytes(ctx); err != nil {
				st.Close()
				return nil, err
			}
			rep.StoreBytes = 0
			for _, n := range rep.Objects {
				rep.StoreBytes += n
			}
			rep.Rows = map[string]int{}
			for name, t := range rows {
				rep.Rows[name] = len(t.rows)
			}
		}
		st.Close()

		if err := sc.reset(ctx); err != nil {
			return nil, err
		}
		st, err = OpenAnalyticsStore(ctx, sc.dsn)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "round %d: raw...\n", r+1)
		start, err := countRows(ctx, st.db.Raw())
		if err != nil {
			st.Close()
			return nil, err
		}
		t, cpu = time.Now(), processCPU()
		err = writeTables(ctx, st.db.Raw(), st.Engine, rows, tenant, st.Tenant)
		tenant = st.Tenant // the rows now name this one
		round.RawSeconds, round.RawCPU = time.Since(t).Seconds(), (processCPU() - cpu).Seconds()
		if err == nil {
			err = rawRowsMatch(ctx, st.db.Raw(), start, rep.Rows)
		}
		st.Close()
		if err != nil {
			return nil, err
		}
		round.RawPerSec = float64(sum.Orders) / round.RawSeconds
		round.Fraction = round.ImportPerSec / round.RawPerSec
		fmt.Fprintf(progress, "  import %.0f orders/s, raw %.0f orders/s\n", round.ImportPerSec, round.RawPerSec)
		rep.Rounds = append(rep.Rounds, round)
	}
	var imp, raw, frac []float64
	for _, r := range rep.Rounds {
		imp, raw, frac = append(imp, r.ImportPerSec), append(raw, r.RawPerSec), append(frac, r.Fraction)
	}
	rep.ImportPerSec, rep.RawPerSec, rep.Fraction = median(imp), median(raw), median(frac)
	rep.Pass = rep.ImportPerSec >= ImportTarget
	return rep, nil
}

func writeSynthetic(path string, cfg ImportConfig) error {
	store, err := synth.New(synth.Config{Customers: cfg.Customers, Orders: cfg.Orders, Seed: cfg.Seed})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteOrderLines(f, store); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteOrderLines writes a synthetic store's orders as an order-line file in the
// importer's default layout: one invoice per order, three lines that add up to its amount.
func WriteOrderLines(w io.Writer, store *synth.Store) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	inv := 1_000_000
	var b []byte
	for o := range store.Orders() {
		inv++
		a := max(o.Amount, 3)
		parts := [3]int64{a / 2, a / 4, a - a/2 - a/4}
		at := o.At.UTC().Format(time.DateTime)
		for i, part := range parts {
			b = fmt.Appendf(b[:0], "%d,SKU%d,Item %d,1,%s,%d.%02d,%s,United Kingdom\n", inv, i+1, i+1, at, part/100, part%100, o.Customer)
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

func countRows(ctx context.Context, db *sql.DB) (map[string]int, error) {
	out := map[string]int{}
	for _, t := range rawTables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&n); err != nil {
			return nil, err
		}
		out[t.name] = n
	}
	return out, nil
}

// rawRowsMatch checks that the raw path added as many rows to each table as the import wrote.
func rawRowsMatch(ctx context.Context, db *sql.DB, start, want map[string]int) error {
	now, err := countRows(ctx, db)
	if err != nil {
		return err
	}
	for _, t := range rawTables {
		if got := now[t.name] - start[t.name]; got != want[t.name] {
			return fmt.Errorf("bench import: the raw path wrote %d rows into %s, the import %d", got, t.name, want[t.name])
		}
	}
	return nil
}

// tableRows is a table's rows as read back.
type tableRows struct {
	cols []string
	rows [][]any
}

// readTables reads the rows of rawTables, leaving out those in except.
func readTables(ctx context.Context, db *sql.DB, except map[string]*tableRows) (map[string]*tableRows, error) {
	out := map[string]*tableRows{}
	for _, t := range rawTables {
		rows, err := db.QueryContext(ctx, `SELECT * FROM `+t.name)
		if err != nil {
			return nil, err
		}
		tr := &tableRows{}
		tr.cols, _ = rows.Columns()
		for rows.Next() {
			vals := make([]any, len(tr.cols))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			if except == nil || !slices.ContainsFunc(except[t.name].rows, func(r []any) bool { return slices.Equal(r, vals) }) {
				tr.rows = append(tr.rows, vals)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		rows.Close()
		out[t.name] = tr
	}
	return out, nil
}

// writeTables inserts the rows again: per table, transactions of about one import chunk,
// statements of up to 64 rows prepared once per transaction.
func writeTables(ctx context.Context, db *sql.DB, engine string, tables map[string]*tableRows, from, to string) error {
	for _, t := range rawTables {
		tr := tables[t.name]
		for _, r := range tr.rows { // the fresh database's tenant
			for i, v := range r {
				if v == any(from) {
					r[i] = to
				}
			}
		}
		if len(tr.rows) == 0 {
			continue
		}
		per := max(1, min(64, 30000/len(tr.cols)))
		for start := 0; start < len(tr.rows); start += t.tx {
			chunk := tr.rows[start:min(start+t.tx, len(tr.rows))]
			if err := insertChunk(ctx, db, engine, t.name, tr.cols, per, chunk); err != nil {
				return fmt.Errorf("raw %s: %w", t.name, err)
			}
		}
	}
	return nil
}

func insertChunk(ctx context.Context, db *sql.DB, engine, table string, cols []string, per int, rows [][]any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	stmts := map[int]*sql.Stmt{}
	args := make([]any, 0, per*len(cols))
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
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

// values is the VALUES list of rows rows of cols columns in the engine's placeholders.
func values(engine string, rows, cols int) string {
	var b strings.Builder
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			n++
			if engine == "postgres" {
				fmt.Fprintf(&b, "$%d", n)
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Print writes the report as a table.
func (r *ImportReport) Print(w io.Writer) {
	r.Machine.header(w, "Order import: service.ImportOrders vs raw inserts of the same rows")
	s := r.Summary
	fmt.Fprintf(w, "source: %s (%.1f MiB)\n", r.Source, float64(r.Bytes)/(1<<20))
	if s != nil {
		fmt.Fprintf(w, "imported: %d rows read, %d orders (%d lines), %d refunds, %d customers\n", s.Rows, s.Orders, s.Lines, s.Refunds, s.Customers)
	}
	fmt.Fprintf(w, "rows written: members %d, balances %d, orders %d, order_lines %d, outbox %d, tier_stats %d, jobs %d\n\n",
		r.Rows["members"], r.Rows["balances"], r.Rows["orders"], r.Rows["order_lines"], r.Rows["outbox"], r.Rows["tier_stats"], r.Rows["jobs"])
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "round\timport s\timport CPU s\timport orders/s\traw s\traw CPU s\traw orders/s\timport / raw")
	for i, x := range r.Rounds {
		fmt.Fprintf(tw, "%d\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f%%\n", i+1, x.ImportSeconds, x.ImportCPU, x.ImportPerSec, x.RawSeconds, x.RawCPU, x.RawPerSec, 100*x.Fraction)
	}
	fmt.Fprintf(tw, "median\t\t\t%.0f\t\t\t%.0f\t%.0f%%\n", r.ImportPerSec, r.RawPerSec, 100*r.Fraction)
	_ = tw.Flush()
	fmt.Fprintf(w, "\ntarget: import >= %d orders/s: %s\n", ImportTarget, verdict(r.Pass))
	if s == nil || s.Orders == 0 {
		return
	}
	per := func(n int64) float64 { return float64(n) / float64(s.Orders) }
	fmt.Fprintf(w, "\nspace after the import: %.1f MiB, %.0f bytes an order (%.1f lines an order); the tables and indexes over 1 byte an order:\n",
		float64(r.StoreBytes)/(1<<20), per(r.StoreBytes), float64(s.Lines)/float64(s.Orders))
	names := slices.SortedFunc(maps.Keys(r.Objects), func(a, b string) int { return cmp.Compare(r.Objects[b], r.Objects[a]) })
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, name := range names {
		if per(r.Objects[name]) >= 1 {
			fmt.Fprintf(tw, "  %s\t%.0f\n", name, per(r.Objects[name]))
		}
	}
	_ = tw.Flush()
}
