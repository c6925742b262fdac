package bench

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/service"
)

// postgresEnv names the PostgreSQL server the tests also run on when it is set.
const postgresEnv = "TENURE_TEST_POSTGRES_URL"

type engine struct{ name, dsn string }

func engines(t *testing.T) []engine {
	out := []engine{{"sqlite", filepath.Join(t.TempDir(), "bench.db")}}
	if pg := os.Getenv(postgresEnv); pg != "" {
		out = append(out, engine{"postgres", pg})
	} else {
		t.Logf("%s is not set: the benchmarks' checks run on SQLite only", postgresEnv)
	}
	return out
}

// These tests check that each benchmark measures what it says, at a tiny size. They
// assert nothing about time.
func TestIngestPathsWriteTheSameRows(t *testing.T) {
	for _, e := range engines(t) {
		for _, program := range Programs {
			t.Run(e.name+"/"+program, func(t *testing.T) { testIngestPaths(t, e, program) })
		}
	}
}

func testIngestPaths(t *testing.T, e engine, program string) {
	{
		{
			const events, lines = 300, 3
			rep, err := Ingest(context.Background(), IngestOptions{DatabaseURL: e.dsn, Events: events, Batch: 100,
				Members: 40, Lines: lines, Clients: 2, Rounds: 1, Program: program})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Engine != e.name {
				t.Errorf("engine = %q, want %q", rep.Engine, e.name)
			}
			byPath := map[string]Measurement{}
			for _, m := range rep.Measurements {
				byPath[m.Path] = m
			}
			want := map[string]int64{"events": events, "orders": events, "order_lines": events * lines, "lots": events,
				"ledger_entries": events, "outbox": events, "jobs": 0, "deliveries": 0}
			for table, n := range want {
				if got := byPath[PathService].Rows[table]; got != n {
					t.Errorf("service wrote %d %s rows, want %d", got, table, n)
				}
			}
			if rep.Options.Program != program {
				t.Errorf("report says program %q, want %q", rep.Options.Program, program)
			}
			// rules-20 keeps counters for its capped and limited rules and takes from the
			// keyword campaigns' budgets; the default program does neither.
			for _, sum := range []string{"rule_usage.times", "rule_budgets.spent"} {
				if n := byPath[PathService].Rows[sum]; (n > 0) != (program == ProgramRules20) {
					t.Errorf("%s: service added %d to %s", program, n, sum)
				}
			}
			if byPath[PathService].Rows["balances.pending"] <= 0 {
				t.Errorf("service added %d pending points, want some", byPath[PathService].Rows["balances.pending"])
			}
			for _, path := range []string{PathRaw, PathHTTP} {
				if !sameRows(byPath[path].Rows, byPath[PathService].Rows) {
					t.Errorf("%s wrote %v\nservice wrote %v", path, byPath[path].Rows, byPath[PathService].Rows)
				}
			}
			if !rep.SameRows {
				t.Error("report says the paths wrote different rows")
			}
			if h := byPath[PathHTTP]; h.Requests != events/100 || h.Failed != 0 {
				t.Errorf("HTTP: %d requests, %d not 200; want %d, 0", h.Requests, h.Failed, events/100)
			}
			if e.name == "sqlite" {
				if _, err := os.Stat(e.dsn); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the benchmark left %s behind (%v)", e.dsn, err)
				}
			}
		}
	}
}

func TestBenchProgramIsTheDocumentedExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/examples/rules-20.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(doc) != string(rules20) {
		t.Error("bench/rules-20.json differs from docs/examples/rules-20.json; copy the example again")
	}
	set, ok, err := ruleSet(ProgramRules20)
	if err != nil || !ok || len(set.Rules) != 20 {
		t.Fatalf("rules-20 has %d rules (ok %v, err %v), want 20", len(set.Rules), ok, err)
	}
}

func TestReadsAnswerEveryRequest(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			rep, err := Reads(context.Background(), ReadsOptions{DatabaseURL: e.dsn, Members: 30, Conns: 4,
				Duration: 300 * time.Millisecond, Rounds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Loads) != 2 {
				t.Fatalf("%d loads, want bare and balance", len(rep.Loads))
			}
			for _, l := range rep.Loads {
				if l.Requests == 0 || l.Failed != 0 {
					t.Errorf("%s: %d requests, %d not 200", l.Target, l.Requests, l.Failed)
				}
				if l.BodyBytes == 0 {
					t.Errorf("%s: empty balance body", l.Target)
				}
			}
		})
	}
}

func TestExistingSQLiteFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenure.db")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Ingest(context.Background(), IngestOptions{DatabaseURL: path, Events: 1, Batch: 1, Members: 1, Lines: 1, Clients: 1, Rounds: 1}); err == nil {
		t.Fatal("Ingest used an existing file")
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatal("the existing file was changed")
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]float64{0.5: 50, 0.9: 90, 0.99: 99, 1: 100} {
		if got := percentile(s, p); got != want {
			t.Errorf("p%v = %v ms, want %v", p*100, got, want)
		}
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median = %v, want 2", got)
	}
}

// BenchmarkIngestRaw is the storage ceiling on SQLite: the rows of b.N order.paid events
// written with database/sql in transactions of 1000.
func BenchmarkIngestRaw(b *testing.B) { benchmarkIngest(b, PathRaw, ProgramDefault) }

// BenchmarkIngestService is Intake.Ingest on SQLite, in batches of 1000 events, under the
// default program.
func BenchmarkIngestService(b *testing.B) { benchmarkIngest(b, PathService, ProgramDefault) }

// BenchmarkIngestServiceRules20 is the same under the 20 rules of docs/examples.
func BenchmarkIngestServiceRules20(b *testing.B) { benchmarkIngest(b, PathService, ProgramRules20) }

func benchmarkIngest(b *testing.B, path, program string) {
	ctx := context.Background()
	s, err := newScratch(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.close()
	f, err := openFixture(ctx, s, program, 2000, 3, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer f.close()
	batches := newWorkload(f.members, 3, 1).batches(b.N, service.MaxBatch)
	var raw []rawBatch
	if path == PathRaw {
		if raw, err = f.prepareRaw(ctx, batches, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	if path == PathRaw {
		err = writeRaw(ctx, f.app.DB.Raw(), raw)
	} else {
		for _, batch := range batches {
			if _, err = f.app.Service.Intake.Ingest(ctx, f.tenant, batch, service.IngestOptions{Batch: true}); err != nil {
				break
			}
		}
	}
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// The webhook benchmark delivers every queued delivery exactly once (it checks the
// receiver's count itself) and measures lateness on both sides of the comparison.
func TestWebhooksDeliverEverything(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			rep, err := Webhooks(context.Background(), WebhooksOptions{DatabaseURL: e.dsn, Deliveries: 200, Endpoints: 4,
				Delay: time.Millisecond, Concurrency: 16, PerEndpoint: 4, Window: 200 * time.Millisecond, Rounds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Machine.Engine != e.name || len(rep.Bare) != 1 || rep.Bare[0] <= 0 || len(rep.Dispatcher) != 1 || rep.Dispatcher[0] <= 0 {
				t.Fatalf("report %+v", rep)
			}
			if rep.Alone[0].Count == 0 || rep.WithSlow[0].Count == 0 {
				t.Fatalf("no lateness measured: %+v %+v", rep.Alone, rep.WithSlow)
			}
		})
	}
}

func TestSingleEventsAreAllAnswered(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			rep, err := Single(context.Background(), SingleOptions{DatabaseURL: e.dsn, Program: ProgramRules20, Members: 30,
				Conns: []int{1, 4}, Events: 40, Lines: 3, Rounds: 1})
			if err != nil {
				t.Fatal(err) // any answer other than 201 Created fails the run
			}
			if len(rep.Loads) != 2 || len(rep.Median) != 2 {
				t.Fatalf("%d loads and %d medians, want 2 and 2", len(rep.Loads), len(rep.Median))
			}
			for _, l := range rep.Loads {
				if l.Events != 40 || l.Failed != 0 || l.P50ms <= 0 {
					t.Errorf("load at %d conns: %+v", l.Conns, l)
				}
			}
			if e.name == "sqlite" {
				if _, err := os.Stat(e.dsn); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the benchmark left %s behind (%v)", e.dsn, err)
				}
			}
		})
	}
}

// TestBulkSeededStore: a store seeded through the import of history (as the benchmarks seed
// large member counts) has every member with one earlier order, and takes single events
// for those members.
func TestBulkSeededStore(t *testing.T) {
	defer func(n int) { bulkSeedFrom = n }(bulkSeedFrom)
	bulkSeedFrom = 50
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := newScratch(ctx, e.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			f, err := openFixture(ctx, s, ProgramRules20, 120, 3, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer f.close()
			if len(f.members) != 120 {
				t.Fatalf("%d members", len(f.members))
			}
			var orders, lines int
			db := f.app.DB.Raw()
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT member_id) FROM orders`).Scan(&orders, &lines); err != nil {
				t.Fatal(err)
			}
			if orders != 120 || lines != 120 {
				t.Fatalf("%d orders of %d members, want one each of 120", orders, lines)
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines`).Scan(&lines); err != nil || lines != 360 {
				t.Fatalf("%d order lines (%v), want 360", lines, err)
			}
			base, stop, err := serve(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			w := newWorkload(f.members, 3, 7)
			l, err := postSingles(ctx, f, base, w, 4, 60)
			if err != nil {
				t.Fatal(err) // any answer other than 201 Created fails
			}
			if l.Events != 60 || l.P50ms <= 0 {
				t.Fatalf("load %+v", l)
			}
		})
	}
}
